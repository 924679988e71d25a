"""Companies that bid through representatives, and the powers of attorney staff review."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.files.storage import Storage
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage


def _private_storage() -> Storage:
    # Powers of attorney are private like identity documents (core/storage.py).
    return private_storage()


class Company(models.Model):
    """A company known by its commercial registration (one row per registration number)."""

    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    registration_country = models.CharField(_("country of registration"), max_length=2)
    registration_number = models.CharField(_("commercial registration number"), max_length=32)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name_en", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration_country", "registration_number"],
                name="accounts_company_one_per_registration",
            ),
            models.CheckConstraint(
                condition=~Q(registration_number=""), name="accounts_company_has_a_registration"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class PowerOfAttorney(models.Model):
    """A person's authority to register and bid for a company, reviewed by staff like an ID."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending review")
        APPROVED = "APPROVED", _("Approved")
        REJECTED = "REJECTED", _("Rejected")
        REVOKED = "REVOKED", _("Revoked")

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="mandates"
    )
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("representative"),
        on_delete=models.PROTECT,
        related_name="mandates",
    )
    document = models.FileField(
        _("power of attorney"), storage=_private_storage, upload_to="attorney/%Y/%m/"
    )
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        verbose_name = _("power of attorney")
        verbose_name_plural = _("powers of attorney")
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "APPROVED", "REJECTED", "REVOKED"]),
                name="accounts_attorney_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="APPROVED") | Q(reviewed_at__isnull=False),
                name="accounts_attorney_approved_has_review",
            ),
            # One live mandate (pending or approved) per person and company at a time.
            models.UniqueConstraint(
                fields=["company", "representative"],
                condition=Q(status__in=["PENDING", "APPROVED"]),
                name="accounts_attorney_one_live_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} / {self.representative_id}"

    def is_valid_on(self, day: date) -> bool:
        """Approved and not expired on `day` (the last day of validity counts)."""
        return self.status == self.Status.APPROVED and self.valid_until >= day
