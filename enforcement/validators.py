"""Checks of identifiers found on enforcement records: IBAN, VIN, commercial registration."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from accounts import identity

VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
VIN_VALUES = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9],
        strict=True,
    )
)
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Regions whose VINs must carry the ISO 3779 check digit in position 9: North America and China.
VIN_CHECK_DIGIT_REGIONS = frozenset("12345L")
COMMERCIAL_REGISTRATION = re.compile(r"^\d{7,12}$")


def normalise_iban(value: str) -> str:
    return identity.normalise(value)


def validate_iban(value: str) -> None:
    """Raise ValidationError unless `value` is an IBAN with a valid checksum and country format."""
    try:
        IBAN(normalise_iban(value))
    except SchwiftyException as error:
        raise ValidationError(
            _("Enter a valid IBAN: the country format and the check digits must match."),
            code="iban",
        ) from error


def vin_check_digit(vin: str) -> str:
    total = sum(
        (int(char) if char.isdigit() else VIN_VALUES[char]) * weight
        for char, weight in zip(vin, VIN_WEIGHTS, strict=True)
    )
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_vin(value: str) -> str:
    return identity.normalise(value)


def validate_vin(value: str) -> None:
    """17 characters without I, O or Q; the check digit must match where the region uses it."""
    vin = normalise_vin(value)
    if not VIN_PATTERN.match(vin):
        raise ValidationError(
            _("A VIN has 17 letters and digits, without I, O or Q."), code="vin_format"
        )
    if vin[0] in VIN_CHECK_DIGIT_REGIONS and vin[8] != vin_check_digit(vin):
        raise ValidationError(
            _("The VIN's check digit (the 9th character) does not match the others."),
            code="vin_check_digit",
        )


def validate_commercial_registration(value: str) -> None:
    if not COMMERCIAL_REGISTRATION.match(identity.normalise(value)):
        raise ValidationError(
            _("A commercial registration number has 7 to 12 digits."),
            code="commercial_registration",
        )
