"""Seizure orders: what is seized for a file, by which agency, and each step's who and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage


class SeizureOrder(models.Model):
    class Kind(models.TextChoices):
        BANK_FUNDS = "BANK_FUNDS", _("Seizure of bank funds")
        VEHICLE = "VEHICLE", _("Seizure of a vehicle")
        REAL_ESTATE = "REAL_ESTATE", _("Seizure of real estate")
        TRAVEL_BAN = "TRAVEL_BAN", _("Travel ban")

    class Status(models.TextChoices):
        REQUESTED = "REQUESTED", _("Requested")
        ISSUED = "ISSUED", _("Issued")
        EXECUTED = "EXECUTED", _("Executed")
        NOT_EXECUTED = "NOT_EXECUTED", _("Not executed")
        LIFTING = "LIFTING", _("Lift requested")
        LIFTED = "LIFTED", _("Lifted")

    file = models.ForeignKey(
        "enforcement.EnforcementFile",
        verbose_name=_("enforcement file"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("executing agency"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    target_party = models.ForeignKey(
        "enforcement.Party",
        verbose_name=_("person or company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_iban = models.CharField(_("bank account (IBAN)"), max_length=34, blank=True)
    target_vin = models.CharField(_("VIN"), max_length=17, blank=True)
    target_plate = models.CharField(_("plate"), max_length=20, blank=True)
    target_deed_number = models.CharField(_("title deed number"), max_length=40, blank=True)
    target_note = models.CharField(_("details"), max_length=300, blank=True)
    amount_seized_minor = models.BigIntegerField(_("amount seized"), null=True, blank=True)
    # What the agency is asked to freeze (bank funds: the balance owed when issued), and what
    # its answers reported: funds transferred, where a vehicle is held, the deed's annotation,
    # the day a travel ban took force.
    amount_ordered_minor = models.BigIntegerField(_("amount to freeze"), null=True, blank=True)
    amount_transferred_minor = models.BigIntegerField(
        _("amount transferred"), null=True, blank=True
    )
    impound_location = models.CharField(_("where the vehicle is held"), max_length=300, blank=True)
    annotation_number = models.CharField(_("annotation number"), max_length=64, blank=True)
    ban_from = models.DateField(_("ban in force from"), null=True, blank=True)
    lift_requested_at = models.DateTimeField(_("lift requested"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    executed_at = models.DateTimeField(_("executed"), null=True, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("seizure order")
        verbose_name_plural = _("seizure orders")
        ordering = ["requested_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "REQUESTED",
                        "ISSUED",
                        "EXECUTED",
                        "NOT_EXECUTED",
                        "LIFTING",
                        "LIFTED",
                    ]
                ),
                name="enforcement_seizureorder_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(kind="BANK_FUNDS") | ~Q(target_iban=""),
                name="enforcement_order_bank_funds_name_an_account",
            ),
            models.CheckConstraint(
                condition=~Q(kind="VEHICLE") | ~Q(target_vin="") | ~Q(target_plate=""),
                name="enforcement_order_vehicle_named",
            ),
            models.CheckConstraint(
                condition=~Q(kind="REAL_ESTATE") | ~Q(target_deed_number=""),
                name="enforcement_order_real_estate_names_a_deed",
            ),
            models.CheckConstraint(
                condition=~Q(kind="TRAVEL_BAN") | Q(target_party__isnull=False),
                name="enforcement_order_travel_ban_names_a_person",
            ),
            models.CheckConstraint(
                condition=Q(amount_seized_minor__isnull=True)
                | (Q(kind="BANK_FUNDS") & Q(amount_seized_minor__gte=0)),
                name="enforcement_order_amount_only_for_bank_funds",
            ),
            models.CheckConstraint(
                condition=Q(amount_seized_minor__isnull=True)
                | Q(amount_ordered_minor__isnull=True)
                | Q(amount_seized_minor__lte=models.F("amount_ordered_minor")),
                name="enforcement_order_seized_within_ordered",
            ),
            models.CheckConstraint(
                condition=Q(amount_transferred_minor__isnull=True)
                | Q(
                    amount_seized_minor__isnull=False,
                    amount_transferred_minor__gte=0,
                    amount_transferred_minor__lte=models.F("amount_seized_minor"),
                ),
                name="enforcement_order_transferred_within_seized",
            ),
            models.CheckConstraint(
                condition=Q(status="REQUESTED")
                | Q(issued_at__isnull=False, issued_by__isnull=False),
                name="enforcement_order_issued_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(status="EXECUTED")
                | Q(executed_at__isnull=False, executed_by__isnull=False),
                name="enforcement_order_executed_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(status="LIFTED") | Q(lifted_at__isnull=False, lifted_by__isnull=False),
                name="enforcement_order_lifted_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def target_summary(self) -> str:
        parts = [
            self.target_iban,
            self.target_vin,
            self.target_plate,
            self.target_deed_number,
            self.target_party.name if self.target_party else "",
            self.target_note,
        ]
        return " · ".join(part for part in parts if part)


class SignedOrderDocument(models.Model):
    """A seizure order as the judge signed it, or the minutes of its execution as staff signed
    them: the PDF with the court's PAdES signature (core/pdf_signing.py), kept as signed."""

    class Kind(models.TextChoices):
        ORDER = "ORDER", _("Seizure order")
        MINUTES = "MINUTES", _("Seizure minutes")

    order = models.ForeignKey(
        SeizureOrder,
        verbose_name=_("seizure order"),
        on_delete=models.PROTECT,
        related_name="signed_documents",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=40, unique=True)
    pdf = models.FileField(
        _("signed PDF"), storage=private_storage, upload_to="orders/signed/%Y/", max_length=200
    )
    sha256 = models.CharField(_("SHA-256 of the signed PDF"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    signed_at = models.DateTimeField(_("signed"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(_("signed by"), max_length=200)
    certificate_subject = models.CharField(_("certificate"), max_length=300)

    class Meta:
        verbose_name = _("signed order document")
        verbose_name_plural = _("signed order documents")
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"], name="enforcement_one_signed_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["ORDER", "MINUTES"]),
                name="enforcement_signedorderdocument_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def download_name(self) -> str:
        return f"{self.number}.pdf"
