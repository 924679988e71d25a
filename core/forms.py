"""Forms and domain refusals: a refusal shown next to the field it names, a posted text checked."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest

from core.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else NON_FIELD_ERRORS
    form.add_error(
        None if field == NON_FIELD_ERRORS else field,
        forms.ValidationError(error.render(), code=error.code),
    )


def posted_text(request: HttpRequest, name: str) -> str:
    """A free-text value posted without a form (a button's reason), checked as a form's text
    field would check it: a value the database cannot store (a NUL character) is refused,
    naming the field, instead of failing the write."""
    try:
        return str(forms.CharField(required=False, strip=False).clean(request.POST.get(name, "")))
    except forms.ValidationError as error:
        raise DomainError(error.messages[0], code="invalid", field=name) from error
