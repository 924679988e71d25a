"""A signed `payment_intent.succeeded` credits nothing until the provider's API confirms it.

The provider here is stripe-mock behind the test's recording proxy, which keeps the state of
the PaymentIntents made through it (stripe-mock answers every retrieval with one fixture);
each disagreement is the provider's record for the intent, set through the proxy as a real
provider would hold it, while the signed event claims otherwise.
"""

from __future__ import annotations

import pytest

from core.money import Money
from payments import services
from payments.models import EventStatus, JournalEntry, Payment, PaymentStatus, Purpose, WebhookEvent
from tests.conftest import make_user
from tests.harness.fault_proxy import Fault
from tests.payments.conftest import intent_object, make_event, post_event, work

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_by_card(court, stripe, proxy):
    """A deposit whose intent was made and confirmed with a test card through the provider."""
    payment = services.collect_payment(
        payer=make_user(verified=True),
        court=court,
        amount=Money(150_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:confirm",
    )
    work(stripe)
    payment.refresh_from_db()
    services.confirm_card_payment(
        payer=payment.payer, payment=payment, payment_method="pm_card_visa"
    )
    work(stripe)
    payment.refresh_from_db()
    return payment


def _unchanged(payment: Payment) -> bool:
    payment.refresh_from_db()
    return payment.status != PaymentStatus.SUCCEEDED and not JournalEntry.objects.exists()


def test_a_payment_confirmed_by_the_provider_is_credited_once(client, stripe, proxy, paid_by_card):
    post_event(client, make_event("payment_intent.succeeded", intent_object(paid_by_card)))

    work(stripe)

    paid_by_card.refresh_from_db()
    assert paid_by_card.status == PaymentStatus.SUCCEEDED
    assert JournalEntry.objects.count() == 1
    asked = [r for r in proxy.log if r.method == "GET" and paid_by_card.intent_id in r.path]
    assert len(asked) == 1


def test_a_signed_success_for_an_intent_the_payer_never_paid_credits_nothing(client, court, stripe):
    payment = services.collect_payment(
        payer=make_user(verified=True),
        court=court,
        amount=Money(150_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:unpaid",
    )
    work(stripe)  # the intent exists at the provider, unpaid
    payment.refresh_from_db()

    post_event(client, make_event("payment_intent.succeeded", intent_object(payment)))
    work(stripe)

    assert _unchanged(payment)
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.PROCESSED
    assert "not confirmed by the provider (status requires_payment_method)" in event.note


@pytest.mark.parametrize(
    ("provider_says", "problem"),
    [
        ({"amount": 1_000, "amount_received": 1_000}, "another amount"),
        ({"currency": "usd"}, "another currency"),
        ({"metadata": {"mazad_ref": "payment:00000000-0000-0000-0000-000000000000"}}, "metadata"),
        ({"status": "processing", "amount_received": 0}, "status processing"),
    ],
)
def test_a_success_the_provider_contradicts_credits_nothing(
    client, stripe, proxy, paid_by_card, provider_says, problem
):
    proxy.provide_intent({**intent_object(paid_by_card), **provider_says})

    post_event(client, make_event("payment_intent.succeeded", intent_object(paid_by_card)))
    work(stripe)

    assert _unchanged(paid_by_card)
    assert problem in WebhookEvent.objects.get().note


def test_while_the_provider_cannot_be_asked_the_event_waits_then_credits_once(
    client, stripe, proxy, paid_by_card
):
    post_event(client, make_event("payment_intent.succeeded", intent_object(paid_by_card)))
    proxy.script(*[Fault("status", 503)] * 3)  # the call and the client's two retries

    work(stripe)
    waiting = WebhookEvent.objects.get()
    unchanged = _unchanged(paid_by_card)
    work(stripe)

    assert waiting.status == EventStatus.RECEIVED
    assert unchanged
    paid_by_card.refresh_from_db()
    assert paid_by_card.status == PaymentStatus.SUCCEEDED
    assert JournalEntry.objects.count() == 1


def test_an_intent_the_provider_does_not_know_credits_nothing(client, court, stripe, proxy):
    payment = services.collect_payment(
        payer=make_user(verified=True),
        court=court,
        amount=Money(150_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:unknown",
    )
    Payment.objects.filter(pk=payment.pk).update(intent_id="pi_forged_by_someone")
    payment.refresh_from_db()
    proxy.script(
        Fault(
            "status",
            404,
            {"Content-Type": "application/json"},
            b'{"error": {"type": "invalid_request_error", "code": "resource_missing"}}',
        )
    )

    post_event(client, make_event("payment_intent.succeeded", intent_object(payment)))
    work(stripe)

    assert _unchanged(payment)
    assert "resource_missing" in WebhookEvent.objects.get().note
