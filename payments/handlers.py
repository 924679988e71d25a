"""What each provider event means for our records, by type; run by the payment worker.

Each handler finds our record through the metadata we set, the intent or the
card charge, locks it, and moves it up the explicit order of its states
(`payments.engine`) through `payments.outcomes`, so a repeat, a late event
or one out of order changes nothing it should not. A handler returns a note
for the event ("" when it did its work).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from core.money import from_stripe_amount
from payments import confirmation, engine, listeners, locks, outcomes
from payments.client import REFERENCE_KEY, StripeObject
from payments.models import EventStatus, Payment, Refund, RefundStatus, WebhookEvent

logger = logging.getLogger("payments.webhooks")


def _payment_for(obj: dict[str, Any]) -> Payment | None:
    """Our payment an object is about: by our metadata, its intent, or its card charge."""
    reference = str((obj.get("metadata") or {}).get(REFERENCE_KEY, ""))
    found = None
    public_id = _uuid(reference.removeprefix("payment:"))
    if reference.startswith("payment:") and public_id:
        found = Payment.objects.filter(public_id=public_id).first()
    intent = obj.get("payment_intent") if obj.get("object") != "payment_intent" else obj.get("id")
    if found is None and isinstance(intent, str) and intent:
        found = Payment.objects.filter(intent_id=intent).first()
    charge = obj.get("id") if obj.get("object") == "charge" else obj.get("charge")
    if found is None and isinstance(charge, str) and charge:
        found = Payment.objects.filter(charge_id=charge).first()
    return locks.lock_payment(found.pk) if found else None


def charge_of(obj: dict[str, Any]) -> str:
    """The card charge an intent or a charge object names ("" if none)."""
    if obj.get("object") == "charge":
        return str(obj.get("id") or "")
    latest = obj.get("latest_charge")
    if isinstance(latest, dict):
        latest = latest.get("id")
    if not latest:
        charges = (obj.get("charges") or {}).get("data") or []
        latest = charges[0].get("id") if charges and isinstance(charges[0], dict) else ""
    return str(latest or "")


WAITING_FOR_CHARGE = "waiting for the payment of its charge"


def learn_charge(payment: Payment, charge: str) -> None:
    """Record the payment's card charge (locked payment); disputes that waited for it apply now."""
    if not charge or payment.charge_id or Payment.objects.filter(charge_id=charge).exists():
        return
    payment.charge_id = charge[:64]
    payment.save(update_fields=["charge_id"])
    waiting = WebhookEvent.objects.filter(
        type__startswith="charge.dispute.",
        status=EventStatus.PROCESSED,
        note=WAITING_FOR_CHARGE,
        payload__data__object__charge=charge,
    ).order_by("id")
    for event in locks.lock_events(waiting):
        obj = event.payload["data"]["object"]
        outcomes.dispute_opened(
            payment, dispute_id=str(obj["id"]), reason=str(obj.get("reason", ""))
        )
        event.note = "applied when the charge's payment became known"
        event.save(update_fields=["note"])


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _refund_for(obj: dict[str, Any]) -> Refund | None:
    reference = str((obj.get("metadata") or {}).get(REFERENCE_KEY, ""))
    found = None
    public_id = _uuid(reference.removeprefix("refund:"))
    if reference.startswith("refund:") and public_id:
        found = Refund.objects.filter(public_id=public_id).first()
    if found is None:
        found = Refund.objects.filter(stripe_refund_id=obj.get("id")).first()
    return locks.lock_refund(found.pk) if found else None


def _amount_matches(payment: Payment, obj: dict[str, Any]) -> bool:
    try:
        received = from_stripe_amount(
            int(obj.get("amount_received") or obj.get("amount") or 0), str(obj.get("currency", ""))
        )
    except (TypeError, ValueError):
        return False
    return received == payment.money


def on_intent_succeeded(obj: dict[str, Any], provider: StripeObject | None = None) -> str:
    """Credit the payment once the provider's own PaymentIntent (`provider`) confirms it.

    `provider` is what the API answered for the event's PaymentIntent, retrieved before this
    transaction (`payments.webhooks.process_pending`); None only where nothing can be asked
    (development's emulated events).
    """
    payment = _payment_for(obj)
    if payment is None:
        return "not a payment of ours"
    if not _amount_matches(payment, obj):
        logger.error("payment %s: the provider reports another amount", payment.pk)
        return "amount does not match the payment; left for finance"
    if provider is not None and (problem := confirmation.mismatch(payment, provider)):
        logger.error("payment %s: the provider does not confirm it (%s)", payment.pk, problem)
        return f"not confirmed by the provider ({problem}); left for finance"
    outcomes.payment_received(payment, intent_id=str(obj["id"]))
    learn_charge(payment, charge_of(obj))
    return ""


