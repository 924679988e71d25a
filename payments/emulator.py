"""Development only: stand in for the provider's signed events, which stripe-mock never sends.

With STRIPE_EMULATE_EVENTS on (`make run` turns it on; production never does,
and it needs a test secret key), a confirmed test card is followed by the event
Stripe itself would send: `payment_intent.succeeded`, or
`payment_intent.payment_failed` for the declining test card. The event is
signed with the configured secret and posted to our own webhook after the
confirmation commits, exactly as an outside delivery would arrive.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import httpx
from django.conf import settings

from core.money import stripe_amount
from core.transactions import after_commit
from payments import webhooks
from payments.models import Payment

logger = logging.getLogger(__name__)

DECLINING_METHODS = frozenset({"pm_card_chargeDeclined"})


def is_on() -> bool:
    return webhooks.emulated_events()


def event_for(payment: Payment, event_type: str) -> dict[str, Any]:
    amount = stripe_amount(payment.money)
    succeeded = event_type == "payment_intent.succeeded"
    intent: dict[str, Any] = {
        "id": payment.intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if succeeded else 0,
        "currency": payment.currency.lower(),
        "status": "succeeded" if succeeded else "requires_payment_method",
        "metadata": {"mazad_ref": payment.stripe_reference},
    }
    if not succeeded:
        intent["last_payment_error"] = {
            "type": "card_error",
            "code": "card_declined",
            "message": "Your card was declined (test card).",
        }
    return {
        "id": f"evt_emulated_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": intent},
    }


def deliver(event: dict[str, Any]) -> int:
    """Sign and POST one event to our webhook; returns the HTTP status (0 if unreachable)."""
    payload = json.dumps(event).encode()
    stamp = int(time.time())
    signature = webhooks.sign(payload, settings.STRIPE_WEBHOOK_SECRET, stamp)
    url = f"{settings.SITE_URL.rstrip('/')}/payments/webhooks/stripe"
    try:
        response = httpx.post(
            url,
            content=payload,
            timeout=10,
            headers={
                "Stripe-Signature": f"t={stamp},v1={signature}",
                "Content-Type": "application/json",
            },
        )
    except httpx.HTTPError as error:
        logger.warning("emulated event not delivered: %s", error)
        return 0
    return response.status_code


def after_confirmation(payment: Payment, payment_method: str) -> None:
    """Queue the provider's event for a confirmed test card (call inside the transaction)."""
    if not is_on() or not payment.intent_id:
        return
    kind = (
        "payment_intent.payment_failed"
        if payment_method in DECLINING_METHODS
        else "payment_intent.succeeded"
    )
    event = event_for(payment, kind)
    after_commit(lambda: deliver(event))
