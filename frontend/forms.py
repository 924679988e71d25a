"""Showing a domain refusal on a form, next to the field it names."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from core.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else NON_FIELD_ERRORS
    form.add_error(
        None if field == NON_FIELD_ERRORS else field,
        forms.ValidationError(error.render(), code=error.code),
    )
