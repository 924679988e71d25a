"""Money received from a payer (a deposit or a balance), its refunds, and holds on a file."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.money import Money

# The provider's decline codes people meet most, in words a payer can act on.
DECLINE_REASONS = {
    "card_declined": _("The bank that issued the card refused the payment."),
    "generic_decline": _("The bank that issued the card refused the payment."),
    "do_not_honor": _("The bank that issued the card refused the payment."),
    "insufficient_funds": _("The card has not enough funds for this amount."),
    "expired_card": _("The card has expired."),
    "incorrect_cvc": _("The security code (CVC) is not correct."),
    "incorrect_number": _("The card number is not correct."),
    "lost_card": _("The card is reported lost."),
    "stolen_card": _("The card is reported stolen."),
    "card_velocity_exceeded": _("The card has reached its spending limit."),
    "processing_error": _("The payment could not be processed; try again in a moment."),
    "authentication_required": _(
        "The bank asks for the payment to be confirmed by the card holder."
    ),
}


class CourtAccount(models.Model):
    """Where a court receives money: its bank account (IBAN) and its payment-provider account."""

    court = models.OneToOneField(
        "accounts.Court",
        verbose_name=_("court"),
        on_delete=models.PROTECT,
        related_name="payment_account",
    )
    iban = models.CharField(_("IBAN of the court account"), max_length=34, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    stripe_account = models.CharField(_("payment provider account"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("court payment account")
        verbose_name_plural = _("court payment accounts")

    def __str__(self) -> str:
        return f"{self.court} {self.iban}"


class Purpose(models.TextChoices):
    DEPOSIT = "DEPOSIT", _("Security deposit")
    BALANCE = "BALANCE", _("Balance due")


class Method(models.TextChoices):
    CARD = "CARD", _("Card")
    BANK_TRANSFER = "BANK_TRANSFER", _("Bank transfer")


class PaymentStatus(models.TextChoices):
    PREPARING = "PREPARING", _("Being prepared")
    AWAITING_PAYMENT = "AWAITING_PAYMENT", _("Awaiting payment")
    PROCESSING = "PROCESSING", _("Processing")
    SUCCEEDED = "SUCCEEDED", _("Paid")
    CANCELED = "CANCELED", _("Canceled")


LIVE_PAYMENT_STATUSES = (
    PaymentStatus.PREPARING,
    PaymentStatus.AWAITING_PAYMENT,
    PaymentStatus.PROCESSING,
    PaymentStatus.SUCCEEDED,
)


class Payment(models.Model):
    """One amount a payer owes the court for a purpose, and how it is being paid."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("payer"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    # The company the payer pays for as its representative: receipts are in its name.
    company = models.ForeignKey(
        "accounts.Company",
        verbose_name=_("for the company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    method = models.CharField(_("method"), max_length=14, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PREPARING
    )
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.CharField(_("for (reference)"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    file_number = models.CharField(_("file number"), max_length=40, blank=True)
    intent_id = models.CharField(
        _("payment intent"), max_length=64, null=True, blank=True, unique=True
    )
    charge_id = models.CharField(
        _("card charge"), max_length=64, null=True, blank=True, unique=True
    )
    bank_reference = models.CharField(
        _("bank transfer reference"), max_length=24, null=True, blank=True, unique=True
    )
    confirm_attempts = models.PositiveIntegerField(_("card attempts"), default=0)
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    failure_message = models.CharField(_("failure"), max_length=300, blank=True)
    refunded_minor = models.BigIntegerField(_("refunded (minor units)"), default=0)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmation_note = models.TextField(_("confirmation note"), blank=True)
    receipt = models.OneToOneField(
        "core.Receipt",
        verbose_name=_("receipt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    succeeded_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values),
                name="payments_payment_status_known",
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=Purpose.values),
                name="payments_payment_purpose_known",
            ),
            models.CheckConstraint(
                condition=Q(method__in=Method.values),
                name="payments_payment_method_known",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="payments_payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0)
                & Q(refunded_minor__lte=models.F("amount_minor")),
                name="payments_payment_refund_within_amount",
            ),
            models.UniqueConstraint(
                fields=["payer", "purpose", "reference"],
                condition=Q(status__in=LIVE_PAYMENT_STATUSES),
                name="payments_payment_one_live_per_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.money} ({self.get_status_display()})"

    @property
    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def payer_name(self) -> str:
        """Who the receipt names: the company (by its representative) or the payer."""
        if self.company is None:
            return str(self.payer.full_name)
        return f"{self.company.name} ({self.company.registration_number}) / {self.payer.full_name}"

    @property
    def failure_reason(self) -> str:
        """Why the card was declined, in the reader's language.

        The provider's own message is in English only: it is shown as it came
        only to English readers, and only for a reason not known here.
        """
        known = DECLINE_REASONS.get(self.failure_code)
        if known is not None:
            return str(known)
        return self.failure_message if (get_language() or "").startswith("en") else ""

    @property
    def refundable(self) -> Money:
        return Money(self.amount_minor - self.refunded_minor, self.currency)

    @property
    def stripe_reference(self) -> str:
        """Our reference in the provider's metadata."""
        return f"payment:{self.public_id}"


class RefundStatus(models.TextChoices):
    REQUESTED = "REQUESTED", _("Requested")
    SENT = "SENT", _("Sent")
    AWAITING_BANK = "AWAITING_BANK", _("To be paid by bank transfer")
    SUCCEEDED = "SUCCEEDED", _("Refunded")
    FAILED = "FAILED", _("Failed")


class Refund(models.Model):
    """Money paid back to a payer, through the provider or by the court's bank."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=14, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    reason = models.CharField(_("reason"), max_length=200)
    stripe_refund_id = models.CharField(
        _("provider refund"), max_length=64, null=True, blank=True, unique=True
    )
    failure_reason = models.CharField(_("failure"), max_length=200, blank=True)
    needs_attention = models.BooleanField(_("needs finance staff"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receipt = models.OneToOneField(
        "core.Receipt",
        verbose_name=_("receipt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RefundStatus.values),
                name="payments_refund_status_known",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="payments_refund_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.money} ({self.get_status_display()})"

    @property
    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def stripe_reference(self) -> str:
        return f"refund:{self.public_id}"


class DistributionHold(models.Model):
    """A stop on paying out a file's proceeds, for example while a card payment is disputed."""

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    file_number = models.CharField(_("file number"), max_length=40, blank=True)
    payment = models.ForeignKey(
        Payment,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holds",
    )
    reason = models.CharField(_("reason"), max_length=200)
    source = models.CharField(_("source"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("distribution hold")
        verbose_name_plural = _("distribution holds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_number or self.payment_id}: {self.reason}"
