"""Signed events from the payment provider: verify, store once, then process from the table.

`receive` runs in the web request: it checks the Stripe-Signature header
(HMAC-SHA256 over "{t}.{raw body}", every v1 value compared in constant time,
300 s tolerance) before parsing anything, stores the event once (unique by
id, and by type and object), and returns. `process_pending` runs in the
payment worker and dispatches by type; handlers find our records through
the metadata we set, so the order in which events arrive does not matter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import logs
from core.errors import DomainError
from payments import listeners, locks, metrics, outcomes
from payments.client import REFERENCE_KEY
from payments.models import EventStatus, Payment, Refund, RefundStatus, WebhookEvent

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "Stripe-Signature"
MAX_ATTEMPTS = 5


class InvalidSignature(DomainError):
    code = "webhook_signature"
    message = _("The Stripe-Signature header is missing, malformed, stale or does not match.")


class MalformedEvent(DomainError):
    code = "webhook_malformed"
    message = _("The event is not a JSON object with an id, a type and data.object.id.")


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The v1 signature of `payload` at `timestamp` (what the provider sends, and our tests)."""
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(
    payload: bytes,
    header: str | None,
    *,
    secret: str,
    now: int,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise InvalidSignature unless one v1 signature in `header` matches within the tolerance."""
    if tolerance <= 0:
        raise ValueError("the tolerance is never 0: it is what stops replays")
    timestamp, candidates = _parse_header(header)
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature(field=SIGNATURE_HEADER, code="webhook_stale")
    expected = sign(payload, secret, timestamp)
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise InvalidSignature(field=SIGNATURE_HEADER)


def _parse_header(header: str | None) -> tuple[int, list[str]]:
    if not header or len(header) > 4096:
        raise InvalidSignature(field=SIGNATURE_HEADER)
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, _sep, value = item.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature(field=SIGNATURE_HEADER)
    return timestamp, candidates


def expected_livemode() -> bool:
    return str(settings.STRIPE_SECRET_KEY).startswith("sk_live_")


@dataclass(frozen=True)
class Received:
    event_id: str
    type: str
    is_duplicate: bool
    is_ignored: bool


def _parse_event(payload: bytes) -> dict[str, Any]:
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise MalformedEvent(field="body", code="webhook_malformed_json") from None
    if not isinstance(event, dict):
        raise MalformedEvent(field="body")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    for field, value in (("id", event.get("id")), ("type", event.get("type"))):
        if not isinstance(value, str) or not value or len(value) > 100:
            raise MalformedEvent(field=field)
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise MalformedEvent(field="data.object.id")
    return event


def receive(*, payload: bytes, signature: str | None, now: int | None = None) -> Received:
    """Verify and store one event; raises InvalidSignature or MalformedEvent and stores nothing."""
    verify_signature(
        payload,
        signature,
        secret=settings.STRIPE_WEBHOOK_SECRET,
        now=int(time.time()) if now is None else now,
    )
    event = _parse_event(payload)
    note, status = "", EventStatus.RECEIVED
    if bool(event.get("livemode")) != expected_livemode():
        note, status = "livemode does not match this deployment", EventStatus.IGNORED
    elif event.get("account"):
        note, status = "an event of a connected account", EventStatus.IGNORED
    elif event["type"] not in HANDLERS and not event["type"].startswith(("transfer.", "payout.")):
        note, status = "a type Mazad does not handle", EventStatus.IGNORED
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                event_id=event["id"],
                type=event["type"],
                object_id=event["data"]["object"]["id"][:100],
                livemode=bool(event.get("livemode")),
                created=int(event.get("created") or 0)
                if str(event.get("created") or 0).isdigit()
                else 0,
                payload=event,
                status=status,
                note=note,
                processed_at=timezone.now() if status == EventStatus.IGNORED else None,
                request_id=logs.request_id(),
            )
    except IntegrityError:
        # The same id, or another event for the same object and type: acknowledged, ignored.
        return Received(event["id"], event["type"], is_duplicate=True, is_ignored=True)
    if note:
        logger.warning("payment event %s (%s) ignored: %s", event["id"], event["type"], note)
    return Received(event["id"], event["type"], False, status == EventStatus.IGNORED)


# -- processing ---------------------------------------------------------------------------------


def _payment_for(obj: dict[str, Any]) -> Payment | None:
    reference = str((obj.get("metadata") or {}).get(REFERENCE_KEY, ""))
    found = None
    public_id = _uuid(reference.removeprefix("payment:"))
    if reference.startswith("payment:") and public_id:
        found = Payment.objects.filter(public_id=public_id).first()
    intent = obj.get("payment_intent") if obj.get("object") != "payment_intent" else obj.get("id")
    if found is None and isinstance(intent, str):
        found = Payment.objects.filter(intent_id=intent).first()
    return locks.lock_payment(found.pk) if found else None


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
    from payments.money import from_stripe_amount

    try:
        received = from_stripe_amount(
            int(obj.get("amount_received") or obj.get("amount") or 0), str(obj.get("currency", ""))
        )
    except (TypeError, ValueError):
        return False
    return received == payment.money


def on_intent_succeeded(obj: dict[str, Any]) -> str:
    payment = _payment_for(obj)
    if payment is None:
        return "not a payment of ours"
    if not _amount_matches(payment, obj):
        logger.error("payment %s: the provider reports another amount", payment.pk)
        return "amount does not match the payment; left for finance"
    outcomes.payment_received(payment, intent_id=str(obj["id"]))
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


def on_charge_refunded(obj: dict[str, Any]) -> str:
    payment = _payment_for(obj)
    if payment is None:
        return "not a payment of ours"
    for refund in payment.refunds.filter(status=RefundStatus.SENT).order_by("pk"):
        outcomes.refund_paid(locks.lock_refund(refund.pk), completed=True)
    return ""


def on_refund_updated(obj: dict[str, Any]) -> str:
    refund = _refund_for(obj)
    if refund is None:
        return "not a refund of ours"
    if obj.get("status") == "failed":
        outcomes.refund_failed(refund, reason=str(obj.get("failure_reason") or "failed"))
    elif obj.get("status") == "succeeded":
        outcomes.refund_paid(refund, completed=True, stripe_refund_id=str(obj["id"]))
    return ""


def on_dispute_created(obj: dict[str, Any]) -> str:
    payment = _payment_for(obj)
    if payment is None:
        return "not a payment of ours"
    outcomes.dispute_opened(payment, dispute_id=str(obj["id"]), reason=str(obj.get("reason", "")))
    return ""


def on_money_movement(event_type: str, obj: dict[str, Any]) -> str:
    """transfer.* and payout.*: what they mean for the court's disbursements (listeners)."""
    return listeners.money_out_event(event_type, obj)


HANDLERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "payment_intent.succeeded": on_intent_succeeded,
    "payment_intent.payment_failed": on_intent_failed,
    "payment_intent.canceled": on_intent_canceled,
    "charge.refunded": on_charge_refunded,
    "refund.updated": on_refund_updated,
    "refund.failed": on_refund_updated,
    "charge.refund.updated": on_refund_updated,
    "charge.dispute.created": on_dispute_created,
}


