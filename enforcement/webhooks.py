"""Signed webhooks to agency systems: queued in the transaction, pushed by the worker.

Each delivery is a JSON body POSTed to the agency's endpoint with three headers:

    Mazad-Delivery:  the delivery id (a UUID; the same on every retry of it)
    Mazad-Event:     the event, e.g. `request.created`
    Mazad-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>

A 2xx answer delivers it; anything else (or no answer) is retried with exponential backoff
(AGENCY_WEBHOOK_BACKOFF_SECONDS doubling) up to AGENCY_WEBHOOK_ATTEMPTS, then given up.
Every attempt is logged on the delivery row, which staff see on the order's page.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.organisations import Agency
from enforcement import locks
from enforcement.models import AgencyEndpoint, AgencyLetter, WebhookDelivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Mazad-Signature"
DELIVERY_HEADER = "Mazad-Delivery"
EVENT_HEADER = "Mazad-Event"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` with the agency's secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def set_endpoint(*, agency: Agency, url: str, secret: str = "") -> AgencyEndpoint:
    """Record where the agency receives webhooks (a new secret unless one is given)."""
    endpoint, _created = AgencyEndpoint.objects.update_or_create(
        agency=agency, defaults={"url": url, "secret": secret or new_secret(), "active": True}
    )
    return endpoint


def body_of(delivery: WebhookDelivery) -> bytes:
    envelope = {
        "id": str(delivery.delivery_id),
        "event": delivery.event,
        "created_at": delivery.created_at,
        "data": delivery.payload,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def enqueue(
    *, agency_id: int, event: str, payload: dict[str, Any], letter: AgencyLetter | None = None
) -> WebhookDelivery | None:
    """Queue an event for the agency's endpoint (in the caller's transaction); None without one."""
    endpoint = AgencyEndpoint.objects.filter(agency_id=agency_id, active=True).first()
    if endpoint is None or not endpoint.url:
        return None
    return WebhookDelivery.objects.create(
        agency_id=agency_id,
        letter=letter,
        event=event,
        payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
        next_attempt_at=timezone.now(),
    )


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: the base, doubling, at most a day."""
    seconds = settings.AGENCY_WEBHOOK_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, 86_400))


def _attempt(delivery: WebhookDelivery, client: httpx.Client) -> None:
    endpoint = getattr(delivery.agency, "endpoint", None)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    status: int | None = None
    error = ""
    if endpoint is None or not endpoint.active or not endpoint.url:
        error = "the agency has no active endpoint"
    else:
        body = body_of(delivery)
        headers = {
            "Content-Type": "application/json",
            DELIVERY_HEADER: str(delivery.delivery_id),
            EVENT_HEADER: delivery.event,
            SIGNATURE_HEADER: signature_header(endpoint.secret, int(time.time()), body),
            "User-Agent": "Mazad-Webhooks/1",
        }
        try:
            response = client.post(endpoint.url, content=body, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:300]
    delivery.last_status_code = status
    delivery.last_error = error[:300]
    if not error:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.AGENCY_WEBHOOK_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        logger.warning(
            "webhook delivery given up",
            extra={"delivery": str(delivery.delivery_id), "error": error},
        )
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save()


def deliver_due(now: datetime | None = None, *, limit: int = 50) -> int:
    """Push the deliveries due by `now` (the worker calls this each pass); returns attempts made.

    Each delivery is claimed with SKIP LOCKED in its own transaction, so several workers
    never send one twice at the same moment.
    """
    made = 0
    tried: set[int] = set()  # each delivery once a pass, however soon it is due again
    timeout = settings.AGENCY_WEBHOOK_TIMEOUT_SECONDS
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        while made < limit:
            with transaction.atomic():
                claimed = locks.claim_due_deliveries(now or timezone.now(), 1, skip=tried)
                if not claimed:
                    break
                tried.add(claimed[0].pk)
                _attempt(claimed[0], client)
                made += 1
    return made


def redeliver(delivery: WebhookDelivery) -> None:
    """A given-up delivery (locked by the caller) is due again now, its attempts starting over;
    its id stays, so the receiver may dedupe it."""
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
