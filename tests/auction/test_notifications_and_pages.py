"""Notices (outbid, won, closing soon), the public pages, and "my auctions"."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connections, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from auction import notifications
from auction.bidding import decide as bidding
from auction.models import Lot, Notification, Registration, Watch
from auction.services import lifecycle
from core.live.users import session_group, user_group
from notifications import delivery as outbox
from notifications.models import Delivery as OutboxDelivery
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_losing_the_lead_writes_an_outbid_notice_that_is_e_mailed_in_the_bidders_language(court):
    lot = factories.lot(court)
    first = factories.registered_bidder(lot, preferred_language="ar")
    second = factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=first.bidder_id, amount_minor=1_000)

    bidding.place_bid(lot_id=lot.pk, user_id=second.bidder_id, amount_minor=1_100)
    delivered = notifications.deliver_pending(timezone.now())
    outbox.deliver_due(timezone.now())  # the outbid e-mail goes through the outbox

    notice = Notification.objects.get()
    assert (notice.user_id, notice.kind, notice.price_minor) == (first.bidder_id, "OUTBID", 1_100)
    assert delivered == 1
    assert mail.outbox[0].to == [first.bidder.email]
    assert "تجاوزك" in mail.outbox[0].body
    assert notifications.deliver_pending(timezone.now()) == 0, "each notice is delivered once"


def test_a_bidder_outbid_again_and_again_in_one_pass_gets_one_e_mail_with_the_latest_price(
    court,
):
    lot = factories.lot(court)
    first = factories.registered_bidder(lot, preferred_language="en")
    second = factories.registered_bidder(lot)
    for amount, bidder in [(1_000, first), (1_100, second), (1_200, first), (1_300, second)]:
        bidding.place_bid(lot_id=lot.pk, user_id=bidder.bidder_id, amount_minor=amount)

    delivered = notifications.deliver_pending(timezone.now())
    outbox.deliver_due(timezone.now())

    assert delivered == 3, "two outbid notices for the first bidder, one for the second"
    to_first = [m for m in mail.outbox if m.to == [first.bidder.email]]
    assert len(to_first) == 1, "one e-mail for the notices of one lot in one pass"
    assert "13.00" in to_first[0].body
    assert "12.00" not in to_first[0].body
    assert len(mail.outbox) == 1, "the second bidder leads again: nothing says they were outbid"
    notices = Notification.objects.all()
    assert all(n.pushed_at is not None for n in notices)
    assert all(n.emailed_at is not None for n in notices.filter(user=first.bidder))
    assert notices.get(user=second.bidder).emailed_at is None


def test_the_notices_of_one_pass_about_one_lot_are_pushed_to_the_bidders_pages_once(court):
    lot = factories.lot(court)
    first = factories.registered_bidder(lot, preferred_language="en")
    second = factories.registered_bidder(lot)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(first.bidder_id), channel)
    lot_socket = async_to_sync(layer.new_channel)()  # lot sockets hear only a session's end
    async_to_sync(layer.group_add)(session_group(first.bidder_id), lot_socket)
    for amount, bidder in [(1_000, first), (1_100, second), (1_200, first), (1_300, second)]:
        bidding.place_bid(lot_id=lot.pk, user_id=bidder.bidder_id, amount_minor=amount)

    notifications.deliver_pending(timezone.now())

    async def pushed(to: str) -> list[dict]:
        events = []
        with contextlib.suppress(TimeoutError):
            while True:
                events.append(await asyncio.wait_for(layer.receive(to), 1))
        return events

    events = async_to_sync(pushed)(channel)
    assert [e["payload"]["kind"] for e in events] == ["OUTBID"], "one toast, not one a notice"
    assert "13.00" in events[0]["payload"]["text"]
    assert async_to_sync(pushed)(lot_socket) == []
    async_to_sync(layer.group_discard)(user_group(first.bidder_id), channel)
    async_to_sync(layer.group_discard)(session_group(first.bidder_id), lot_socket)


class RefusingBackend(locmem.EmailBackend):
    """A mail server that refuses one domain (the only part of this test that is not ours)."""

    def send_messages(self, messages):
        if any(address.endswith("@refused.example") for m in messages for address in m.to):
            raise ConnectionRefusedError("the mail server refused the message")
        return super().send_messages(messages)


@override_settings(EMAIL_BACKEND="tests.auction.test_notifications_and_pages.RefusingBackend")
def test_an_e_mail_that_fails_waits_in_the_outbox_and_the_others_still_go(court):
    lot = factories.lot(court)
    refused = factories.registered_bidder(lot, email="bidder@refused.example")
    other_lot = factories.lot(court)
    accepted = factories.registered_bidder(other_lot)
    for the_lot, outbid in [(lot, refused), (other_lot, accepted)]:
        overbidder = factories.registered_bidder(the_lot)
        bidding.place_bid(lot_id=the_lot.pk, user_id=outbid.bidder_id, amount_minor=1_000)
        bidding.place_bid(lot_id=the_lot.pk, user_id=overbidder.bidder_id, amount_minor=1_100)

    assert notifications.deliver_pending(timezone.now()) == 2
    outbox.deliver_due(timezone.now())

    assert [m.to for m in mail.outbox] == [[accepted.bidder.email]]
    waiting = OutboxDelivery.objects.get(notice__user=refused.bidder, channel="email")
    assert waiting.status == OutboxDelivery.Status.WAITING, "kept, to be tried again"
    assert waiting.tries.count() == 1
    sent = OutboxDelivery.objects.get(notice__user=accepted.bidder, channel="email")
    assert sent.status == OutboxDelivery.Status.SENT
    assert notifications.deliver_pending(timezone.now()) == 0, "pushed once all the same"


def test_the_winner_gets_a_won_notice_at_the_close(court):
    lot = factories.lot(court)
    winner = factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=winner.bidder_id, amount_minor=1_000)

    lifecycle.close_lot(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))
    notifications.deliver_pending(timezone.now())
    outbox.deliver_due(timezone.now())  # the won e-mail is the sale's, sent by the outbox

    assert Notification.objects.filter(user=winner.bidder, kind="WON").count() == 1
    assert "You won" in mail.outbox[-1].body


def test_a_bidder_outbid_on_one_lot_again_and_again_is_e_mailed_once_in_five_minutes(court):
    """A hot lot outbids its bidders many times a minute: each pass still pushes a toast, but
    the e-mail about that lot goes once in OUTBID_EMAIL_EVERY; another lot's is not held back."""
    lot, other_lot = factories.lot(court), factories.lot(court)
    bidder = factories.registered_bidder(lot, preferred_language="en")
    rival = factories.registered_bidder(lot)
    elsewhere = Registration.objects.create(
        lot=other_lot, bidder=bidder.bidder, paddle=200, deposit_status=Registration.Deposit.HELD
    )
    other_rival = factories.registered_bidder(other_lot)
    start = timezone.now()

    def outbid(at: int) -> None:
        bidding.place_bid(lot_id=lot.pk, user_id=bidder.bidder_id, amount_minor=at)
        bidding.place_bid(lot_id=lot.pk, user_id=rival.bidder_id, amount_minor=at + 100)

    outbid(1_000)
    assert notifications.deliver_pending(start) == 1
    outbox.deliver_due(timezone.now())
    outbid(1_200)  # the rival is outbid once, then the bidder
    bidding.place_bid(lot_id=other_lot.pk, user_id=elsewhere.bidder_id, amount_minor=1_000)
    bidding.place_bid(lot_id=other_lot.pk, user_id=other_rival.bidder_id, amount_minor=1_100)
    assert notifications.deliver_pending(start + timedelta(minutes=4)) == 3
    outbox.deliver_due(timezone.now())
    outbid(1_400)
    assert notifications.deliver_pending(start + timedelta(minutes=5, seconds=1)) == 2
    outbox.deliver_due(timezone.now())

    to_bidder = [m.body for m in mail.outbox if m.to == [bidder.bidder.email]]
    assert len(to_bidder) == 3, "the first, the other lot's, and the first after five minutes"
    assert "11.00" in to_bidder[0]
    assert "15.00" in to_bidder[2]
    not_mailed = Notification.objects.get(user=bidder.bidder, lot=lot, price_minor=1_300)
    assert not_mailed.pushed_at is not None
    assert not_mailed.emailed_at is None, "held back, and recorded as not e-mailed"


