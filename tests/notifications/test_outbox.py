"""The outbox: notices written with their cause, delivered once per channel over real SMTP/SMS."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from aftersale.models import Sale
from auction.bidding import decide as bidding
from auction.services import lifecycle
from core.errors import DomainError
from core.money import Money
from enforcement import services as enforcement
from enforcement.models import FileParty
from notifications import delivery, services
from notifications.models import Attempt, Delivery, Notice, Preference
from tests.aftersale import helpers
from tests.auction import factories
from tests.conftest import make_user
from tests.enforcement.conftest import IBAN_SA
from tests.notifications.conftest import parts

pytestmark = pytest.mark.django_db


def _reminder(user, court, key="sale.reminder:1:1"):
    return services.tell(
        key=key,
        kind="sale.reminder",
        to=user,
        params={
            "lot": "RYC-A-2026-0001/L1",
            "balance": Money(123_450, "SAR"),
            "due": timezone.now(),
        },
        url="https://mazad.example/purchases/1/",
        time_zone=court,
    )


def _fail_the_cause(user):
    with transaction.atomic():
        services.tell(key="sale.won:1", kind="sale.won", to=user, params={"lot": "L1"})
        raise RuntimeError("the cause failed")


def test_a_notice_rolls_back_with_its_cause(court):
    user = make_user("BIDDER")

    with pytest.raises(RuntimeError):
        _fail_the_cause(user)

    assert not Notice.objects.exists()
    assert not Delivery.objects.exists()


def test_a_retried_cause_writes_one_notice(court):
    user = make_user("BIDDER")

    first = _reminder(user, court, key="sale.reminder:7:1")
    again = _reminder(user, court, key="sale.reminder:7:1")

    assert first is not None
    assert again is not None
    assert first.pk == again.pk
    assert Notice.objects.count() == 1
    assert Delivery.objects.filter(notice=first).count() == 1


def test_a_notice_is_sent_once_over_smtp_and_then_left_alone(court, mail_server):
    user = make_user("BIDDER", preferred_language="en")
    _reminder(user, court)
    now = timezone.now()

    assert delivery.deliver_due(now) == 1
    assert delivery.deliver_due(now + timedelta(hours=1)) == 0

    [message] = mail_server.records()
    assert message["to"] == [user.email]
    amount = Money(123_450, "SAR").format("en")
    assert amount in parts(message)["text/plain"]
    assert amount in parts(message)["text/html"]
    sent = Delivery.objects.get()
    assert (sent.status, sent.attempts) == (Delivery.Status.SENT, 1)
    assert list(Attempt.objects.values_list("outcome", flat=True)) == ["SENT"]


def test_the_winner_gets_exactly_one_won_e_mail_with_the_balance_and_its_deadline(
    court, finance, mail_server
):
    sale = helpers.sold_lot(court, finance)

    delivery.deliver_due(timezone.now())

    won = [m for m in mail_server.records() if m["to"] == [sale.buyer.email]]
    assert len(won) == 1
    assert Notice.objects.filter(kind__in=["sale.won", "sale.won_paid"]).count() == 1
    text = parts(won[0])["text/plain"]
    assert sale.money("balance").format("en") in text


@pytest.mark.django_db(transaction=True)
def test_two_worker_passes_racing_deliver_each_notice_once(court, mail_server, sms_gateway):
    users = [make_user("BIDDER", phone=f"+96650000{index:04d}") for index in range(12)]
    for user in users:
        Preference.objects.create(user=user, topic="PURCHASES", channel="sms", is_enabled=True)
    for index, user in enumerate(users):
        _reminder(user, court, key=f"sale.reminder:{index}:1")
    now = timezone.now()
    start = threading.Barrier(2)
    sent: list[int] = []

    def worker() -> None:
        try:
            start.wait()
            sent.append(delivery.deliver_due(now))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sum(sent) == 24, "12 e-mails and 12 SMS between the two passes"
    ids = [m["message_id"] for m in mail_server.records()]
    assert len(ids) == len(set(ids)) == 12
    keys = [m["key"] for m in sms_gateway.records()]
    assert len(keys) == len(set(keys)) == 12
    assert Attempt.objects.count() == 24, "one attempt each: no delivery was tried twice"


def _close_a_sale_whose_people_want_sms(court, finance):
    """A lot with three bidders who asked for SMS of their purchases too, won and closed;
    the file's parties have an e-mail and a phone."""
    asset = factories.approved_asset(court)
    for link in FileParty.objects.filter(file=asset.file).select_related("party"):
        link.party.email = f"party{link.party_id}@example.com"
        link.party.phone = "+966511111111"
        link.party.save(update_fields=["email", "phone"])
    lot = factories.lot(court, deposit_minor=800_000, asset=asset, rules={"objection_days": 3})
    bidders = [factories.registered_bidder(lot, held=False) for _ in range(3)]
    for registration in bidders:
        Preference.objects.create(
            user=registration.bidder, topic="PURCHASES", channel="sms", is_enabled=True
        )
        helpers.deposit_paid(registration, finance, 800_000)
    for offset, registration in enumerate(bidders):
        bidding.place_bid(
            lot_id=lot.pk,
            user_id=registration.bidder_id,
            amount_minor=10_000_000 + offset * 100_000,
            keep_deposit_reserved=True,
        )
    lifecycle.close_lot(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))
    return Sale.objects.get(lot=lot)


