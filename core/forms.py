"""Forms and domain refusals: a refusal shown next to the field it names, a posted text checked,
an amount a person typed read as Money."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.money import MAX_DIGITS, Money, exponent


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


_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def parse_money(text: str, currency: str) -> Money:
    """Parse what a person typed ("1,250.500", "١٢٥٠٫٥") into Money.

    Raises ValidationError (code "amount_format" or "amount_decimals") when the
    text is not a plain positive number or has more decimals than the currency.
    """
    cleaned = str(text).strip().translate(_ARABIC_DIGITS).replace(",", "").replace(" ", "")
    if not _NUMBER.match(cleaned):
        raise ValidationError(
            _("Enter an amount as digits, for example 1250.500."), code="amount_format"
        )
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:  # pragma: no cover - the pattern already guards this
        raise ValidationError(_("Enter a valid amount."), code="amount_format") from error
    places = exponent(currency)
    value_exponent = int(value.as_tuple().exponent)
    decimals = -value_exponent if value_exponent < 0 else 0
    if decimals > places:
        raise ValidationError(
            _("%(currency)s amounts have at most %(places)s decimals."),
            code="amount_decimals",
            params={"currency": currency, "places": places},
        )
    minor = int(value.scaleb(places))
    if len(str(minor)) > MAX_DIGITS:
        raise ValidationError(_("The amount is too large."), code="amount_too_large")
    return Money(minor, currency)
