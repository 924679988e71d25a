"""The court, which staff, files and sales belong to, and the agencies it writes to."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from enforcement import terms

CURRENCIES = [
    ("SAR", _("Saudi riyal")),
    ("KWD", _("Kuwaiti dinar")),
    ("BHD", _("Bahraini dinar")),
    ("AED", _("UAE dirham")),
    ("OMR", _("Omani rial")),
    ("JOD", _("Jordanian dinar")),
    ("VND", _("Vietnamese dong")),
    ("USD", _("US dollar")),
]


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone."), code="time_zone", params={"value": value}
        )


class Court(models.Model):
    """An execution court: its staff, files and sales belong to it."""

    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,8}$", _("Use 2 to 8 capital Latin letters."))],
    )
    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Riyadh", validators=[validate_time_zone]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="SAR")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(currency__in=[code for code, _name in CURRENCIES]),
                name="enforcement_court_currency_known",
            ),
        ]
        verbose_name = _("court")
        verbose_name_plural = _("courts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en

    @property
    def city_label(self) -> str:
        """The city in the reader's language when it is a known one (enforcement.terms)."""
        return terms.in_reader_language(self.city)


class Agency(models.Model):
    """A government body that executes seizures and answers letters (traffic, land registry...)."""

    class Kind(models.TextChoices):
        TRAFFIC = "TRAFFIC", _("Traffic department")
        LAND_REGISTRY = "LAND_REGISTRY", _("Land registry")
        BANK = "BANK", _("Bank")
        IMMIGRATION = "IMMIGRATION", _("Immigration")
        OTHER = "OTHER", _("Other agency")

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z0-9-]{2,20}$", _("Use capital Latin letters, digits and dashes."))
        ],
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    country = models.CharField(_("country"), max_length=2, default="SA")
    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    email = models.EmailField(_("e-mail address"), blank=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["country", "kind", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en