def test_every_notice_of_a_sale_close_is_delivered_once_after_a_minute_of_outage(
    court, finance, mail_server, sms_gateway
):
    mail_server.stop()
    sms_gateway.stop()
    sale = _close_a_sale_whose_people_want_sms(court, finance)
    start = timezone.now()
    planned = Delivery.objects.count()

    for seconds in (0, 20, 40):  # the worker's passes during the minute: each fails
        delivery.deliver_due(start + timedelta(seconds=seconds))
    failed_while_down = Attempt.objects.exclude(outcome="SENT").count()
    mail_server.start()
    sms_gateway.start()
    sent = sum(delivery.deliver_due(start + timedelta(minutes=m)) for m in (1, 2, 5, 10, 30))

    assert Notice.objects.filter(kind="sale.won", user=sale.buyer).count() == 1
    assert Notice.objects.filter(kind="sale.result").count() == 2, "the two other bidders"
    assert {"email", "sms"} <= set(Delivery.objects.values_list("channel", flat=True))
    assert failed_while_down > 0
    assert not Attempt.objects.filter(outcome="SENT", at__lt=start + timedelta(minutes=1)).exists()
    assert sent == planned
    assert Delivery.objects.exclude(status=Delivery.Status.SENT).count() == 0
    ids = [m["message_id"] for m in mail_server.records()]
    assert len(ids) == len(set(ids)) == Delivery.objects.filter(channel="email").count()
    keys = [m["key"] for m in sms_gateway.records()]
    assert len(keys) == len(set(keys)) == Delivery.objects.filter(channel="sms").count()


