"""Provider events as the provider really sends them: stripe-mock's own fixture objects wrapped
as events, several events of one type about one object, objects without an id, disputes that
name only the charge, and any order and repetition of a payment's and a refund's events."""

from __future__ import annotations

import itertools
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.organisations import Court
from core.models import Receipt
from core.money import Money, stripe_amount
from payments import ledger, services, webhooks
from payments.models import (
    AccountPurpose,
    DistributionHold,
    EventStatus,
    JournalEntry,
    Payment,
    PaymentStatus,
    Purpose,
    Refund,
    RefundStatus,
    WebhookEvent,
)
from tests.conftest import make_user
from tests.payments.conftest import intent_object, make_event, post_event, signature_header

pytestmark = pytest.mark.django_db

_courts = itertools.count(1)


def fixture_object(stripe_server, path: str) -> dict:
    """The object stripe-mock serves for `path`: the provider's own shape, not ours."""
    response = httpx.get(
        f"{stripe_server.base_url}/v1/{path}",
        headers={"Authorization": "Bearer sk_test_123"},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


# The provider as the worker asks it before crediting a payment: a proxy in front of stripe-mock
# that keeps each PaymentIntent's state (stripe-mock answers every lookup with one fixture).
_provider: list = []


@pytest.fixture(autouse=True)
def provider(proxy, settings):
    settings.STRIPE_API_BASE = proxy.base_url
    _provider[:] = [proxy]
    yield proxy
    _provider.clear()


def paid_card_payment(court, amount=150_000) -> Payment:
    payment = services.collect_payment(
        payer=make_user(verified=True),
        court=court,
        amount=Money(amount, court.currency),
        purpose=Purpose.DEPOSIT,
        reference=f"registration:{uuid.uuid4().hex[:8]}",
    )
    Payment.objects.filter(pk=payment.pk).update(
        intent_id=f"pi_{uuid.uuid4().hex[:16]}", status=PaymentStatus.PROCESSING
    )
    payment.refresh_from_db()
    _provider[0].provide_intent(intent_object(payment))  # the payer paid at the provider
    return payment


def deliver(obj: dict, event_type: str, *, event_id: str | None = None) -> webhooks.Received:
    payload = make_event(event_type, obj, event_id=event_id)
    return webhooks.receive(payload=payload, signature=signature_header(payload))


def refund_object(refund: Refund, status: str, base: dict | None = None) -> dict:
    return {
        **(base or {"id": f"re_{refund.public_id.hex[:12]}", "object": "refund"}),
        "amount": stripe_amount(refund.money),
        "currency": refund.currency.lower(),
        "status": status,
        "payment_intent": refund.payment.intent_id,
        "metadata": {"mazad_ref": refund.stripe_reference},
        **({"failure_reason": "expired_or_canceled_card"} if status == "failed" else {}),
    }


def refund_entries(refund: Refund) -> list[JournalEntry]:
    return list(
        JournalEntry.objects.filter(reference_type="payments.refund", reference_id=str(refund.pk))
    )


def refund_receipts(refund: Refund) -> int:
    return Receipt.objects.filter(
        kind=Receipt.Kind.REFUND, subject_type="payments.refund", subject_id=str(refund.pk)
    ).count()


@pytest.fixture
def paid(court):
    payment = paid_card_payment(court)
    deliver(intent_object(payment), "payment_intent.succeeded")
    webhooks.process_pending()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


# -- several events of one type about one object ---------------------------------------------------


def test_refund_updated_pending_then_succeeded_ends_succeeded_with_its_entry_and_receipt(
    paid, stripe_server
):
    refund = services.refund_payment(payment=paid, reason="Lot closed; not the winner")
    provider = fixture_object(stripe_server, "refunds/re_123")

    deliver(refund_object(refund, "pending", provider), "refund.updated")
    deliver(refund_object(refund, "succeeded", provider), "refund.updated")
    webhooks.process_pending()

    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.stripe_refund_id == provider["id"]
    assert len(refund_entries(refund)) == 1
    assert refund_receipts(refund) == 1
    assert not refund.needs_attention
    assert WebhookEvent.objects.filter(type="refund.updated").count() == 2


def test_a_refund_that_fails_after_it_succeeded_is_reversed_and_flagged(paid, stripe_server):
    refund = services.refund_payment(payment=paid, reason="Lot closed")
    provider = fixture_object(stripe_server, "refunds/re_123")

    deliver(refund_object(refund, "succeeded", provider), "refund.updated")
    webhooks.process_pending()
    deliver(refund_object(refund, "failed", provider), "refund.failed")
    deliver(refund_object(refund, "succeeded", provider), "refund.updated")  # late repeat
    webhooks.process_pending()

    refund.refresh_from_db()
    paid.refresh_from_db()
    assert (refund.status, refund.needs_attention) == (RefundStatus.FAILED, True)
    assert len(refund_entries(refund)) == 2  # the entry and its reversal
    assert paid.refunded_minor == 0


def test_two_partial_refunds_of_one_charge_both_succeed(paid, stripe_server):
    charge = fixture_object(stripe_server, "charges/ch_123")
    first = services.refund_payment(
        payment=paid, reason="Part one", amount=Money(50_000, paid.currency)
    )
    second = services.refund_payment(
        payment=paid, reason="Part two", amount=Money(30_000, paid.currency)
    )
    charge.update(payment_intent=paid.intent_id, currency="sar", amount=stripe_amount(paid.money))

    for refunds in ([first], [first, second]):
        listed = [refund_object(item, "succeeded") for item in refunds]
        deliver({**charge, "refunds": {"object": "list", "data": listed}}, "charge.refunded")
    webhooks.process_pending()

    assert {item.status for item in Refund.objects.filter(payment=paid)} == {RefundStatus.SUCCEEDED}
    assert len(refund_entries(first)) == len(refund_entries(second)) == 1
    paid.refresh_from_db()
    assert paid.charge_id == "ch_123"


# -- objects without an id, and unknown types ----------------------------------------------------


def test_balance_available_is_answered_200_and_stored_as_ignored(client, stripe_server):
    balance = fixture_object(stripe_server, "balance")
    assert "id" not in balance

    response = post_event(client, make_event("balance.available", balance))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.type, event.status, event.object_id) == (
        "balance.available",
        EventStatus.IGNORED,
        "",
    )
    assert event.payload["data"]["object"]["object"] == "balance"
    assert not JournalEntry.objects.exists()


