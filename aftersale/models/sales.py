"""A court's finance rules, and each sale of a lot: the balance due by the buyer and its fate."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.money import Money
from payments.events import PaidFor
from payments.events import reference as payment_reference


class FinanceRules(models.Model):
    """How a court pays out and chases balances; edited by its supervisors (admin)."""

    class Method(models.TextChoices):
        TRANSFER = "TRANSFER", _("Transfer to the party's payment account")
        PAYOUT = "PAYOUT", _("Payout to the party's IBAN")

    court = models.OneToOneField(
        "accounts.Court",
        verbose_name=_("court"),
        on_delete=models.CASCADE,
        related_name="finance_rules",
    )
    approval_threshold_minor = models.BigIntegerField(
        _("disbursements above this need a supervisor (minor units)"), default=100_000_00
    )
    disbursement_method = models.CharField(
        _("disbursements are sent as"),
        max_length=10,
        choices=Method.choices,
        default=Method.TRANSFER,
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("remind the buyer this many days before the deadline"), default=2
    )
    second_chance_days = models.PositiveSmallIntegerField(
        _("days the next bidder has to accept and pay"), default=3
    )

    class Meta:
        verbose_name = _("finance rules")
        verbose_name_plural = _("finance rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(disbursement_method__in=["TRANSFER", "PAYOUT"]),
                name="aftersale_financerules_disbursement_method_known",
            ),
            models.CheckConstraint(
                condition=Q(approval_threshold_minor__gte=0), name="aftersale_rules_threshold"
            ),
            models.CheckConstraint(
                condition=Q(second_chance_days__gte=1), name="aftersale_rules_second_chance"
            ),
        ]

    def __str__(self) -> str:
        return str(self.court_id)


class Sale(models.Model):
    """One buyer's purchase of a lot: the award, or a second-chance offer to the next bidder.

    The amounts come from the auction's snapshotted rules when the sale is
    made; the database checks that the balance is price + premium + VAT −
    deposit, and that a lot has at most one sale that is offered, awaited or paid.
    """

    class Kind(models.TextChoices):
        AWARD = "AWARD", _("Award to the highest bidder")
        SECOND_CHANCE = "SECOND_CHANCE", _("Second-chance offer")

    class Status(models.TextChoices):
        OFFERED = "OFFERED", _("Offered")
        AWAITING_PAYMENT = "AWAITING_PAYMENT", _("Balance due")
        PAID = "PAID", _("Paid")
        DEFAULTED = "DEFAULTED", _("Defaulted")
        DECLINED = "DECLINED", _("Declined")
        EXPIRED = "EXPIRED", _("Offer expired")
        ANNULLED = "ANNULLED", _("Annulled by the court")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(
        "auction.Lot", verbose_name=_("lot"), on_delete=models.PROTECT, related_name="sales"
    )
    registration = models.ForeignKey(
        "auction.Registration",
        verbose_name=_("registration"),
        on_delete=models.PROTECT,
        related_name="sales",
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        related_name="purchases",
    )
    file = models.ForeignKey(
        "enforcement.EnforcementFile",
        verbose_name=_("enforcement file"),
        on_delete=models.PROTECT,
        related_name="sales",
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices, default=Kind.AWARD)
    status = models.CharField(_("status"), max_length=18, choices=Status.choices, db_index=True)
    currency = models.CharField(_("currency"), max_length=3)
    price_minor = models.BigIntegerField(_("price"))
    premium_minor = models.BigIntegerField(_("buyer's premium"))
    vat_minor = models.BigIntegerField(_("VAT"))
    deposit_minor = models.BigIntegerField(_("deposit applied"))
    balance_minor = models.BigIntegerField(_("balance due"))
    rules = models.JSONField(_("rules applied"), default=dict)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    due_at = models.DateTimeField(_("pay by"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    payment = models.ForeignKey(
        "payments.Payment",
        verbose_name=_("balance payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    certificate = models.OneToOneField(
        "core.Receipt",
        verbose_name=_("sale certificate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ownership_letter = models.ForeignKey(
        "enforcement.AgencyLetter",
        verbose_name=_("transfer-of-ownership letter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The result may be objected to until then (the close plus the auction's snapshotted
    # objection days); the sale is final once paid, past it and with no objection pending.
    objection_closes_at = models.DateTimeField(_("objections close"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("final"), null=True, blank=True)
    annulled_reason = models.TextField(_("reason for annulment"), blank=True)
    annulled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("annulled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["AWARD", "SECOND_CHANCE"]), name="aftersale_sale_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "OFFERED",
                        "AWAITING_PAYMENT",
                        "PAID",
                        "DEFAULTED",
                        "DECLINED",
                        "EXPIRED",
                        "ANNULLED",
                    ]
                ),
                name="aftersale_sale_status_known",
            ),
            models.CheckConstraint(
                condition=Q(
                    balance_minor=F("price_minor")
                    + F("premium_minor")
                    + F("vat_minor")
                    - F("deposit_minor")
                ),
                name="aftersale_sale_balance_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(price_minor__gt=0, premium_minor__gte=0, vat_minor__gte=0)
                & Q(deposit_minor__gte=0, balance_minor__gte=0),
                name="aftersale_sale_amounts_sane",
            ),
            models.UniqueConstraint(
                fields=["lot"],
                condition=Q(status__in=["OFFERED", "AWAITING_PAYMENT", "PAID"]),
                name="aftersale_sale_one_live_per_lot",
            ),
            models.UniqueConstraint(
                fields=["registration"], name="aftersale_sale_once_per_registration"
            ),
            models.CheckConstraint(
                condition=~Q(status="ANNULLED") | ~Q(annulled_reason=""),
                name="aftersale_sale_annulment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(finalized_at__isnull=True) | Q(status="PAID"),
                name="aftersale_sale_final_only_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id} #{self.pk} {self.status}"

    def money(self, field: str) -> Money:
        return Money(int(getattr(self, f"{field}_minor")), self.currency)

    @property
    def total(self) -> Money:
        """What the buyer pays in all: price + premium + VAT."""
        return Money(self.price_minor + self.premium_minor + self.vat_minor, self.currency)

    @property
    def reference(self) -> str:
        """What the balance's payment is stored for (`payments.events.PaidFor.SALE_BALANCE`)."""
        return payment_reference(PaidFor.SALE_BALANCE, self.public_id)