def on_intent_failed(obj: dict[str, Any]) -> str:
    payment = _payment_for(obj)
    if payment is None:
        return "not a payment of ours"
    error = obj.get("last_payment_error") or {}
    outcomes.payment_failed(
        payment,
        code=str(error.get("decline_code") or error.get("code") or "payment_failed"),
        message=str(error.get("message") or ""),
    )
    return ""


def on_intent_canceled(obj: dict[str, Any]) -> str:
    payment = _payment_for(obj)
    if payment is None:
        return "not a payment of ours"
    outcomes.payment_canceled(payment)
    return ""


def on_charge_succeeded(obj: dict[str, Any]) -> str:
    """A card charge of one of our intents: what it tells us is which charge it was."""
    payment = _payment_for(obj)
    if payment is None:
        return "not a payment of ours"
    learn_charge(payment, charge_of(obj))
    return ""


def on_charge_refunded(obj: dict[str, Any]) -> str:
    """A charge (partly) refunded: each refund it lists, or ours it covers, moves forward."""
    payment = _payment_for(obj)
    if payment is None:
        return "not a payment of ours"
    learn_charge(payment, charge_of(obj))
    listed = (obj.get("refunds") or {}).get("data")
    if isinstance(listed, list) and listed:
        notes = [on_refund_updated(item) for item in listed if isinstance(item, dict)]
        return "; ".join(note for note in notes if note)
    return _refunded_up_to(payment, obj)


def _refunded_up_to(payment: Payment, obj: dict[str, Any]) -> str:
    """Without the refunds listed: those sent, oldest first, that `amount_refunded` covers."""
    try:
        refunded = from_stripe_amount(int(obj.get("amount_refunded") or 0), payment.currency)
    except (TypeError, ValueError):
        return "amount_refunded is not an amount"
    covered = 0
    for refund in payment.refunds.exclude(status=RefundStatus.FAILED).order_by("pk"):
        covered += refund.amount_minor
        if covered > refunded.amount_minor:
            break
        if refund.status == RefundStatus.SENT:
            outcomes.refund_paid(locks.lock_refund(refund.pk), completed=True)
    return ""


def on_refund_updated(obj: dict[str, Any]) -> str:
    """A refund's status, as the provider reports it, moves ours up its order (or not at all)."""
    refund = _refund_for(obj)
    if refund is None:
        return "not a refund of ours"
    target = engine.PROVIDER_REFUND_STATES.get(str(obj.get("status") or ""))
    if target is None:
        return f"refund status {str(obj.get('status'))[:40]!r} changes nothing"
    if target == RefundStatus.FAILED:
        outcomes.refund_failed(
            refund, reason=str(obj.get("failure_reason") or obj.get("status") or "failed")
        )
    else:
        outcomes.refund_paid(
            refund,
            completed=target == RefundStatus.SUCCEEDED,
            stripe_refund_id=str(obj["id"]),
        )
    return ""


def on_dispute_created(obj: dict[str, Any]) -> str:
    """A dispute, matched by its intent or its charge; one whose charge we do not know waits."""
    payment = _payment_for(obj)
    if payment is None:
        return WAITING_FOR_CHARGE if isinstance(obj.get("charge"), str) else "not a payment of ours"
    outcomes.dispute_opened(payment, dispute_id=str(obj["id"]), reason=str(obj.get("reason", "")))
    return ""


def on_money_movement(event_type: str, obj: dict[str, Any]) -> str:
    """transfer.* and payout.*: what they mean for the court's disbursements (listeners)."""
    return listeners.money_out_event(event_type, obj)


HANDLERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "payment_intent.succeeded": on_intent_succeeded,
    "payment_intent.payment_failed": on_intent_failed,
    "payment_intent.canceled": on_intent_canceled,
    "charge.succeeded": on_charge_succeeded,
    "charge.refunded": on_charge_refunded,
    "refund.created": on_refund_updated,
    "refund.updated": on_refund_updated,
    "refund.failed": on_refund_updated,
    "charge.refund.updated": on_refund_updated,
    "charge.dispute.created": on_dispute_created,
}


def handler_for(event_type: str) -> Callable[[dict[str, Any]], str] | None:
    if event_type in HANDLERS:
        return HANDLERS[event_type]
    if event_type.startswith(("transfer.", "payout.")):
        return lambda obj: on_money_movement(event_type, obj)
    return None
