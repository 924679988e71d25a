"""Web push: subscribing through the JSON endpoint, and pushes a real push service process takes.

The push service is tests/harness/push_service.py, run as its own process on loopback: it
decrypts each push with the subscription's private key and checks its VAPID signature.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.urls import reverse

from accounts import webpush
from accounts.models import PushSubscription
from tests.conftest import make_user
from tests.harness.servers import ROOT, free_port, wait_for_port

URL = "/accounts/push/subscription/"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def push_service() -> Iterator[str]:
    """The push service process; its origin."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.harness.push_service", str(port)], cwd=ROOT
    )
    try:
        wait_for_port(port, process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def loopback_push_service(settings: Any, push_service: str) -> str:
    settings.WEBPUSH_PUSH_SERVICES = [*settings.WEBPUSH_PUSH_SERVICES, push_service]
    settings.WEBPUSH_TIMEOUT_SECONDS = 1.0
    return push_service


def browser_subscription(push_service: str, answer: int | str = 201) -> dict[str, Any]:
    """What a browser makes: a P-256 key pair and an auth secret, registered at the service."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = b64url(secrets.token_bytes(16))
    token = secrets.token_hex(8)
    requests.post(
        f"{push_service}/_subscriptions/{token}",
        json={
            "private_key": b64url(private.private_numbers().private_value.to_bytes(32, "big")),
            "auth": auth,
            "vapid_public_key": webpush.public_key(),
            "answer": answer,
        },
        timeout=5,
    ).raise_for_status()
    return {
        "endpoint": f"{push_service}/push/{token}",
        "expirationTime": None,
        "keys": {"p256dh": b64url(public), "auth": auth},
        "token": token,
    }


def received(push_service: str, token: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{push_service}/_subscriptions/{token}", timeout=5)
    return list(answer.json())


def post_json(client: Client, data: Any, method: str = "post") -> Any:
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return getattr(client, method)(URL, body, content_type="application/json")


def subscribed_client(bidder: Any, subscription: dict[str, Any]) -> Client:
    client = Client()
    client.force_login(bidder)
    answer = post_json(client, {k: v for k, v in subscription.items() if k != "token"})
    assert answer.status_code == 201, answer.content
    return client


def test_the_public_key_is_the_uncompressed_point_of_the_configured_private_key():
    key = base64.urlsafe_b64decode(webpush.public_key() + "=")

    assert len(key) == 65
    assert key[0] == 4
    assert reverse("accounts:push_subscription") == URL


@pytest.mark.django_db
def test_a_signed_in_bidder_subscribes_a_browser_and_unsubscribes_it(bidder, loopback_push_service):
    subscription = browser_subscription(loopback_push_service)

    client = subscribed_client(bidder, subscription)

    row = PushSubscription.objects.get()
    assert (row.user, row.endpoint) == (bidder, subscription["endpoint"])
    assert (row.p256dh, row.auth) == (subscription["keys"]["p256dh"], subscription["keys"]["auth"])
    assert row.vapid_public_key == webpush.public_key()
    assert (row.failures, row.last_success_at) == (0, None)

    answer = post_json(client, {"endpoint": subscription["endpoint"]}, method="delete")

    assert answer.status_code == 200
    assert answer.json() == {"subscribed": False}
    assert not PushSubscription.objects.exists()


@pytest.mark.django_db
def test_the_same_browser_subscribed_again_by_another_account_moves_to_it(
    bidder, loopback_push_service
):
    subscription = browser_subscription(loopback_push_service)
    subscribed_client(bidder, subscription)
    other = make_user("BIDDER", verified=True)

    subscribed_client(other, subscription)

    assert list(PushSubscription.objects.values_list("user", flat=True)) == [other.pk]


def _bad(subscription: dict[str, Any]) -> dict[str, tuple[Any, str, str | None]]:
    endpoint, keys = subscription["endpoint"], subscription["keys"]
    return {
        "not json": ("{endpoint", "invalid_json", None),
        "a json list": ("[]", "invalid_json", None),
        "no endpoint": ({"keys": keys}, "required", "endpoint"),
        "endpoint not text": ({"endpoint": 7, "keys": keys}, "required", "endpoint"),
        "plain http": (
            {"endpoint": "http://fcm.googleapis.com/fcm/send/x", "keys": keys},
            "push_endpoint",
            "endpoint",
        ),
        "unknown service": (
            {"endpoint": "https://push.attacker.example/x", "keys": keys},
            "push_endpoint",
            "endpoint",
        ),
        "look-alike host": (
            {"endpoint": "https://fcm.googleapis.com.attacker.example/x", "keys": keys},
            "push_endpoint",
            "endpoint",
        ),
        "credentials in the address": (
            {"endpoint": "https://user:pw@fcm.googleapis.com/x", "keys": keys},
            "push_endpoint",
            "endpoint",
        ),
        "no keys": ({"endpoint": endpoint}, "required", "keys.p256dh"),
        "no auth": (
            {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"]}},
            "required",
            "keys.auth",
        ),
        "key not on the curve": (
            {"endpoint": endpoint, "keys": {**keys, "p256dh": b64url(b"\x04" + b"\x01" * 64)}},
            "push_key",
            "keys.p256dh",
        ),
        "key not base64": (
            {"endpoint": endpoint, "keys": {**keys, "p256dh": "%%%"}},
            "push_key",
            "keys.p256dh",
        ),
        "short auth": (
            {"endpoint": endpoint, "keys": {**keys, "auth": b64url(b"short")}},
            "push_key",
            "keys.auth",
        ),
    }


BAD_CASES = list(_bad({"endpoint": "", "keys": {"p256dh": "", "auth": ""}}))


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_CASES)
@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_bad_subscription_is_refused_naming_the_field_and_changes_nothing(
    bidder, loopback_push_service, case, language
):
    subscription = browser_subscription(loopback_push_service)
    client = subscribed_client(bidder, subscription)
    before = list(PushSubscription.objects.values())
    data, code, field = _bad(subscription)[case]
    client.cookies["mazad_language"] = language
    bidder.preferred_language = language
    bidder.save(update_fields=["preferred_language"])

    answer = post_json(client, data)

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    if language == "ar":
        assert any("\u0600" <= char <= "\u06ff" for char in error["message"]), error
    assert list(PushSubscription.objects.values()) == before


@pytest.mark.django_db
def test_a_visitor_who_is_not_signed_in_cannot_subscribe(loopback_push_service):
    subscription = browser_subscription(loopback_push_service)

    answer = post_json(Client(), {k: v for k, v in subscription.items() if k != "token"})

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    assert not PushSubscription.objects.exists()


@pytest.mark.django_db
def test_a_subscription_without_the_csrf_token_is_refused(bidder, loopback_push_service):
    subscription = browser_subscription(loopback_push_service)
    client = Client(enforce_csrf_checks=True)
    client.force_login(bidder)

    answer = post_json(client, {k: v for k, v in subscription.items() if k != "token"})

    assert answer.status_code == 403
    assert not PushSubscription.objects.exists()


@pytest.mark.django_db
def test_the_endpoint_answers_only_post_and_delete(bidder):
    client = Client()
    client.force_login(bidder)

    assert client.get(URL).status_code == 405


@pytest.mark.django_db
def test_a_push_reaches_the_push_service_encrypted_and_signed_with_the_vapid_key(
    bidder, loopback_push_service
):
    subscription = browser_subscription(loopback_push_service)
    subscribed_client(bidder, subscription)
    row = PushSubscription.objects.get()

    delivery = webpush.send_push(
        row, "تم تجاوز مزايدتك", "المزاد 12: 150٬000 ر.س", "/lots/12/", "ar"
    )

    assert delivery is webpush.Delivery.SENT
    [push] = received(loopback_push_service, subscription["token"])
    assert json.loads(push["payload"]) == {
        "title": "تم تجاوز مزايدتك",
        "body": "المزاد 12: 150٬000 ر.س",
        "url": "/lots/12/",
        "lang": "ar",
        "dir": "rtl",
    }
    assert push["content_encoding"] == "aes128gcm"
    assert int(push["ttl"]) == webpush.TIME_TO_LIVE_SECONDS
    assert push["vapid"] == {
        "scheme": "vapid",
        "algorithm": "ES256",
        "signature_valid": True,
        "key_matches": True,
        "audience_matches": True,
        "unexpired": True,
        "subject": "mailto:help@mazad.example",
    }
    row.refresh_from_db()
    assert row.last_success_at is not None
    assert row.failures == 0


@pytest.mark.django_db
def test_a_long_text_is_cut_to_fit_one_push_message(bidder, loopback_push_service):
    subscription = browser_subscription(loopback_push_service)
    subscribed_client(bidder, subscription)

    webpush.send_push(PushSubscription.objects.get(), "ع" * 500, "ب" * 5000, "/", "en")

    [push] = received(loopback_push_service, subscription["token"])
    message = json.loads(push["payload"])
    assert len(message["title"]) == webpush.TITLE_MAX_CHARS
    assert len(message["body"]) == webpush.BODY_MAX_CHARS
    assert (message["lang"], message["dir"]) == ("en", "ltr")
    assert push["body_bytes"] < 4096


@pytest.mark.django_db
@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_has_is_deleted(
    bidder, loopback_push_service, status
):
    subscription = browser_subscription(loopback_push_service, answer=status)
    subscribed_client(bidder, subscription)

    delivery = webpush.send_push(PushSubscription.objects.get(), "t", "b", "/", "en")

    assert delivery is webpush.Delivery.GONE
    assert len(received(loopback_push_service, subscription["token"])) == 1
    assert not PushSubscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("answer", [500, 503, 429, "hang"])
def test_a_push_service_that_fails_or_times_out_is_retried_later_and_nothing_is_removed(
    bidder, loopback_push_service, answer
):
    subscription = browser_subscription(loopback_push_service, answer=answer)
    subscribed_client(bidder, subscription)
    row = PushSubscription.objects.get()

    with pytest.raises(webpush.PushRetryableError):
        webpush.send_push(row, "t", "b", "/", "en")

    row.refresh_from_db()
    assert (row.failures, row.last_success_at) == (1, None)
    assert len(received(loopback_push_service, subscription["token"])) == 1


@pytest.mark.django_db
def test_a_push_service_refusing_for_good_is_not_retried_and_keeps_the_subscription(
    bidder, loopback_push_service
):
    subscription = browser_subscription(loopback_push_service, answer=400)
    subscribed_client(bidder, subscription)

    with pytest.raises(webpush.PushRejectedError):
        webpush.send_push(PushSubscription.objects.get(), "t", "b", "/", "en")

    assert PushSubscription.objects.get().failures == 1


@pytest.mark.django_db
def test_a_subscription_made_with_a_retired_vapid_key_is_deleted_without_sending(
    bidder, loopback_push_service, settings
):
    subscription = browser_subscription(loopback_push_service)
    subscribed_client(bidder, subscription)
    settings.WEBPUSH_VAPID_PRIVATE_KEY = b64url(
        ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
    )

    delivery = webpush.send_push(PushSubscription.objects.get(), "t", "b", "/", "en")

    assert delivery is webpush.Delivery.GONE
    assert received(loopback_push_service, subscription["token"]) == []
    assert not PushSubscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "lang"),
    [("https://elsewhere.example/lots/1/", "en"), ("//elsewhere.example/", "en"), ("/", "fr")],
)
def test_a_push_to_an_address_off_the_site_or_in_an_unknown_language_is_refused(
    bidder, loopback_push_service, url, lang
):
    subscription = browser_subscription(loopback_push_service)
    subscribed_client(bidder, subscription)

    with pytest.raises(ValueError, match=r"url|language"):
        webpush.send_push(PushSubscription.objects.get(), "t", "b", url, lang)

    assert received(loopback_push_service, subscription["token"]) == []


@pytest.mark.django_db
def test_without_a_vapid_key_subscribing_is_refused_clearly(bidder, settings):
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    client = Client()
    client.force_login(bidder)

    answer = post_json(client, {"endpoint": "https://fcm.googleapis.com/fcm/send/x"})

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "push_unavailable"
    assert not PushSubscription.objects.exists()


@pytest.mark.django_db
def test_the_outbox_sends_a_notice_to_every_browser_of_the_reader_once(
    bidder, loopback_push_service
):
    from django.utils import timezone

    from core.money import Money
    from notifications import delivery, services
    from notifications.models import Delivery as OutboxDelivery

    bidder.preferred_language = "ar"
    bidder.save(update_fields=["preferred_language"])
    phone, laptop = (browser_subscription(loopback_push_service) for _ in range(2))
    subscribed_client(bidder, phone)
    subscribed_client(bidder, laptop)

    services.tell(
        key="payment.refunded:push-test",
        kind="payment.refunded",
        to=bidder,
        params={"amount": Money(150_000, "SAR"), "reference": "RYC-R-2026-0001"},
        url="https://mazad.example/payments/?page=2",
    )
    assert set(OutboxDelivery.objects.values_list("channel", flat=True)) == {"email", "push"}
    delivery.deliver_due(timezone.now())
    delivery.deliver_due(timezone.now())  # a second pass sends nothing again

    for subscription in (phone, laptop):
        [push] = received(loopback_push_service, subscription["token"])
        payload = json.loads(push["payload"])
        assert payload["url"] == "/payments/?page=2"
        assert payload["lang"] == "ar"
        assert "1,500.00" in payload["body"]
        assert "RYC-R-2026-0001" in payload["body"]
        assert push["vapid"]["signature_valid"] is True
    assert OutboxDelivery.objects.get(channel="push").status == OutboxDelivery.Status.SENT


@pytest.mark.django_db
def test_a_push_service_down_makes_the_outbox_delivery_wait_and_go_once_later(
    bidder, loopback_push_service
):
    from datetime import timedelta

    from django.utils import timezone

    from core.money import Money
    from notifications import delivery, services
    from notifications.models import Delivery as OutboxDelivery

    subscription = browser_subscription(loopback_push_service, answer=503)
    subscribed_client(bidder, subscription)
    services.tell(
        key="payment.refunded:push-down",
        kind="payment.refunded",
        to=bidder,
        params={"amount": Money(1_000, "SAR"), "reference": "RYC-R-2026-0002"},
    )

    delivery.deliver_due(timezone.now())
    waiting = OutboxDelivery.objects.get(channel="push")
    assert waiting.status == OutboxDelivery.Status.WAITING
    assert PushSubscription.objects.count() == 1

    requests.post(
        f"{loopback_push_service}/_subscriptions/{subscription['token']}/answer",
        json={"answer": 201},
        timeout=5,
    ).raise_for_status()
    delivery.deliver_due(timezone.now() + timedelta(hours=1))
    delivery.deliver_due(timezone.now() + timedelta(hours=2))

    assert OutboxDelivery.objects.get(channel="push").status == OutboxDelivery.Status.SENT
    # the push refused by the service while it was down, then the one it took: nothing after
    assert len(received(loopback_push_service, subscription["token"])) == 2
