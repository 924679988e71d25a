"""The payment side of a fault scenario: card deposits, the provider's events, the jobs' progress.

stripe-mock sends no events, so the scenario plays the provider's part as
Stripe does: a signed event for every confirmed PaymentIntent, delivered to
a running web process and sent again until it is taken (2xx).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.faults.sale import Sale, db_now
from tests.harness.stack import Stack


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll the database (the worker and the clock are other processes) with a deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def register_by_card(
    stack: Stack, sale: Sale, lot: Any, count: int, *, signed_in: bool = True
) -> list[Any]:
    """Verified bidders registering for `lot`, each deposit a card payment through a job."""
    from auction.services import registration
    from tests.conftest import make_user
    from tests.faults.sale import sign_in

    registrations = [
        registration.register_for_lot(
            user=make_user("BIDDER", verified=True), lot_id=lot.pk, method="CARD"
        )
        for _ in range(count)
    ]
    sale.registrations[lot.pk] = registrations
    if signed_in:
        sign_in(stack, sale)
    return registrations


def jobs(operation: str, court: Any) -> list[Any]:
    from payments.models import PaymentJob

    return list(PaymentJob.objects.filter(operation=operation, court=court).order_by("pk"))


def failed_once(operation: str, court: Any, count: int) -> Callable[[], bool]:
    """True once `count` jobs of `operation` failed an attempt and wait for the next."""

    def check() -> bool:
        found = [j for j in jobs(operation, court) if j.attempts >= 1 and j.status == "PENDING"]
        return len(found) >= count and all(j.last_error for j in found)

    return check


def all_done(operation: str, court: Any, count: int) -> Callable[[], bool]:
    def check() -> bool:
        found = jobs(operation, court)
        return len(found) == count and all(j.status == "DONE" for j in found)

    return check


def let_the_backoff_pass(court: Any) -> int:
    """The pause before a failed job's next attempt (15 s and more) has passed: due now.

    For one court's jobs, or every job with `court=None`.
    """
    from payments.models import JobStatus, PaymentJob

    waiting = PaymentJob.objects.filter(status=JobStatus.PENDING, attempts__gte=1)
    if court is not None:
        waiting = waiting.filter(court=court)
    return waiting.update(next_attempt_at=db_now())


def deliver_succeeded_events(stack: Stack, payments: list[Any], *, timeout: float = 20) -> None:
    """The provider's signed `payment_intent.succeeded` for each payment, until taken."""
    from tests.payments.conftest import intent_object, make_event, signature_header

    for payment in payments:
        payment.refresh_from_db()
        body = make_event("payment_intent.succeeded", intent_object(payment))
        deadline = time.monotonic() + timeout
        while True:
            try:
                response = httpx.post(
                    f"{stack.live_base_url()}/payments/webhooks/stripe",
                    content=body,
                    headers={
                        "Stripe-Signature": signature_header(body),
                        "Content-Type": "application/json",
                    },
                    timeout=5,
                )
                if response.status_code < 300:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the event for payment {payment.pk} was never taken")
            time.sleep(0.2)


def pay_deposits(stack: Stack, registrations: list[Any]) -> list[Any]:
    """Confirm each card deposit and deliver the provider's events; returns the payments."""
    from payments import services as payments
    from payments.models import Payment

    found = []
    for registration in registrations:
        payment = Payment.objects.get(public_id=registration.deposit_reference)
        found.append(
            payments.confirm_card_payment(
                payer=registration.bidder, payment=payment, payment_method="pm_card_visa"
            )
        )
    court = registrations[0].lot.auction.court
    wait_until(
        all_done("payment_intent.confirm", court, len(found)),
        timeout=20,
        what="the confirmations",
    )
    deliver_succeeded_events(stack, found)
    return found
