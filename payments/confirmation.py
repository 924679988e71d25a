"""Before a payment is credited, the provider itself is asked: a signed event is not enough.

The webhook's signature proves only that whoever sent the event knows the webhook secret;
with that secret leaked or left at a sample value, anyone could sign "succeeded" for any
payment. So the worker retrieves the PaymentIntent from the provider's API (authenticated by
the secret key, over TLS) and credits the payment only when the provider's own record says
succeeded, for our payment's amount, in its currency, with our reference in its metadata.
"""

from __future__ import annotations

from typing import Any

from core.money import from_stripe_amount
from payments.client import REFERENCE_KEY, StripeObject
from payments.models import Payment


def mismatch(payment: Payment, intent: StripeObject | dict[str, Any]) -> str:
    """What in the provider's PaymentIntent disagrees with our payment; "" when all agree."""
    if intent.get("status") != "succeeded":
        return f"status {intent.get('status')!s:.60}"
    if payment.intent_id and intent.get("id") != payment.intent_id:
        return "another PaymentIntent"
    metadata = intent.get("metadata") or {}
    if metadata.get(REFERENCE_KEY) != payment.stripe_reference:
        return "metadata names another payment"
    if str(intent.get("currency", "")).upper() != payment.currency:
        return "another currency"
    try:
        received = from_stripe_amount(int(intent.get("amount_received") or 0), payment.currency)
    except (TypeError, ValueError):
        return "no amount"
    if received != payment.money:
        return "another amount"
    return ""