@pytest.mark.parametrize("mode", ["error", "timeout"])
def test_a_gateway_that_fails_leaves_the_sms_waiting_then_sends_it_once(
    court, sms_gateway, settings, mode
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = make_user("BIDDER", phone="+966500000001")
    Preference.objects.create(user=user, topic="PURCHASES", channel="sms", is_enabled=True)
    _reminder(user, court)
    sms = Delivery.objects.get(channel="sms")
    sms_gateway.mode(mode)
    now = timezone.now()

    delivery.deliver_due(now)

    sms.refresh_from_db()
    assert sms.status == Delivery.Status.WAITING
    assert sms.attempts == 1
    assert sms.due_at == now + delivery.backoff(1)
    assert ("500" if mode == "error" else "Timeout") in sms.last_error
    assert sms_gateway.records() == []

    sms_gateway.mode("ok")
    assert delivery.deliver_due(now + timedelta(seconds=10)) == 0, "not due yet"
    delivery.deliver_due(now + delivery.backoff(1))
    delivery.deliver_due(now + timedelta(hours=2))

    sms.refresh_from_db()
    assert sms.status == Delivery.Status.SENT
    [message] = sms_gateway.records()
    assert message["to"] == "+966500000001"
    assert message["key"] == delivery.reference(sms)


def test_a_gateway_that_refuses_the_number_gives_the_sms_up_with_the_reason(
    court, sms_gateway, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = make_user("BIDDER", phone="+966500000002")
    Preference.objects.create(user=user, topic="PURCHASES", channel="sms", is_enabled=True)
    _reminder(user, court)
    sms_gateway.mode("refuse")

    delivery.deliver_due(timezone.now())

    sms = Delivery.objects.get(channel="sms")
    assert sms.status == Delivery.Status.FAILED
    assert "422" in sms.last_error
    assert Delivery.objects.get(channel="email").status == Delivery.Status.SENT
    assert delivery.requeue_failed(now=timezone.now(), channel="sms") == 1


def test_a_delivery_retries_with_doubling_waits_and_is_given_up_after_the_last(court, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    settings.NOTICE_MAX_ATTEMPTS = 3
    _reminder(make_user("BIDDER"), court)
    now = timezone.now()

    for step in range(4):
        delivery.deliver_due(now + timedelta(hours=step))

    email = Delivery.objects.get()
    assert email.status == Delivery.Status.FAILED
    assert email.attempts == 3
    assert list(Attempt.objects.values_list("outcome", flat=True)) == [
        "RETRY",
        "RETRY",
        "GAVE_UP",
    ]
    assert delivery.backoff(1) < delivery.backoff(2) < delivery.backoff(3)


def test_an_unknown_channel_or_kind_is_refused_by_name_and_writes_nothing(court):
    user = make_user("BIDDER")

    with pytest.raises(DomainError) as unknown_kind:
        services.tell(key="x:1", kind="lot.exploded", to=user)
    with pytest.raises(DomainError) as unknown_channel:
        services.save_preferences(user=user, chosen={"PURCHASES": ["pigeon"]})

    assert (unknown_kind.value.code, unknown_kind.value.field) == ("unknown_notice_kind", "kind")
    assert (unknown_channel.value.code, unknown_channel.value.field) == (
        "unknown_channel",
        "channel",
    )
    assert "pigeon" in unknown_channel.value.render()
    assert not Notice.objects.exists()
    assert not Preference.objects.exists()


def test_a_delivery_on_a_channel_no_longer_registered_is_given_up_not_lost(court, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notice = _reminder(make_user("BIDDER"), court)
    Delivery.objects.filter(notice=notice).update(channel="pigeon")

    delivery.deliver_due(timezone.now())

    kept = Delivery.objects.get(notice=notice)
    assert kept.status == Delivery.Status.FAILED
    assert "pigeon" in kept.last_error


def test_a_mandatory_notice_goes_by_e_mail_even_when_its_topic_is_turned_off(court):
    user = make_user("BIDDER")
    services.save_preferences(user=user, chosen={})

    _reminder(user, court)
    services.tell(
        key="sale.result:1:1",
        kind="sale.result",
        to=user,
        params={"lot": "L1", "price": Money(1, "SAR"), "until": timezone.now()},
    )

    assert list(Delivery.objects.values_list("notice__kind", "channel")) == [
        ("sale.reminder", "email")
    ]


def test_the_parties_of_a_file_are_told_of_a_seizure_in_their_language_without_accounts(
    court, staff, supervisor, agency, sms_gateway
):
    file = factories.enforcement_file(court)
    debtor = FileParty.objects.get(file=file, role="DEBTOR").party
    debtor.email, debtor.phone = "debtor@example.com", "+966522222222"
    debtor.save(update_fields=["email", "phone"])
    order = enforcement.request_order(
        actor=staff,
        file_id=file.pk,
        kind="BANK_FUNDS",
        agency_id=agency.pk,
        target=enforcement.OrderTarget(iban=IBAN_SA),
    )

    enforcement.issue_order(actor=supervisor, order_id=order.pk)
    enforcement.lift_order(actor=supervisor, order_id=order.pk, reason="Debt settled")

    told = Notice.objects.filter(email="debtor@example.com").order_by("pk")
    assert list(told.values_list("kind", "user", "language")) == [
        ("seizure.ordered", None, "ar"),
        ("seizure.lifted", None, "ar"),
    ]
    assert set(Delivery.objects.filter(notice__in=told).values_list("channel", flat=True)) == {
        "email",
        "sms",
    }
    delivery.deliver_due(timezone.now())
    texts = [m["text"] for m in sms_gateway.records()]
    assert any(file.number in text and "رفع" in text for text in texts)
