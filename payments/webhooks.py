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

from core import logs
from core.errors import DomainError
from payments import handlers, jobs, locks, metrics
from payments.client import StripeClient, StripeError, StripeObject
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


def emulated_events() -> bool:
    """Development's emulated provider events are on (test keys only; production refuses it)."""
    return bool(getattr(settings, "STRIPE_EMULATE_EVENTS", False)) and str(
        settings.STRIPE_SECRET_KEY
    ).startswith("sk_test_")


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
                request_id=logs.request_id(),
            )
    except IntegrityError:
        # The same event again (the provider retries): acknowledged, and nothing more.
        return Received(event["id"], event["type"], is_duplicate=True, is_ignored=True)
    if note:
        logger.warning("payment event %s (%s) ignored: %s", event["id"], event["type"], note)
    return Received(event["id"], event["type"], False, status == EventStatus.IGNORED)


# -- processing ---------------------------------------------------------------------------------


# Events whose handler credits money only once the provider's API confirms it.
CONFIRMED_WITH_PROVIDER = frozenset({"payment_intent.succeeded"})


def process_pending(*, client: StripeClient | None = None, limit: int = 100) -> int:
    """Dispatch stored events one by one (each in its own transaction); returns how many.

    A `payment_intent.succeeded` is first confirmed with the provider (`client`, or one made
    from the settings), outside any transaction: the event is taken under its row lock only
    after the answer came. While the provider cannot be reached such events stay received
    for the next pass; events of other types go on.
    """
    if client is None:
        with StripeClient.from_settings() as own:
            return process_pending(client=own, limit=limit)
    done, provider_away = 0, False
    seen: set[int] = set()
    while done < limit:
        candidate = (
            WebhookEvent.objects.filter(status=EventStatus.RECEIVED)
            .exclude(pk__in=seen)
            .order_by("received_at", "id")
            .values_list("pk", "type", "payload")
            .first()
        )
        if candidate is None:
            return done
        pk, event_type, payload = candidate
        seen.add(pk)
        if provider_away and event_type in CONFIRMED_WITH_PROVIDER:
            continue  # waits for the next pass; events of other types go on
        try:
            provider = _ask_provider(client, event_type, payload)
        except StripeError as error:
            if jobs.is_transient(error):
                logger.warning("event %s waits: the provider could not be asked (%s)", pk, error)
                provider_away = True
                continue
            # The provider answered that it has no such PaymentIntent (or refused to say).
            provider = {"status": f"refused by the provider: {error.code or error.status}"}
        with transaction.atomic():
            event = locks.claim_event(pk)
            if event is None:
                continue  # another worker has it
            _process(event, provider)
        done += 1
    return done


def _ask_provider(
    client: StripeClient, event_type: str, payload: dict[str, Any]
) -> StripeObject | None:
    """The provider's PaymentIntent behind an event that would credit money, else None."""
    if event_type not in CONFIRMED_WITH_PROVIDER or emulated_events():
        # Development's emulated events stand in for a stripe-mock that keeps no state, so
        # there is nothing to ask; production refuses STRIPE_EMULATE_EVENTS.
        return None
    intent_id = str(((payload.get("data") or {}).get("object") or {}).get("id") or "")
    if not intent_id.startswith("pi_") or not intent_id.isascii() or "/" in intent_id:
        return {"status": "no PaymentIntent id to ask about"}
    return client.retrieve_payment_intent(intent_id)


def _process(event: WebhookEvent, provider: StripeObject | None = None) -> None:
    with logs.bound(request_id=event.request_id or None, event=event.event_id):
        _dispatch(event, provider)
    metrics.EVENTS_PROCESSED.labels(event.status).inc()


def _dispatch(event: WebhookEvent, provider: StripeObject | None) -> None:
    handler = handler_for(event.type)
    event.attempts += 1
    try:
        with transaction.atomic():
            obj = event.payload["data"]["object"]
            if event.type in CONFIRMED_WITH_PROVIDER:
                note = handlers.on_intent_succeeded(obj, provider)
            else:
                note = handler(obj) if handler else "not handled"
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
