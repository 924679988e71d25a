"""The payment verbs other apps and our pages call; each one transaction, audited.

    from payments import services as payments
    payment = payments.collect_payment(payer=user, court=court, amount=Money(500_000, "SAR"),
                                       purpose=Purpose.DEPOSIT, reference="registration:42")
    payments.refund_payment(payment=payment, reason="Lot closed; not the winner")

Card payments go through a durable job (`payments.jobs`); their ledger entry
and receipt are written when the provider's signed success event arrives
(`payments.webhooks`). Bank transfers are confirmed by finance staff.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts.access import has_capability
from accounts.roles import Capability
from core import audit
from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from core.money import Money, stripe_amount
from payments import engine, jobs, locks, outcomes
from payments.models import (
    LIVE_PAYMENT_STATUSES,
    Method,
    Payment,
    PaymentStatus,
    Purpose,
    Refund,
    RefundStatus,
)

# Stripe's test payment methods a bidder may choose where the provider is in test mode.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": _("Visa ending in 4242"),
    "pm_card_mastercard": _("Mastercard ending in 4444"),
    "pm_card_chargeDeclined": _("Visa ending in 0002 (always declined)"),
}
NOTE_MINIMUM_LENGTH = 5


class PaymentRefused(DomainError):
    code = "payment_refused"


def is_test_mode() -> bool:
    return str(settings.STRIPE_SECRET_KEY).startswith("sk_test_")


def _check_amount(amount: Money, method: str, purpose: str, file_number: str) -> None:
    if amount.amount_minor <= 0:
        raise PaymentRefused(
            _("The amount must be greater than zero."), code="amount_positive", field="amount"
        )
    if method not in Method.values:
        raise PaymentRefused(_("Choose a payment method."), code="method_unknown", field="method")
    if purpose not in Purpose.values:
        raise PaymentRefused(_("Unknown payment purpose."), code="purpose_unknown", field="purpose")
    if purpose == Purpose.BALANCE and not file_number:
        raise PaymentRefused(
            _("A balance payment names its enforcement file."),
            code="file_number_required",
            field="file_number",
        )
    refusal = engine.card_refusal(amount) if method == Method.CARD else None
    if refusal == "card_maximum":
        raise PaymentRefused(
            _("%(amount)s is above what a card can carry; pay by bank transfer."),
            code="card_maximum",
            field="method",
            params={"amount": amount.format()},
        )
    if refusal:
        raise PaymentRefused(
            _("A card cannot carry %(amount)s (its last decimal must be 0); pay by bank transfer."),
            code="card_amount_digits",
            field="method",
            params={"amount": amount.format()},
        )


def collect_payment(
    *,
    payer: Any,
    court: Any,
    amount: Money,
    purpose: str,
    reference: str,
    method: str = Method.CARD,
    file_number: str = "",
    description: str = "",
    company: Any = None,
) -> Payment:
    """Ask `payer` to pay `amount` to `court` for `purpose`, identified by the caller's `reference`;
    for `company` (an accounts.Company), when given, the payment and its receipt are in its name.

    Card: a job creates the provider's PaymentIntent (captured at once when
    paid). Bank transfer: the payer gets a creditor reference and the court's
    IBAN. Calling again for the same payer, purpose and reference returns the
    live payment already asked for (same amount) instead of a second one.
    Raises PaymentRefused (codes amount_positive, card_maximum,
    card_amount_digits, currency_mismatch, payment_exists, file_number_required).
    """
    _check_amount(amount, method, purpose, file_number)
    if amount.currency != court.currency:
        raise PaymentRefused(
            _("The court takes payments in %(currency)s."),
            code="currency_mismatch",
            field="amount",
            params={"currency": court.currency},
        )
    with transaction.atomic():
        existing = Payment.objects.filter(
            payer=payer, purpose=purpose, reference=reference, status__in=LIVE_PAYMENT_STATUSES
        ).first()
        if existing is not None:
            return _same_payment_or_refuse(existing, amount, method)
        try:
            with transaction.atomic():
                payment = _create_payment(
                    payer, court, amount, purpose, reference, method, file_number, description
                )
                if company is not None:
                    payment.company = company
                    payment.save(update_fields=["company"])
        except IntegrityError:
            raise PaymentRefused(
                _("A payment for this is already under way."), code="payment_exists"
            ) from None
        audit.record(
            actor=payer,
            action="payment.requested",
            obj=payment,
            after=audit.snapshot(
                payment, ["purpose", "method", "amount_minor", "currency", "reference"]
            ),
            court_id=court.pk,
        )
        return payment


def _same_payment_or_refuse(existing: Payment, amount: Money, method: str) -> Payment:
    if existing.money != amount or existing.method != method:
        raise PaymentRefused(_("A payment for this is already under way."), code="payment_exists")
    return existing


def _create_payment(
    payer: Any,
    court: Any,
    amount: Money,
    purpose: str,
    reference: str,
    method: str,
    file_number: str,
    description: str,
) -> Payment:
    payment = Payment.objects.create(
        court=court,
        payer=payer,
        purpose=purpose,
        method=method,
        amount_minor=amount.amount_minor,
        currency=amount.currency,
        reference=reference,
        file_number=file_number,
        description=description[:200],
        status=PaymentStatus.PREPARING if method == Method.CARD else PaymentStatus.AWAITING_PAYMENT,
        bank_reference=engine.new_bank_reference(court.code)
        if method == Method.BANK_TRANSFER
        else None,
    )
    if method == Method.CARD:
        jobs.enqueue(
            operation="payment_intent.create",
            params=_intent_params(payment),
            idempotency_key=f"mazad:{payment.stripe_reference}:create:v1",
            subject=payment,
            court=court,
        )
    return payment


def _intent_params(payment: Payment) -> dict[str, Any]:
    return {
        "amount": stripe_amount(payment.money),
        "currency": payment.currency.lower(),
        "capture_method": "automatic",  # deposits are captured at once and refunded later
        "payment_method_types": ["card"],
        "description": payment.description or f"{payment.purpose} {payment.reference}",
        "metadata": {
            "mazad_ref": payment.stripe_reference,
            "court": payment.court.code,
            "purpose": payment.purpose,
            "reference": payment.reference,
            "file_number": payment.file_number,
        },
    }


def confirm_card_payment(*, payer: Any, payment: Payment, payment_method: str) -> Payment:
    """The payer pays a card payment with `payment_method`, confirmed server-side through a job.

    Raises NotFound for someone else's payment, PaymentRefused (code
    payment_method) for a method that is not offered, InvalidTransition when
    the payment is not awaiting payment.
    """
    if payment_method not in TEST_PAYMENT_METHODS or not is_test_mode():
        raise PaymentRefused(
            _("Choose one of the cards offered."), code="payment_method", field="payment_method"
        )
    with transaction.atomic():
        locked = locks.lock_payment(payment.pk)
        if locked.payer_id != payer.pk:
            raise NotFound()
        if locked.status != PaymentStatus.AWAITING_PAYMENT or not locked.intent_id:
            raise InvalidTransition(_("This payment is not waiting to be paid."))
        before = audit.snapshot(locked, ["status", "confirm_attempts"])
        locked.confirm_attempts += 1
        locked.status = PaymentStatus.PROCESSING
        locked.failure_code = locked.failure_message = ""
        locked.save()
        jobs.enqueue(
            operation="payment_intent.confirm",
            params={"intent": locked.intent_id, "payment_method": payment_method},
            idempotency_key=f"mazad:{locked.stripe_reference}:confirm:{locked.confirm_attempts}",
            subject=locked,
            court=locked.court,
        )
        audit.record(
            actor=payer,
            action="payment.confirmation_sent",
            obj=locked,
            before=before,
            after=audit.snapshot(locked, ["status", "confirm_attempts"]),
            court_id=locked.court_id,
        )
        return locked


def _require_finance(actor: Any, court_id: int) -> None:
    if not has_capability(actor, Capability.RECONCILE) or actor.court_id != court_id:
        raise PermissionDenied()


def _require_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) < NOTE_MINIMUM_LENGTH:
        raise PaymentRefused(
            _("Write a note of at least %(count)s characters saying how it was checked."),
            code="note_required",
            field="note",
            params={"count": NOTE_MINIMUM_LENGTH},
        )
    return note


def confirm_bank_transfer(*, actor: Any, payment: Payment, note: str) -> Payment:
    """Finance staff confirm a bank transfer arrived: ledger entry, receipt, audited note.

    Raises PermissionDenied (not finance staff of the payment's court),
    PaymentRefused (note_required), InvalidTransition (not an open transfer).
    """
    _require_finance(actor, payment.court_id)
    note = _require_note(note)
    with transaction.atomic():
        locked = locks.lock_payment(payment.pk)
        if locked.method != Method.BANK_TRANSFER or locked.status != PaymentStatus.AWAITING_PAYMENT:
            raise InvalidTransition(_("This is not a bank transfer waiting to be confirmed."))
        locked.confirmed_by = actor
        locked.confirmation_note = note
        outcomes.payment_received(locked, actor=actor, note=note)
        return locked


def cancel_payment(*, actor: Any, payment: Payment) -> Payment:
    """Stop asking for a payment not yet paid (the payer, or the app on their behalf)."""
    with transaction.atomic():
        locked = locks.lock_payment(payment.pk)
        if locked.status not in (PaymentStatus.PREPARING, PaymentStatus.AWAITING_PAYMENT):
            raise InvalidTransition(_("Only a payment not yet paid can be canceled."))
        before = audit.snapshot(locked, ["status"])
        locked.status = PaymentStatus.CANCELED
        locked.save(update_fields=["status"])
        if locked.intent_id:
            jobs.enqueue(
                operation="payment_intent.cancel",
                params={"intent": locked.intent_id},
                idempotency_key=f"mazad:{locked.stripe_reference}:cancel:v1",
                subject=locked,
                court=locked.court,
            )
        audit.record(
            actor=actor,
            action="payment.canceled",
            obj=locked,
            before=before,
            after={"status": locked.status},
            court_id=locked.court_id,
        )
        return locked


def refund_payment(
    *, payment: Payment, reason: str, amount: Money | None = None, actor: Any = None
) -> Refund:
    """Pay back all (or `amount`) of a received payment, e.g. a losing bidder's deposit.

    Card payments are refunded through a job; the ledger entry and the
    receipt are written when the provider accepts it. Bank transfers wait for
    finance staff to pay them out (`confirm_bank_refund`). Raises
    InvalidTransition (not paid) and PaymentRefused (refund_amount).
    """
    with transaction.atomic():
        locked = locks.lock_payment(payment.pk)
        if locked.status != PaymentStatus.SUCCEEDED:
            raise InvalidTransition(_("Only a received payment can be refunded."))
        money = amount or locked.refundable
        if (
            money.currency != locked.currency
            or not 0 < money.amount_minor <= locked.refundable.amount_minor
        ):
            raise PaymentRefused(
                _("A refund is between 0 and %(amount)s."),
                code="refund_amount",
                field="amount",
                params={"amount": locked.refundable.format()},
            )
        locked.refunded_minor += money.amount_minor
        locked.save(update_fields=["refunded_minor"])
        refund = Refund.objects.create(
            payment=locked,
            amount_minor=money.amount_minor,
            currency=money.currency,
            reason=reason[:200],
            requested_by=actor if actor is not None and actor.pk else None,
            status=RefundStatus.REQUESTED
            if locked.method == Method.CARD
            else RefundStatus.AWAITING_BANK,
        )
        if locked.method == Method.CARD:
            _enqueue_refund(refund, locked)
        audit.record(
            actor=actor,
            action="refund.requested",
            obj=refund,
            after=audit.snapshot(
                refund, ["payment", "amount_minor", "currency", "status", "reason"]
            ),
            court_id=locked.court_id,
        )
        return refund


def _enqueue_refund(refund: Refund, payment: Payment) -> None:
    jobs.enqueue(
        operation="refund.create",
        params={
            "payment_intent": payment.intent_id,
            "amount": stripe_amount(refund.money, for_card=False),
            "reason": "requested_by_customer",
            "metadata": {
                "mazad_ref": refund.stripe_reference,
                "payment": payment.stripe_reference,
                "court": payment.court.code,
            },
        },
        idempotency_key=f"mazad:{refund.stripe_reference}:create:v1",
        subject=refund,
        court=payment.court,
    )


def confirm_bank_refund(*, actor: Any, refund: Refund, note: str) -> Refund:
    """Finance staff record that the court's bank paid a refund back: ledger entry and receipt."""
    _require_finance(actor, refund.payment.court_id)
    note = _require_note(note)
    with transaction.atomic():
        locked = locks.lock_refund(refund.pk)
        if locked.status != RefundStatus.AWAITING_BANK:
            raise InvalidTransition(_("This refund is not waiting for the bank."))
        outcomes.refund_paid(locked, actor=actor, note=note, completed=True)
        return locked