def test_a_handled_type_whose_object_has_no_id_is_stored_as_ignored(client, paid):
    obj = intent_object(paid)
    del obj["id"]

    response = post_event(client, make_event("payment_intent.succeeded", obj))

    assert response.status_code == 200
    assert WebhookEvent.objects.latest("id").status == EventStatus.IGNORED
    assert "no id" in WebhookEvent.objects.latest("id").note


# -- disputes by the charge ----------------------------------------------------------------------


@pytest.mark.parametrize("dispute_first", [False, True], ids=["payment-first", "dispute-first"])
def test_a_dispute_naming_only_the_charge_holds_the_file_in_either_order(
    court, stripe_server, dispute_first
):
    dispute = fixture_object(stripe_server, "disputes/dp_123")
    assert dispute["payment_intent"] is None
    payment = paid_card_payment(court)
    succeeded = intent_object(payment, latest_charge=dispute["charge"])
    events = [(dispute, "charge.dispute.created"), (succeeded, "payment_intent.succeeded")]

    for obj, event_type in events if dispute_first else reversed(events):
        deliver(obj, event_type)
        webhooks.process_pending()

    hold = DistributionHold.objects.get()
    assert hold.payment == payment
    assert hold.source == f"dispute:{dispute['id']}"
    payment.refresh_from_db()
    assert payment.charge_id == dispute["charge"]


def test_a_dispute_of_a_charge_that_is_not_ours_changes_nothing(court, stripe_server):
    dispute = fixture_object(stripe_server, "disputes/dp_123")

    deliver(dispute, "charge.dispute.created")
    webhooks.process_pending()

    assert not DistributionHold.objects.exists()
    assert WebhookEvent.objects.get().status == EventStatus.PROCESSED


# -- any order, any repetition -------------------------------------------------------------------

PAYMENT_FACTS = ["payment_failed", "succeeded", "canceled"]
REFUND_FACTS = ["pending", "succeeded", "charge_refunded", "failed"]


def _payment_event(payment: Payment, fact: str) -> tuple[dict, str]:
    if fact == "payment_failed":
        obj = intent_object(payment, status="requires_payment_method")
        obj["last_payment_error"] = {"type": "card_error", "code": "card_declined"}
        return obj, "payment_intent.payment_failed"
    if fact == "canceled":
        return intent_object(payment, status="canceled"), "payment_intent.canceled"
    return intent_object(payment), "payment_intent.succeeded"


