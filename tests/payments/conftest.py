"""Fixtures of the payment tests: a stripe-mock of their own, the fault proxy, signed events."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import pytest
from django.conf import settings

from tests.harness.fault_proxy import FaultProxy
from tests.harness.servers import ARTIFACTS_LOGS, Server, stripe_mock


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[Server]:
    with stripe_mock(ARTIFACTS_LOGS) as server:
        yield server


@pytest.fixture
def proxy(stripe_server: Server) -> Iterator[FaultProxy]:
    """A recording proxy in front of stripe-mock that keeps Stripe's idempotency promise and
    the PaymentIntents' state (the worker asks it before crediting a payment)."""
    with FaultProxy(stripe_server.base_url, idempotent=True, stateful=True) as running:
        yield running


class Sleeps:
    """An injected sleep: records the pauses the client asked for and returns at once."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


# -- signed events, as the provider would send them ----------------------------------------------

_event_ids = itertools.count(1)


def make_event(event_type: str, obj: dict, *, event_id: str | None = None, **extra) -> bytes:
    """A provider event around `obj`, serialised as the provider would."""
    body = {
        "id": event_id or f"evt_test_{next(_event_ids)}_{time.monotonic_ns()}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2024-06-20",
        "data": {"object": obj},
        **extra,
    }
    return json.dumps(body).encode()


def signature_header(
    payload: bytes, *, secret: str | None = None, at: int | None = None, extra: str = ""
) -> str:
    from payments.webhooks import sign

    timestamp = int(time.time()) if at is None else at
    value = sign(payload, secret or settings.STRIPE_WEBHOOK_SECRET, timestamp)
    return f"t={timestamp},v1={value}{extra}"


def post_event(client, payload: bytes, header: str | None = None):
    """POST `payload` to the webhook with a valid signature unless `header` is given."""
    headers = {"HTTP_STRIPE_SIGNATURE": header if header is not None else signature_header(payload)}
    return client.generic(
        "POST", "/payments/webhooks/stripe", payload, content_type="application/json", **headers
    )


def intent_object(payment, *, status: str = "succeeded", **extra) -> dict:
    from core.money import stripe_amount

    return {
        "id": payment.intent_id or "pi_unknown",
        "object": "payment_intent",
        "amount": stripe_amount(payment.money),
        "amount_received": stripe_amount(payment.money) if status == "succeeded" else 0,
        "currency": payment.currency.lower(),
        "status": status,
        "metadata": {"mazad_ref": payment.stripe_reference},
        **extra,
    }


@pytest.fixture
def stripe(proxy, sleeps):
    """Our client, through the recording proxy, with an instant sleep."""
    from payments.client import StripeClient

    with StripeClient(proxy.base_url, "sk_test_mazad", sleep=sleeps, timeout=2) as client:
        yield client


class Clock:
    """The worker's clock, moved by the test; it starts a minute ahead, so new jobs are due."""

    def __init__(self) -> None:
        from datetime import timedelta

        from django.utils import timezone

        self.at = timezone.now() + timedelta(minutes=1)

    def __call__(self):
        return self.at

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def work(stripe_client, clock=None) -> int:
    """One pass of the worker in this process: stored events, then due jobs."""
    from django.utils import timezone

    from payments import jobs, webhooks

    done = webhooks.process_pending(client=stripe_client)
    done += jobs.run_due_jobs(client=stripe_client, now=clock or timezone.now)
    return done
