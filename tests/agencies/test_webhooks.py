"""Signed webhooks: the reference client verifies them and refuses replays; failed deliveries
are retried with backoff and given up, every attempt logged."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from core.models import AuditRecord
from enforcement import webhooks
from enforcement.models import WebhookDelivery
from tests.agencies.helpers import issued_order, system
from tests.agencies.test_end_to_end import AgencyProcess, eventually, order_status
from tests.conftest import make_user
from tests.harness.servers import free_port
from tools.agency_client import signing

pytestmark = pytest.mark.django_db(transaction=True)


def test_signatures_verify_and_tampering_or_old_timestamps_do_not():
    body = b'{"id":"1","event":"request.created"}'
    now = int(time.time())
    header = webhooks.signature_header("whsec_x", now, body)
    assert signing.verify("whsec_x", header, body) == now
    with pytest.raises(signing.BadSignature):
        signing.verify("whsec_x", header, body + b" ")
    with pytest.raises(signing.BadSignature):
        signing.verify("whsec_other", header, body)
    old = webhooks.signature_header("whsec_x", now - 3600, body)
    with pytest.raises(signing.BadSignature):
        signing.verify("whsec_x", old, body)


def test_the_client_refuses_a_replayed_or_forged_delivery_and_answers_once(
    court, web_servers, agency_processes
):
    traffic = system("VEHICLE")
    process = AgencyProcess(str(web_servers["daphne"].base_url), traffic)
    agency_processes.append(process)
    order = issued_order(court, "VEHICLE", traffic.agency)
    eventually(lambda: order_status(order) == "EXECUTED", "the block", process)
    delivery = WebhookDelivery.objects.get(letter__order=order, event="request.created")
    body = webhooks.body_of(delivery)
    url = f"http://127.0.0.1:{process.port}/webhooks"

    def send(signature: str) -> httpx.Response:
        return httpx.post(
            url,
            content=body,
            trust_env=False,
            headers={
                "Mazad-Delivery": str(delivery.delivery_id),
                "Mazad-Event": delivery.event,
                "Mazad-Signature": signature,
            },
        )

    replayed = send(webhooks.signature_header(process.secret, int(time.time()), body))
    forged = send(webhooks.signature_header("whsec_not_the_secret", int(time.time()), body))

    assert replayed.status_code == 409
    assert forged.status_code == 401
    reasons = [item["reason"] for item in process.events() if item["event"] == "rejected"]
    assert reasons == ["replayed delivery", "no signature matches"]
    assert order.answers.count() == 1


def unreachable_delivery(court):
    """An order issued to an agency whose endpoint nobody listens on, and its delivery."""
    traffic = system("VEHICLE")
    webhooks.set_endpoint(agency=traffic.agency, url=f"http://127.0.0.1:{free_port()}/hooks")
    order = issued_order(court, "VEHICLE", traffic.agency)
    return order, WebhookDelivery.objects.get(letter__order=order)


def test_an_unreachable_endpoint_is_retried_with_backoff_then_given_up(court, settings):
    settings.AGENCY_WEBHOOK_ATTEMPTS = 3
    settings.AGENCY_WEBHOOK_BACKOFF_SECONDS = 30
    _order, delivery = unreachable_delivery(court)

    assert webhooks.deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("PENDING", 1)
    assert "ConnectError" in delivery.last_error
    first_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert first_wait == timedelta(seconds=30)
    assert webhooks.deliver_due() == 0  # not due yet

    later = timezone.now() + timedelta(minutes=2)
    assert webhooks.deliver_due(later) == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - delivery.last_attempt_at == timedelta(seconds=60)
    assert webhooks.deliver_due(later + timedelta(minutes=5)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("FAILED", 3, None)


def test_staff_send_again_a_delivery_given_up_on_from_the_order_page(
    client, court, other_court, settings
):
    settings.AGENCY_WEBHOOK_ATTEMPTS = 1
    order, delivery = unreachable_delivery(court)
    assert webhooks.deliver_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "FAILED"
    page = f"/workspace/orders/{order.pk}/"
    send_again = f"/workspace/orders/{order.pk}/deliveries/{delivery.pk}/redeliver/"

    elsewhere = make_user("EXECUTION_STAFF", court=other_court)
    client.force_login(elsewhere)
    assert client.post(send_again).status_code == 404
    bidder = make_user("BIDDER")
    client.force_login(bidder)
    assert client.post(send_again).status_code in (403, 404)
    delivery.refresh_from_db()
    assert delivery.status == "FAILED"

    staff = make_user("EXECUTION_STAFF", court=court)
    client.force_login(staff)
    assert "Send again" in client.get(page).content.decode()
    answer = client.post(send_again, follow=True)
    assert "The delivery will be sent again." in answer.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("PENDING", 0)
    assert AuditRecord.objects.filter(action="webhook.redelivered", actor=staff).count() == 1
    assert webhooks.deliver_due() == 1  # the worker tries it again, with the same id
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("FAILED", 1)

    # A delivery not given up on is not sent again: the page says why, nothing changes.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="PENDING")
    refused = client.post(send_again, follow=True).content.decode()
    assert "Only a delivery the platform gave up on is sent again" in refused
    assert AuditRecord.objects.filter(action="webhook.redelivered").count() == 1
