"""Development: deliver the provider's confirmation of sent transfers and payouts, signed.

stripe-mock never sends events, so in development a sent disbursement stays
"sent" until this delivers `transfer.created` (or `payout.paid`) for it to the
webhook, like the payer page's `send_test_event` does for payments.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from aftersale.models import Disbursement
from core.money import stripe_amount
from payments import webhooks


class Command(BaseCommand):
    help = "Sign and deliver the provider's confirmation of every sent disbursement (development)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--url", default=f"{settings.SITE_URL.rstrip('/')}/payments/webhooks/stripe"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not str(settings.STRIPE_SECRET_KEY).startswith("sk_test_"):
            raise CommandError("test events are only sent with a test secret key")
        for item in Disbursement.objects.filter(status=Disbursement.Status.SENT).exclude(
            provider_id=None
        ):
            payload = json.dumps(self._event(item)).encode()
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
            self.stdout.write(f"{item.short_reference} {response.status_code}")

    def _event(self, item: Disbursement) -> dict[str, Any]:
        payout = item.method == "PAYOUT"
        return {
            "id": f"evt_test_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "type": "payout.paid" if payout else "transfer.created",
            "created": int(time.time()),
            "livemode": False,
            "data": {
                "object": {
                    "id": item.provider_id,
                    "object": "payout" if payout else "transfer",
                    "amount": stripe_amount(item.money, for_card=False),
                    "currency": item.currency.lower(),
                    "status": "paid",
                    "metadata": {"mazad_ref": item.reference},
                }
            },
        }