class Objection(models.Model):
    """A party's or another bidder's objection to a lot's result, filed within the window.

    While one is pending the sale is not final: no certificate, no transfer letter and
    no distribution. A judge rejects it or upholds it, which annuls the sale.
    """

    class Standing(models.TextChoices):
        DEBTOR = "DEBTOR", _("Debtor")
        APPLICANT = "APPLICANT", _("Applicant")
        BIDDER = "BIDDER", _("Another bidder")
        SECURED_CREDITOR = "SECURED", _("Secured creditor")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Awaiting the judge")
        REJECTED = "REJECTED", _("Rejected")
        UPHELD = "UPHELD", _("Upheld: the sale is annulled")

    sale = models.ForeignKey(
        Sale, verbose_name=_("sale"), on_delete=models.PROTECT, related_name="objections"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="objections",
    )
    standing = models.CharField(_("filed as"), max_length=10, choices=Standing.choices)
    grounds = models.TextField(_("grounds"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    filed_at = models.DateTimeField(_("filed"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons of the decision"), blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["filed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(standing__in=["DEBTOR", "APPLICANT", "BIDDER", "SECURED"]),
                name="aftersale_objection_standing_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "REJECTED", "UPHELD"]),
                name="aftersale_objection_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status="PENDING")
                | (Q(decided_by__isnull=False, decided_at__isnull=False) & ~Q(decision_reason="")),
                name="aftersale_objection_decision_complete",
            ),
            models.UniqueConstraint(
                fields=["sale", "filed_by"],
                condition=Q(status="PENDING"),
                name="aftersale_objection_one_pending_per_filer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id} objection #{self.pk} {self.status}"
