"""What the provider's answers and events mean for our records: statuses, ledger, receipts.

Each function expects its payment (or refund) locked by the caller, runs in
the caller's transaction and is idempotent: an answer or event that arrives
twice, or after a later one, changes nothing the second time.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit, receipts
from core.models import Receipt
from notifications import services as outbox
from payments import engine, ledger, listeners
from payments.models import (
    AccountPurpose,
    DistributionHold,
    JournalEntry,
    Method,
    Payment,
    PaymentStatus,
    Purpose,
    Refund,
    RefundStatus,
)

STATUS_FIELDS = ["status", "intent_id", "failure_code", "failure_message", "refunded_minor"]


def _money_account(payment: Payment) -> Any:
    purpose = (
        AccountPurpose.PROVIDER_CLEARING
        if payment.method == Method.CARD
        else AccountPurpose.COURT_CUSTODY
    )
    return ledger.account(court=payment.court, purpose=purpose, currency=payment.currency)


def _owed_account(payment: Payment) -> Any:
    if payment.purpose == Purpose.DEPOSIT:
        return ledger.account(
            court=payment.court, purpose=AccountPurpose.BIDDER_DEPOSITS, currency=payment.currency
        )
    return ledger.account(
        court=payment.court,
        purpose=AccountPurpose.SALE_PROCEEDS,
        currency=payment.currency,
        file_number=payment.file_number,
    )


def _record(
    payment: Payment, action: str, before: dict[str, Any], actor: Any = None, note: str = ""
) -> None:
    before, after = audit.changes(before, audit.snapshot(payment, STATUS_FIELDS))
    audit.record(
        actor=actor,
        action=action,
        obj=payment,
        before=before,
        after=after,
        court_id=payment.court_id,
        note=note,
    )


def intent_created(payment: Payment, intent_id: str) -> None:
    """The provider made the PaymentIntent: the payer can now pay."""
    before = audit.snapshot(payment, STATUS_FIELDS)
    if not payment.intent_id:
        payment.intent_id = intent_id
    if payment.status == PaymentStatus.PREPARING:
        payment.status = PaymentStatus.AWAITING_PAYMENT
    payment.save(update_fields=["intent_id", "status"])
    _record(payment, "payment.intent_created", before)


def payment_received(
    payment: Payment, *, actor: Any = None, note: str = "", intent_id: str | None = None
) -> None:
    """The money arrived: status, ledger entry and receipt, once."""
    if not engine.payment_advances(payment.status, PaymentStatus.SUCCEEDED):
        return
    before = audit.snapshot(payment, STATUS_FIELDS)
    payment.status = PaymentStatus.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.failure_code = payment.failure_message = ""
    if intent_id and not payment.intent_id:
        payment.intent_id = intent_id
    ledger.post_entry(
        court=payment.court,
        memo=f"{payment.get_purpose_display()} {payment.reference}",
        legs=[
            ledger.debit(_money_account(payment), payment.money),
            ledger.credit(_owed_account(payment), payment.money),
        ],
        idempotency_key=f"payment:{payment.public_id}:received",
        reference=payment,
        actor=actor,
    )
    payment.receipt = receipts.issue(
        kind=Receipt.Kind.PAYMENT,
        title=_("Payment received"),
        lines=_payment_lines(payment),
        subject=payment,
        court=payment.court,
        issued_to=payment.payer,
    )
    payment.save()
    _record(payment, "payment.succeeded", before, actor=actor, note=note)
    listeners.payment_received(payment)


def _payment_lines(payment: Payment) -> list[receipts.Line]:
    lines = [
        receipts.Line(_("Amount"), payment.money, role="amount"),
        receipts.Line(_("For"), Purpose(payment.purpose).label),
        receipts.Line(_("Paid by"), payment.payer_name, role="party"),
        receipts.Line(_("Method"), Method(payment.method).label),
        receipts.Line(_("Reference"), payment.description or payment.reference),
        receipts.Line(_("Paid on"), payment.succeeded_at),
    ]
    if payment.file_number:
        lines.append(receipts.Line(_("Enforcement file"), payment.file_number))
    provider = payment.intent_id or payment.bank_reference
    if provider:
        lines.append(receipts.Line(_("Payment reference"), provider))
    return lines


def payment_failed(payment: Payment, *, code: str, message: str) -> None:
    """A card attempt failed: the payer may try again with another card."""
    if not engine.payment_advances(payment.status, PaymentStatus.AWAITING_PAYMENT):
        return
    before = audit.snapshot(payment, STATUS_FIELDS)
    payment.status = (
        PaymentStatus.AWAITING_PAYMENT if payment.intent_id else PaymentStatus.PREPARING
    )
    payment.failure_code = code[:64]
    payment.failure_message = message[:300]
    payment.save(update_fields=["status", "failure_code", "failure_message"])
    _record(payment, "payment.failed", before)


def payment_canceled(payment: Payment) -> None:
    if not engine.payment_advances(payment.status, PaymentStatus.CANCELED):
        return
    before = audit.snapshot(payment, STATUS_FIELDS)
    payment.status = PaymentStatus.CANCELED
    payment.save(update_fields=["status"])
    _record(payment, "payment.canceled", before)


def _refund_key(refund: Refund) -> str:
    return f"refund:{refund.public_id}:paid"


def refund_paid(
    refund: Refund,
    *,
    completed: bool,
    actor: Any = None,
    note: str = "",
    stripe_refund_id: str | None = None,
) -> None:
    """The money left for the payer (or the provider accepted to send it): ledger and receipt.

    `completed` says it reached them (SUCCEEDED), else it is on its way (SENT);
    a refund already further along its order (SUCCEEDED, FAILED) is left alone.
    """
    target = RefundStatus.SUCCEEDED if completed else RefundStatus.SENT
    if not engine.refund_advances(refund.status, target):
        return
    before = audit.snapshot(refund, ["status", "stripe_refund_id"])
    payment = refund.payment
    if stripe_refund_id and not refund.stripe_refund_id:
        refund.stripe_refund_id = stripe_refund_id
    if refund.receipt_id is None:
        ledger.post_entry(
            court=payment.court,
            memo=f"Refund {payment.reference}",
            legs=[
                ledger.debit(_owed_account(payment), refund.money),
                ledger.credit(_money_account(payment), refund.money),
            ],
            idempotency_key=_refund_key(refund),
            reference=refund,
            actor=actor,
        )
        refund.receipt = receipts.issue(
            kind=Receipt.Kind.REFUND,
            title=_("Refund"),
            lines=[
                receipts.Line(_("Amount"), refund.money, role="amount"),
                receipts.Line(_("Paid to"), payment.payer_name, role="party"),
                receipts.Line(_("Reason"), refund.reason),
                receipts.Line(
                    _("Refund of receipt"), payment.receipt.number if payment.receipt else "—"
                ),
            ],
            subject=refund,
            court=payment.court,
            issued_to=payment.payer,
        )
        outbox.tell(
            key=f"payment.refunded:{refund.public_id}",
            kind="payment.refunded",
            to=payment.payer,
            params={"amount": refund.money, "reference": refund.receipt.number},
            time_zone=payment.court,
        )
    refund.needs_attention = False
    refund.failure_reason = ""
    refund.status = target
    if completed:
        refund.completed_at = refund.completed_at or timezone.now()
    refund.save()
    audit.record(
        actor=actor,
        action="refund.succeeded" if completed else "refund.sent",
        obj=refund,
        before=before,
        after=audit.snapshot(refund, ["status", "stripe_refund_id"]),
        court_id=payment.court_id,
        note=note,
    )


def refund_failed(refund: Refund, *, reason: str) -> None:
    """The refund did not reach the payer: the money is held for them again; finance is told."""
    if not engine.refund_advances(refund.status, RefundStatus.FAILED):
        return
    before = audit.snapshot(refund, ["status", "needs_attention"])
    payment = refund.payment
    posted = JournalEntry.objects.filter(idempotency_key=_refund_key(refund)).first()
    if posted is not None:
        ledger.reverse_entry(
            entry=posted, memo=f"Refund failed {payment.reference}", reference=refund
        )
    payment.refunded_minor -= refund.amount_minor
    payment.save(update_fields=["refunded_minor"])
    refund.status = RefundStatus.FAILED
    refund.needs_attention = True
    refund.failure_reason = reason[:200]
    refund.save()
    audit.record(
        actor=None,
        action="refund.failed",
        obj=refund,
        before=before,
        after=audit.snapshot(refund, ["status", "needs_attention", "failure_reason"]),
        court_id=payment.court_id,
    )


def dispute_opened(payment: Payment, *, dispute_id: str, reason: str) -> None:
    """A card payment is disputed: hold the distribution of its file until finance clears it."""
    hold, created = DistributionHold.objects.get_or_create(
        source=f"dispute:{dispute_id}",
        defaults={
            "court": payment.court,
            "file_number": payment.file_number,
            "payment": payment,
            "reason": f"Card dispute: {reason}"[:200],
        },
    )
    if created:
        audit.record(
            actor=None,
            action="payment.disputed",
            obj=hold,
            after={"payment": payment.pk, "dispute": dispute_id, "reason": reason},
            court_id=payment.court_id,
        )
