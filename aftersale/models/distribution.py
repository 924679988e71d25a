"""Custody by file, the distribution of a file's proceeds, and the disbursements it pays.

Maker-checker is a database rule here: a disbursement's approver can never be
its preparer (CHECK constraint), whatever the code above it does.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.money import Money


class CustodyItem(models.Model):
    """An amount received into the court account for a file, waiting to be distributed."""

    class Kind(models.TextChoices):
        SALE = "SALE", _("Sale of a seized asset")
        SEIZED_FUNDS = "SEIZED_FUNDS", _("Seized bank funds")
        REDEMPTION = "REDEMPTION", _("Payment by the debtor")

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.ForeignKey(
        "enforcement.EnforcementFile",
        verbose_name=_("enforcement file"),
        on_delete=models.PROTECT,
        related_name="custody_items",
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    amount_minor = models.BigIntegerField(_("amount"))
    premium_minor = models.BigIntegerField(_("of which buyer's premium"), default=0)
    vat_minor = models.BigIntegerField(_("of which VAT"), default=0)
    currency = models.CharField(_("currency"), max_length=3)
    sale = models.OneToOneField(
        "aftersale.Sale",
        verbose_name=_("sale"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="custody_item",
    )
    asset = models.ForeignKey(
        "enforcement.SeizedAsset",
        verbose_name=_("asset"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    order = models.OneToOneField(
        "enforcement.SeizureOrder",
        verbose_name=_("seizure order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payment = models.OneToOneField(
        "payments.Payment",
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=200)
    received_at = models.DateTimeField(_("received"))
    distribution = models.ForeignKey(
        "aftersale.Distribution",
        verbose_name=_("distribution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )

    class Meta:
        verbose_name = _("amount held in custody")
        verbose_name_plural = _("amounts held in custody")
        ordering = ["received_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0, premium_minor__gte=0, vat_minor__gte=0)
                & Q(amount_minor__gte=F("premium_minor") + F("vat_minor")),
                name="aftersale_custody_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} {self.kind} {self.amount_minor}"

    @property
    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)


class Distribution(models.Model):
    """Who is paid what from a file's custody, in the order of the law (the waterfall).

    Proposed by the system; final once every disbursement in it is approved,
    when its ledger entry moves the custody to the payables. At most one
    proposal per file is open at a time.
    """

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED", _("Proposed")
        FINAL = "FINAL", _("Final")
        CANCELLED = "CANCELLED", _("Cancelled")

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.ForeignKey(
        "enforcement.EnforcementFile",
        verbose_name=_("enforcement file"),
        on_delete=models.PROTECT,
        related_name="distributions",
    )
    number = models.CharField(_("number"), max_length=40, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    total_minor = models.BigIntegerField(_("amount distributed"))
    currency = models.CharField(_("currency"), max_length=3)
    proposed_at = models.DateTimeField(_("proposed"))
    finalized_at = models.DateTimeField(_("final"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["PROPOSED", "FINAL", "CANCELLED"]),
                name="aftersale_distribution_status_known",
            ),
            models.UniqueConstraint(
                fields=["file"],
                condition=Q(status="PROPOSED"),
                name="aftersale_distribution_one_open_per_file",
            ),
            models.CheckConstraint(
                condition=Q(total_minor__gt=0), name="aftersale_distribution_total_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)


class PayeeKind(models.TextChoices):
    COURT = "COURT", _("The court")
    APPLICANT = "APPLICANT", _("Applicant")
    CREDITOR = "CREDITOR", _("Secured creditor")
    DEBTOR = "DEBTOR", _("Debtor")


class DisbursementStatus(models.TextChoices):
    TO_PREPARE = "TO_PREPARE", _("To prepare")
    PREPARED = "PREPARED", _("Prepared, to approve")
    APPROVED = "APPROVED", _("Approved")
    SENDING = "SENDING", _("Being sent")
    SENT = "SENT", _("Sent")
    PAID = "PAID", _("Paid")
    RETURNED = "RETURNED", _("Returned to the queue")


class Disbursement(models.Model):
    """Money leaving the court account for one payee of a distribution."""

    Status = DisbursementStatus

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    distribution = models.ForeignKey(
        Distribution,
        verbose_name=_("distribution"),
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    file_number = models.CharField(_("file number"), max_length=40, db_index=True)
    payee_kind = models.CharField(_("payee is"), max_length=10, choices=PayeeKind.choices)
    party = models.ForeignKey(
        "enforcement.Party",
        verbose_name=_("party"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    encumbrance = models.ForeignKey(
        "enforcement.Encumbrance",
        verbose_name=_("encumbrance"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payee_name = models.CharField(_("payee"), max_length=200)
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DisbursementStatus.choices,
        default=DisbursementStatus.TO_PREPARE,
        db_index=True,
    )
    method = models.CharField(_("sent as"), max_length=10, blank=True)
    destination = models.CharField(_("destination"), max_length=64, blank=True)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    needs_supervisor = models.BooleanField(_("needs a supervisor"), default=False)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    prepared_at = models.DateTimeField(_("prepared"), null=True, blank=True)
    preparation_note = models.CharField(_("preparer's note"), max_length=300, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    provider_id = models.CharField(
        _("provider reference"), max_length=64, null=True, blank=True, unique=True
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    failure_reason = models.CharField(_("reason returned"), max_length=300, blank=True)
    receipt = models.ForeignKey(
        "core.Receipt",
        verbose_name=_("receipt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The letter asking the registry to cancel the encumbrance this payment settled (once).
    release_letter = models.ForeignKey(
        "enforcement.AgencyLetter",
        verbose_name=_("mortgage cancellation letter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(payee_kind__in=PayeeKind.values),
                name="aftersale_disbursement_payee_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DisbursementStatus.values),
                name="aftersale_disbursement_status_known",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="aftersale_disbursement_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="aftersale_disbursement_maker_is_not_checker",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["TO_PREPARE", "PREPARED", "RETURNED"])
                | Q(approved_by__isnull=False, prepared_by__isnull=False),
                name="aftersale_disbursement_sent_only_when_approved",
            ),
            models.CheckConstraint(
                condition=Q(party__isnull=False) | Q(encumbrance__isnull=False),
                name="aftersale_disbursement_has_a_payee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payee_name} {self.amount_minor} {self.status}"

    @property
    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def reference(self) -> str:
        """Our reference at the provider and on bank statements."""
        return f"disbursement:{self.public_id}"

    @property
    def short_reference(self) -> str:
        return f"D{self.pk:08d}"


class DistributionLine(models.Model):
    """One step of the waterfall: who gets what and why (the legal basis is the step)."""

    class Step(models.TextChoices):
        FEES = "FEES", _("Buyer's premium to the court's fees")
        VAT = "VAT", _("VAT to the tax account")
        COSTS = "COSTS", _("Enforcement costs")
        SECURED = "SECURED", _("Secured creditor")
        CLAIM = "CLAIM", _("Applicant's claim")
        SURPLUS = "SURPLUS", _("Surplus to the debtor")

    distribution = models.ForeignKey(
        Distribution, verbose_name=_("distribution"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("order"))
    step = models.CharField(_("step"), max_length=8, choices=Step.choices)
    payee_kind = models.CharField(_("payee is"), max_length=10, choices=PayeeKind.choices)
    party = models.ForeignKey(
        "enforcement.Party",
        verbose_name=_("party"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    encumbrance = models.ForeignKey(
        "enforcement.Encumbrance",
        verbose_name=_("encumbrance"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payee_name = models.CharField(_("payee"), max_length=200)
    amount_minor = models.BigIntegerField(_("amount"))
    owed_minor = models.BigIntegerField(_("owed before this step"), null=True, blank=True)
    basis = models.JSONField(_("legal basis"), default=dict)
    disbursement = models.ForeignKey(
        Disbursement,
        verbose_name=_("disbursement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )

    class Meta:
        verbose_name = _("distribution step")
        verbose_name_plural = _("distribution steps")
        ordering = ["distribution", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(step__in=["FEES", "VAT", "COSTS", "SECURED", "CLAIM", "SURPLUS"]),
                name="aftersale_distributionline_step_known",
            ),
            models.CheckConstraint(
                condition=Q(payee_kind__in=PayeeKind.values),
                name="aftersale_distributionline_payee_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="aftersale_line_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["distribution", "position"], name="aftersale_line_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} {self.payee_name} {self.amount_minor}"