def _handler(event_type: str) -> Callable[[dict[str, Any]], str] | None:
    if event_type in HANDLERS:
        return HANDLERS[event_type]
    if event_type.startswith(("transfer.", "payout.")):
        return lambda obj: on_money_movement(event_type, obj)
    return None


def process_pending(*, limit: int = 100) -> int:
    """Dispatch stored events one by one (each in its own transaction); returns how many."""
    done = 0
    while done < limit:
        with transaction.atomic():
            event = (
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(status=EventStatus.RECEIVED)
                .order_by("received_at", "id")
                .first()
            )
            if event is None:
                return done
            _process(event)
        done += 1
    return done


def _process(event: WebhookEvent) -> None:
    with logs.bound(request_id=event.request_id or None, event=event.event_id):
        _dispatch(event)
    metrics.EVENTS_PROCESSED.labels(event.status).inc()


def _dispatch(event: WebhookEvent) -> None:
    handler = _handler(event.type)
    event.attempts += 1
    try:
        with transaction.atomic():
            note = handler(event.payload["data"]["object"]) if handler else "not handled"
    except Exception as error:
        logger.exception("payment event %s failed", event.event_id)
        event.note = repr(error)[:2000]
        if event.attempts >= MAX_ATTEMPTS:
            event.status = EventStatus.FAILED
        event.save(update_fields=["attempts", "note", "status"])
        return
    event.status = EventStatus.PROCESSED
    event.note = note
    event.processed_at = timezone.now()
    event.save(update_fields=["attempts", "note", "status", "processed_at"])