def _refund_event(refund: Refund, fact: str) -> tuple[dict, str]:
    if fact == "charge_refunded":
        charge = {
            "id": f"ch_{refund.payment.intent_id}",
            "object": "charge",
            "payment_intent": refund.payment.intent_id,
            "refunds": {"object": "list", "data": [refund_object(refund, "succeeded")]},
        }
        return charge, "charge.refunded"
    event_type = "refund.failed" if fact == "failed" else "refund.updated"
    return refund_object(refund, fact), event_type


def _send(obj: dict, event_type: str, repeat_id: bool, process: bool) -> None:
    event_id = f"evt_{uuid.uuid4().hex}"
    deliver(obj, event_type, event_id=event_id)
    if repeat_id:
        deliver(obj, event_type, event_id=event_id)  # the provider's retry of the same event
    if process:
        webhooks.process_pending()


def _expected_refund(facts: list[str]) -> str:
    if "failed" in facts:
        return RefundStatus.FAILED
    if {"succeeded", "charge_refunded"} & set(facts):
        return RefundStatus.SUCCEEDED
    return RefundStatus.SENT if "pending" in facts else RefundStatus.REQUESTED


def _steps(facts: list[str]):
    return st.lists(
        st.tuples(st.sampled_from(facts), st.booleans(), st.booleans()), min_size=1, max_size=8
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=_steps(PAYMENT_FACTS),
    after=st.lists(
        st.tuples(
            st.sampled_from([*(f"payment:{f}" for f in PAYMENT_FACTS), *REFUND_FACTS]),
            st.booleans(),
            st.booleans(),
        ),
        min_size=1,
        max_size=10,
    ),
)
def test_any_order_and_repetition_of_events_ends_in_the_latest_fact_with_a_true_ledger(
    db, before, after
):
    number = next(_courts)
    court = Court.objects.create(
        code=f"P{number:03d}",
        name_ar="محكمة",
        name_en=f"Court {number}",
        city="Riyadh",
        time_zone="Asia/Riyadh",
        currency="SAR",
    )
    payment = paid_card_payment(court)
    # Phase one: the payment's events in any order, with the success among them.
    for fact, repeat_id, process in [*before, ("succeeded", False, False)]:
        _send(*_payment_event(payment, fact), repeat_id, process)
    webhooks.process_pending()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    refund = services.refund_payment(payment=payment, reason="Lot closed")
    # Phase two: the refund's events mixed with late repeats of the payment's.
    for fact, repeat_id, process in after:
        if fact.startswith("payment:"):
            _send(*_payment_event(payment, fact.removeprefix("payment:")), repeat_id, process)
        else:
            _send(*_refund_event(refund, fact), repeat_id, process)
    webhooks.process_pending()

    payment.refresh_from_db()
    refund.refresh_from_db()
    expected = _expected_refund([fact for fact, _r, _p in after])
    assert payment.status == PaymentStatus.SUCCEEDED
    assert refund.status == expected
    payment_entries = JournalEntry.objects.filter(
        reference_type="payments.payment", reference_id=str(payment.pk)
    )
    assert payment_entries.count() == 1
    is_out = expected in (RefundStatus.SENT, RefundStatus.SUCCEEDED)
    deposits = ledger.account(court=court, purpose=AccountPurpose.BIDDER_DEPOSITS, currency="SAR")
    held = payment.amount_minor - (refund.amount_minor if is_out else 0)
    assert ledger.balance(deposits).amount_minor == -held  # a liability: credits are negative
    assert payment.refunded_minor == (0 if expected == RefundStatus.FAILED else refund.amount_minor)
    assert len(refund_entries(refund)) in ((1,) if is_out else (0, 2))
    assert refund_receipts(refund) <= 1
    if is_out:
        assert refund_receipts(refund) == 1
    assert refund.needs_attention is (expected == RefundStatus.FAILED)
    assert not WebhookEvent.objects.filter(status=EventStatus.FAILED).exists()


def test_a_second_failure_of_one_intent_is_recorded_not_dropped(court):
    payment = paid_card_payment(court)

    for code in ("card_declined", "expired_card"):
        failed = intent_object(payment, status="requires_payment_method")
        failed["last_payment_error"] = {"type": "card_error", "code": code, "message": code}
        deliver(failed, "payment_intent.payment_failed")
        webhooks.process_pending()

    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == (
        PaymentStatus.AWAITING_PAYMENT,
        "expired_card",
    )
    assert WebhookEvent.objects.filter(status=EventStatus.PROCESSED).count() == 2