@pytest.mark.django_db(transaction=True)
def test_notices_of_a_lot_whose_row_bids_hold_are_delivered_without_waiting_for_it(court):
    """The pass locks only its notices: a hot lot's row, held by a bid batch, neither holds
    up its notices nor is held by the pass."""
    lot = factories.lot(court)
    first, second = factories.registered_bidder(lot), factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=first.bidder_id, amount_minor=1_000)
    bidding.place_bid(lot_id=lot.pk, user_id=second.bidder_id, amount_minor=1_100)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Lot.objects.select_for_update().get(pk=lot.pk)
                locked.set()
                release.wait(20)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        assert notifications.deliver_pending(timezone.now()) == 1
    finally:
        release.set()
        holder.join()
    assert Notification.objects.get(user=first.bidder).pushed_at is not None


def test_watchers_hear_once_that_a_lot_is_closing_soon(court):
    lot = factories.lot(court, ends_at=timezone.now() + timedelta(minutes=5))
    watcher = make_user("BIDDER", verified=True)
    Watch.objects.create(user=watcher, lot=lot)

    assert notifications.closing_soon(timezone.now()) == 1
    assert notifications.closing_soon(timezone.now()) == 0
    assert Notification.objects.filter(user=watcher, kind="CLOSING_SOON").count() == 1


