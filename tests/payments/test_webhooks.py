"""The provider's webhook: signatures, replays, duplicates, order, unknown types, bad JSON."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from django.db import connections
from django.test import Client

from core.money import Money
from payments import services, webhooks
from payments.models import (
    EventStatus,
    JournalEntry,
    Payment,
    PaymentStatus,
    Purpose,
    WebhookEvent,
)
from tests.conftest import make_user
from tests.payments.conftest import intent_object, make_event, post_event, signature_header, work

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(court, proxy):
    created = services.collect_payment(
        payer=make_user(verified=True),
        court=court,
        amount=Money(150_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:w",
    )
    Payment.objects.filter(pk=created.pk).update(
        intent_id="pi_webhook_1", status=PaymentStatus.PROCESSING
    )
    created.refresh_from_db()
    # The provider's own record: the payer paid (the worker asks it before crediting).
    proxy.provide_intent(intent_object(created))
    return created


def nothing_stored():
    return not WebhookEvent.objects.exists() and not JournalEntry.objects.exists()


def test_a_validly_signed_event_is_stored_and_processed(client, payment, stripe):
    payload = make_event("payment_intent.succeeded", intent_object(payment))

    response = post_event(client, payload)
    work(stripe)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert WebhookEvent.objects.get().status == EventStatus.PROCESSED


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(lambda p: signature_header(p, secret="whsec_wrong"), id="wrong-secret"),
        pytest.param(lambda p: signature_header(p, at=int(time.time()) - 301), id="stale-301s"),
        pytest.param(
            lambda p: signature_header(p, at=int(time.time()) + 400), id="from-the-future"
        ),
        pytest.param(lambda p: signature_header(p + b" "), id="body-changed-by-one-byte"),
        pytest.param(lambda p: "", id="missing"),
        pytest.param(lambda p: "t=abc,v1=00", id="malformed"),
        pytest.param(lambda p: signature_header(p).replace("v1=", "v0="), id="only-v0"),
    ],
)
def test_a_bad_signature_gets_400_and_changes_nothing(client, payment, header):
    payload = make_event("payment_intent.succeeded", intent_object(payment))

    response = post_event(client, payload, header(payload))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "Stripe-Signature"
    assert error["code"] in ("webhook_signature", "webhook_stale")
    assert "Stripe-Signature" in error["message"]
    assert nothing_stored()


def test_the_error_is_in_the_callers_language(client, payment, settings):
    payload = make_event("payment_intent.succeeded", intent_object(payment))

    response = post_event(client, payload, "t=1,v1=00")
    arabic = Client(HTTP_ACCEPT_LANGUAGE="ar")
    answer = post_event(arabic, payload, "t=1,v1=00")

    assert response.json()["error"]["message"].startswith("The Stripe-Signature header")
    assert "Stripe-Signature" in answer.json()["error"]["message"]
    assert answer.json()["error"]["message"] != response.json()["error"]["message"]


def test_any_matching_v1_passes_when_the_secret_is_being_rotated(client, payment):
    payload = make_event("payment_intent.succeeded", intent_object(payment))
    old = signature_header(payload, secret="whsec_old_secret")

    response = post_event(client, payload, old + "," + signature_header(payload).split(",")[1])

    assert response.status_code == 200


def test_the_tolerance_is_five_minutes_and_never_zero(payment):
    payload = b"{}"
    header = signature_header(payload, at=1_000)

    webhooks.verify_signature(payload, header, secret="whsec_mazad_development", now=1_300)
    with pytest.raises(webhooks.InvalidSignature):
        webhooks.verify_signature(payload, header, secret="whsec_mazad_development", now=1_301)
    with pytest.raises(ValueError, match="never 0"):
        webhooks.verify_signature(
            payload, header, secret="whsec_mazad_development", now=1_000, tolerance=0
        )
    assert webhooks.TOLERANCE_SECONDS == 300


def test_raw_body_with_odd_whitespace_and_escapes_verifies_as_sent(client, payment, stripe):
    obj = intent_object(payment)
    payload = (
        '{\n  "type" :"payment_intent.succeeded", "id":"evt_odd_\\u0031", "livemode": false,'
        f'"data": {{"object": {json.dumps(obj, indent=3)} }} ,"created":1}}'
    ).encode()

    response = post_event(client, payload)
    work(stripe)

    assert response.status_code == 200
    assert WebhookEvent.objects.get().event_id == "evt_odd_1"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_a_replayed_event_is_acknowledged_and_ignored(client, payment, stripe):
    payload = make_event("payment_intent.succeeded", intent_object(payment))

    first = post_event(client, payload)
    again = post_event(client, payload)
    work(stripe)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["duplicate"] is True
    assert WebhookEvent.objects.count() == 1
    assert JournalEntry.objects.count() == 1


def test_another_event_for_the_same_object_and_type_is_kept_and_has_no_second_effect(
    client, payment, stripe
):
    obj = intent_object(payment)

    post_event(client, make_event("payment_intent.succeeded", obj, event_id="evt_a"))
    second = post_event(client, make_event("payment_intent.succeeded", obj, event_id="evt_b"))
    work(stripe)

    assert second.json()["duplicate"] is False
    assert WebhookEvent.objects.filter(status=EventStatus.PROCESSED).count() == 2
    assert JournalEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_event_ten_times_at_once_has_one_effect(payment, stripe):
    payload = make_event("payment_intent.succeeded", intent_object(payment))
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def deliver() -> None:
        try:
            barrier.wait()
            statuses.append(post_event(Client(), payload).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    work(stripe)

    assert statuses == [200] * 10
    assert WebhookEvent.objects.count() == 1
    assert JournalEntry.objects.count() == 1


def test_out_of_order_a_failure_after_the_success_changes_nothing(client, payment, stripe):
    failed = intent_object(payment, status="requires_payment_method")
    failed["last_payment_error"] = {"type": "card_error", "code": "card_declined", "message": "no"}

    post_event(client, make_event("payment_intent.succeeded", intent_object(payment)))
    post_event(client, make_event("payment_intent.payment_failed", failed))
    post_event(
        client, make_event("payment_intent.canceled", intent_object(payment, status="canceled"))
    )
    work(stripe)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.failure_code == ""
    assert JournalEntry.objects.count() == 1


def test_out_of_order_success_before_our_record_of_the_intent_still_lands(
    client, court, stripe, proxy
):
    early = services.collect_payment(
        payer=make_user(verified=True),
        court=court,
        amount=Money(150_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:early",
    )
    obj = {**intent_object(early), "id": "pi_made_before_we_heard"}
    proxy.provide_intent(obj)  # paid at the provider before our create job ran

    post_event(client, make_event("payment_intent.succeeded", obj))
    work(stripe)  # the event, then the create job, in that order

    early.refresh_from_db()
    assert early.status == PaymentStatus.SUCCEEDED
    assert early.intent_id == "pi_made_before_we_heard"
    assert JournalEntry.objects.count() == 1


def test_an_event_type_we_do_not_handle_is_acknowledged_and_ignored(client, payment):
    response = post_event(
        client, make_event("customer.created", {"id": "cus_1", "object": "customer"})
    )

    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == EventStatus.IGNORED
    assert not JournalEntry.objects.exists()


def test_a_live_event_on_a_test_deployment_is_ignored(client, payment, stripe):
    payload = make_event("payment_intent.succeeded", intent_object(payment), livemode=True)

    response = post_event(client, payload)
    work(stripe)

    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == EventStatus.IGNORED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING


def test_an_event_of_a_connected_account_is_ignored(client, payment, stripe):
    payload = make_event("payment_intent.succeeded", intent_object(payment), account="acct_other")

    post_event(client, payload)
    work(stripe)

    assert WebhookEvent.objects.get().status == EventStatus.IGNORED
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (
            json.dumps({"id": "evt_1", "type": "payment_intent.succeeded", "data": {}}).encode(),
            "data.object",
        ),
        (json.dumps({"type": "x", "data": {"object": {"id": "o"}}}).encode(), "id"),
    ],
    ids=["not-json", "not-an-object", "no-object", "no-id"],
)
def test_malformed_json_with_a_valid_signature_gets_400_naming_the_field(client, payload, field):
    response = post_event(client, payload)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert response.json()["error"]["code"].startswith("webhook_malformed")
    assert nothing_stored()


def test_an_amount_other_than_the_payment_is_not_posted(client, payment, stripe):
    obj = {**intent_object(payment), "amount_received": 1, "amount": 1}

    post_event(client, make_event("payment_intent.succeeded", obj))
    work(stripe)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING
    assert "amount does not match" in WebhookEvent.objects.get().note


def test_transfer_and_payout_events_are_kept_for_reconciliation(client, stripe):
    post_event(client, make_event("transfer.created", {"id": "tr_1", "object": "transfer"}))
    post_event(client, make_event("payout.paid", {"id": "po_1", "object": "payout"}))
    work(stripe)

    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {EventStatus.PROCESSED}


def test_the_webhook_is_the_only_view_without_csrf(payment):
    strict = Client(enforce_csrf_checks=True)
    payload = make_event("payment_intent.succeeded", intent_object(payment))
    strict.force_login(payment.payer)

    webhook = post_event(strict, payload)
    form = strict.post(f"/payments/{payment.public_id}/", {"payment_method": "pm_card_visa"})

    assert webhook.status_code == 200
    assert form.status_code == 403


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_the_webhook_answers_fast_while_the_payment_row_is_locked(web_servers, payment):
    from django.db import transaction

    payload = make_event("payment_intent.succeeded", intent_object(payment))
    url = web_servers["uvicorn"].base_url + "/payments/webhooks/stripe"

    with transaction.atomic():
        Payment.objects.select_for_update().get(pk=payment.pk)  # someone holds the row
        started = time.monotonic()
        response = httpx.post(
            url,
            content=payload,
            headers={
                "Stripe-Signature": signature_header(payload),
                "Content-Type": "application/json",
            },
            timeout=5,
        )
        took = time.monotonic() - started

    assert response.status_code == 200
    assert took < 2
    assert WebhookEvent.objects.filter(status=EventStatus.RECEIVED).count() == 1
