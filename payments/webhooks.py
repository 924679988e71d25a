"""Signed events from the payment provider: verify, store once, then process from the table.

`receive` runs in the web request: it checks the Stripe-Signature header
(HMAC-SHA256 over "{t}.{raw body}", every v1 value compared in constant time,
300 s tolerance) before parsing anything, stores the event once by its own
id, and returns. Events of types we do not handle, and events whose object
has no id (`balance.available`), are stored as ignored and answered 200, so
the provider never retries them. `process_pending` runs in the payment
worker and dispatches by type to `payments.handlers`, which find our records through the
metadata we set (or the intent, or the charge) and move each object's state
up its explicit order (`payments.engine`), so any sequence of events, in any
order and repeated, ends in the state of the latest fact. A dispute that
names a charge we have not yet heard of waits, and is applied when the
charge's payment becomes known.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from payments.handlers import HANDLERS, handler_for
from payments.models import EventStatus, WebhookEvent

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "Stripe-Signature"
MAX_ATTEMPTS = 5


class InvalidSignature(DomainError):
    code = "webhook_signature"
    message = _("The Stripe-Signature header is missing, malformed, stale or does not match.")


class MalformedEvent(DomainError):
    code = "webhook_malformed"
    message = _("The event is not a JSON object with an id, a type and data.object.")


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
    if not isinstance(obj, dict):
        raise MalformedEvent(field="data.object")
    return event


def _object_id(event: dict[str, Any]) -> str:
    value = event["data"]["object"].get("id")
    return value[:100] if isinstance(value, str) else ""


def receive(*, payload: bytes, signature: str | None, now: int | None = None) -> Received:
    """Verify and store one event; raises InvalidSignature or MalformedEvent and stores nothing."""
    verify_signature(
        payload,
        signature,
        secret=settings.STRIPE_WEBHOOK_SECRET,
        now=int(time.time()) if now is None else now,
    )
    event = _parse_event(payload)
    object_id = _object_id(event)
    note, status = "", EventStatus.RECEIVED
    if bool(event.get("livemode")) != expected_livemode():
        note, status = "livemode does not match this deployment", EventStatus.IGNORED
    elif event.get("account"):
        note, status = "an event of a connected account", EventStatus.IGNORED
    elif event["type"] not in HANDLERS and not event["type"].startswith(("transfer.", "payout.")):
        note, status = "a type Mazad does not handle", EventStatus.IGNORED
    elif not object_id:
        note, status = "its object has no id", EventStatus.IGNORED
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                event_id=event["id"],
                type=event["type"],
                object_id=object_id,
                livemode=bool(event.get("livemode")),
                created=int(event.get("created") or 0)
                if str(event.get("created") or 0).isdigit()
                else 0,
                payload=event,
                status=status,
                note=note,
                processed_at=timezone.now() if status == EventStatus.IGNORED else None,
            )
    except IntegrityError:
        # The same event again (the provider retries): acknowledged, and nothing more.
        return Received(event["id"], event["type"], is_duplicate=True, is_ignored=True)
    if note:
        logger.warning("payment event %s (%s) ignored: %s", event["id"], event["type"], note)
    return Received(event["id"], event["type"], False, status == EventStatus.IGNORED)


# -- processing ---------------------------------------------------------------------------------


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
    handler = handler_for(event.type)
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