def test_the_catalog_filters_by_kind_status_and_price_and_says_when_nothing_matches(client, court):
    open_lot = factories.lot(court, opening_minor=500_000)
    factories.lot(court, status="SCHEDULED", opening_minor=900_000)

    everything = client.get(reverse("auction:catalog"))
    cheap_open = client.get(reverse("auction:catalog"), {"status": "open", "price_max": "6000"})
    nothing = client.get(reverse("auction:catalog"), {"kind": "REAL_ESTATE"})

    assert everything.context["page"].paginator.count == 2
    assert [lot.pk for lot in cheap_open.context["page"]] == [open_lot.pk]
    assert "No lot matches these filters" in nothing.content.decode()


def test_the_catalog_page_costs_a_few_queries_however_many_lots(
    client, court, django_assert_max_num_queries
):
    auction = factories.auction(court)
    for _ in range(30):
        factories.lot(court, the_auction=auction)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("auction:catalog"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 24


def test_unknown_or_draft_lots_are_not_found(client, court):
    draft = factories.auction(court, status="DRAFT")
    lot = factories.lot(court, the_auction=draft, status="SCHEDULED")

    assert client.get(reverse("auction:lot", args=[lot.pk])).status_code == 404
    assert client.get(reverse("auction:lot", args=[99_999])).status_code == 404


def test_the_lot_page_shows_other_bidders_only_by_paddle(client, court):
    lot = factories.lot(court)
    registration = factories.registered_bidder(lot, full_name="Khalid Al-Secret Name")
    bidding.place_bid(lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_000)

    page = client.get(reverse("auction:lot", args=[lot.pk])).content.decode()

    assert f"#{registration.paddle}" in page
    assert "Khalid" not in page


def test_registering_from_the_lot_page_sends_the_bidder_to_pay_the_deposit(client, court):
    lot = factories.lot(court, deposit_minor=50_000)
    bidder = make_user("BIDDER", verified=True)
    client.force_login(bidder)

    response = client.post(reverse("auction:register", args=[lot.pk]), {"method": "CARD"})

    assert response.status_code == 302
    assert response["Location"].startswith("/payments/")
    assert lot.registrations.get().bidder == bidder


def test_an_excluded_party_is_told_why_on_the_lot_page_and_cannot_register(client, court):
    lot = factories.lot(court)
    staff = make_user("EXECUTION_STAFF", court=court)
    client.force_login(staff)

    page = client.get(reverse("auction:lot", args=[lot.pk])).content.decode()
    response = client.post(reverse("auction:register", args=[lot.pk]), follow=True)

    assert "may not bid" in page
    assert "may not bid" in response.content.decode()
    assert not lot.registrations.exists()


def test_my_auctions_lists_standings_watchlist_and_notices(client, court):
    lot = factories.lot(court)
    mine, other = factories.registered_bidder(lot), factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=mine.bidder_id, amount_minor=1_000)
    bidding.place_bid(lot_id=lot.pk, user_id=other.bidder_id, amount_minor=1_100)
    client.force_login(mine.bidder)
    client.post(reverse("auction:watch", args=[lot.pk]))

    page = client.get(reverse("auction:mine"))

    rows = page.context["rows"]
    assert [(row.lot.pk, row.standing) for row in rows] == [(lot.pk, "outbid")]
    assert list(page.context["watched"]) == [lot]
    assert [n.kind for n in page.context["notifications"]] == ["OUTBID"]
