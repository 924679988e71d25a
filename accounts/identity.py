"""Pure checks of identity numbers: national IDs per country and passports."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PASSPORT_PATTERN = re.compile(r"^[A-Z0-9]{6,9}$")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char)
        if index % 2 == 0:  # Saudi IDs double the odd positions counted from the left
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return total % 10 == 0


def _kuwait_civil_id_ok(digits: str) -> bool:
    weights = (2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    remainder = sum(int(d) * w for d, w in zip(digits[:11], weights, strict=True)) % 11
    return 11 - remainder == int(digits[11])


def _saudi(number: str) -> bool:
    return bool(re.fullmatch(r"[12]\d{9}", number)) and _luhn_ok(number)


def _kuwait(number: str) -> bool:
    return bool(re.fullmatch(r"\d{12}", number)) and _kuwait_civil_id_ok(number)


def _bahrain(number: str) -> bool:
    return bool(re.fullmatch(r"\d{9}", number))


def _vietnam(number: str) -> bool:
    # Citizen identity card: 3-digit province code (001-096), then 9 digits.
    return bool(re.fullmatch(r"0(?:[0-8]\d|9[0-6])\d{9}", number)) and number[:3] != "000"


NATIONAL_ID_RULES = {
    "SA": (
        _saudi,
        _("a Saudi national ID has 10 digits, starts with 1 or 2, and its check digit must match"),
    ),
    "KW": (_kuwait, _("a Kuwaiti civil ID has 12 digits and its check digit must match")),
    "BH": (_bahrain, _("a Bahraini CPR number has 9 digits")),
    "VN": (_vietnam, _("a Vietnamese citizen ID has 12 digits starting with a province code")),
}

ID_COUNTRIES = [
    ("SA", _("Saudi Arabia")),
    ("KW", _("Kuwait")),
    ("BH", _("Bahrain")),
    ("VN", _("Vietnam")),
]


def normalise(number: str) -> str:
    """Strip spaces and dashes, upper-case, and turn Arabic-Indic digits into ASCII."""
    table = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
    return re.sub(r"[\s\-]", "", number.translate(table)).upper()


def validate_national_id(country: str, number: str) -> None:
    """Raise ValidationError naming the rule when `number` is not a valid ID of `country`."""
    rule = NATIONAL_ID_RULES.get(country)
    if rule is None:
        raise ValidationError(
            _("National IDs of this country are not accepted."), code="id_country"
        )
    check, message = rule
    if not check(number):
        raise ValidationError(message, code="national_id")


def validate_passport(number: str) -> None:
    if not PASSPORT_PATTERN.match(number):
        raise ValidationError(
            _("a passport number has 6 to 9 Latin letters and digits"), code="passport"
        )


COMMERCIAL_REGISTRATION_RULES = {
    "SA": (re.compile(r"^\d{10}$"), _("a Saudi commercial registration number has 10 digits")),
    "KW": (
        re.compile(r"^\d{4,8}$"),
        _("a Kuwaiti commercial registration number has 4 to 8 digits"),
    ),
    "BH": (re.compile(r"^\d{4,6}(?:-\d{1,2})?$"), _("a Bahraini CR number has 4 to 6 digits")),
    "VN": (
        re.compile(r"^\d{10}(?:\d{3})?$"),
        _("a Vietnamese enterprise code has 10 or 13 digits"),
    ),
}


def validate_commercial_registration(country: str, number: str) -> None:
    """Raise ValidationError naming the rule when `number` is not a registration of `country`."""
    rule = COMMERCIAL_REGISTRATION_RULES.get(country)
    if rule is None:
        raise ValidationError(
            _("Companies registered in this country are not accepted."), code="id_country"
        )
    pattern, message = rule
    if not pattern.match(number):
        raise ValidationError(message, code="commercial_registration")
