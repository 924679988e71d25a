"""Development: sign and deliver a provider event for a payment, as the provider would.

stripe-mock never sends events, so in development a paid card deposit stays
"being confirmed" until this delivers `payment_intent.succeeded` (or another
type) to the webhook with the configured secret, like Stripe's CLI trigger.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.money import stripe_amount
from payments import webhooks
from payments.models import Payment

TYPES = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled")


class Command(BaseCommand):
    help = "Sign and deliver a test provider event for a payment to the webhook (development)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("payment", help="The payment's public id (from its page address).")
        parser.add_argument("--type", choices=TYPES, default=TYPES[0])
        parser.add_argument(
            "--url", default=f"{settings.SITE_URL.rstrip('/')}/payments/webhooks/stripe"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not str(settings.STRIPE_SECRET_KEY).startswith("sk_test_"):
            raise CommandError("test events are only sent with a test secret key")
        payment = Payment.objects.filter(public_id=options["payment"]).first()
        if payment is None or not payment.intent_id:
            raise CommandError("no card payment with a PaymentIntent has this id")
        payload = json.dumps(self._event(payment, options["type"])).encode()
        stamp = int(time.time())
        signature = webhooks.sign(payload, settings.STRIPE_WEBHOOK_SECRET, stamp)
        response = httpx.post(
            options["url"],
            content=payload,
            headers={
                "Stripe-Signature": f"t={stamp},v1={signature}",
                "Content-Type": "application/json",
            },
            timeout=10,
        )
        self.stdout.write(f"{response.status_code} {response.text}")

    def _event(self, payment: Payment, event_type: str) -> dict[str, Any]:
        status = {"payment_intent.succeeded": "succeeded", "payment_intent.canceled": "canceled"}
        amount = stripe_amount(payment.money)
        obj: dict[str, Any] = {
            "id": payment.intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount if event_type == TYPES[0] else 0,
            "currency": payment.currency.lower(),
            "status": status.get(event_type, "requires_payment_method"),
            "metadata": {"mazad_ref": payment.stripe_reference},
        }
        if event_type == "payment_intent.payment_failed":
            obj["last_payment_error"] = {
                "type": "card_error",
                "code": "card_declined",
                "message": "Test decline.",
            }
        return {
            "id": f"evt_test_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
