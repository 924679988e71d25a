"""Whole public pages shared by anonymous readers in Redis, and what retires them, on PostgreSQL.

A page served from the shared cache renders no template, so `response.templates` tells a
shared page from a render.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from auction import questions
from auction.bidding import decide as bidding
from auction.models import Lot
from auction.services import lifecycle
from core.formatting import format_money
from enforcement.models import SeizedAsset
from tests.auction import factories
from tests.conftest import make_user

CATALOG = "auction:catalog"


@pytest.fixture(autouse=True)
def _shared_pages(settings: Any) -> None:
    settings.SHARED_PUBLIC_PAGES = True
    from django.core.cache import cache

    cache.clear()


def _reader() -> Client:
    reader = Client()
    reader.get(reverse(CATALOG))  # a first visit: the CSRF cookie
    return reader


@pytest.mark.django_db
def test_a_thousand_readers_of_an_unchanged_page_cost_one_render(court):
    factories.lot(court)
    readers = [_reader() for _ in range(3)]
    first = readers[0].get(reverse(CATALOG), {"kind": "VEHICLE", "status": "open"})

    shared = [
        reader.get(reverse(CATALOG), {"status": "open", "kind": "VEHICLE"}) for reader in readers
    ]

    assert first.templates  # rendered once
    for page in shared:
        assert page.status_code == 200
        assert page.templates == []  # served whole from the shared cache
        assert page["Cache-Control"] == "public, max-age=0, must-revalidate"
        assert page["ETag"] == first["ETag"]


@pytest.mark.django_db
def test_a_bid_makes_the_next_catalog_and_lot_page_show_it(court):
    lot = factories.lot(court, opening_minor=1_000)
    bidder = factories.registered_bidder(lot)
    reader = _reader()
    lot_url = reverse("auction:lot", args=[lot.pk])
    for url in (reverse(CATALOG), lot_url):
        reader.get(url)
        assert reader.get(url).templates == []  # shared from now on

    bidding.place_bid(lot_id=lot.pk, user_id=bidder.bidder_id, amount_minor=7_300)
    catalog = reader.get(reverse(CATALOG))
    page = reader.get(lot_url)

    price = format_money(7_300, lot.currency)
    assert catalog.templates
    assert price in catalog.content.decode()
    assert page.templates
    assert price in page.content.decode()


@pytest.mark.django_db
def test_a_withdrawal_an_asset_edit_and_a_publication_show_at_once(court, supervisor):
    lot = factories.lot(court)
    reader = _reader()
    lot_url = reverse("auction:lot", args=[lot.pk])
    reader.get(lot_url)
    reader.get(reverse(CATALOG))

    asset = SeizedAsset.objects.get(pk=lot.asset_id)
    asset.title = "Renamed Land Cruiser"
    asset.save(update_fields=["title"])
    renamed = reader.get(lot_url).content.decode()
    lifecycle.withdraw_lot(actor=supervisor, lot_id=lot.pk, reason="Paid before the sale")
    withdrawn = reader.get(reverse(CATALOG)).content.decode()
    hidden = factories.auction(court, status="DRAFT")
    new_lot = factories.lot(court, the_auction=hidden)
    reader.get(reverse(CATALOG))
    hidden.status, hidden.published_at = "PUBLISHED", lot.auction.published_at
    hidden.rules = factories.RULES
    hidden.save(update_fields=["status", "published_at", "rules"])
    published = reader.get(reverse(CATALOG)).content.decode()

    assert "Renamed Land Cruiser" in renamed
    assert "lot-status-withdrawn" in withdrawn
    assert f'href="/lots/{new_lot.pk}/"' in published


@pytest.mark.django_db
def test_each_reader_gets_their_own_token_and_address_from_a_shared_page(court):
    factories.lot(court)
    alice, bob = _reader(), _reader()
    alice.get(reverse(CATALOG), {"sort": "newest"})

    hers = alice.get(reverse(CATALOG), {"sort": "newest"}).content.decode()
    his = bob.get(reverse(CATALOG) + "?sort=newest&utm=x").content.decode()
    shared_again = bob.get(reverse(CATALOG), {"sort": "newest"})

    name = django_settings.CSRF_COOKIE_NAME
    for page, reader in ((hers, alice), (his, bob)):
        tokens = {
            part.split('"')[0] for part in page.split('name="csrfmiddlewaretoken" value="')[1:]
        }
        assert tokens
        for token in tokens:
            assert _unmask_cipher_token(token) == reader.cookies[name].value
        assert "mazad-shared-page" not in page
    assert 'name="next" value="/auctions/?sort=newest&amp;utm=x"' in his
    assert shared_again.templates == []
    assert 'name="next" value="/auctions/?sort=newest"' in shared_again.content.decode()


@pytest.mark.django_db
def test_a_signed_in_reader_never_gets_the_shared_page(client, court):
    factories.lot(court)
    _reader().get(reverse(CATALOG))
    alice = make_user("BIDDER", full_name="Alice Personal", verified=True)
    client.force_login(alice)

    hers = client.get(reverse(CATALOG))

    assert hers.templates
    assert hers["Cache-Control"] == "private, no-cache"
    assert "Alice" in hers.content.decode()


@pytest.mark.django_db
def test_a_cache_outage_renders_the_page(court, settings):
    factories.lot(court)
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }

    page = Client().get(reverse(CATALOG))

    assert page.status_code == 200
    assert page.templates


@pytest.mark.django_db(transaction=True)
def test_readers_racing_a_bid_never_see_the_old_price_after_it_is_acknowledged(court):
    lot = factories.lot(court, opening_minor=1_000)
    bidder = factories.registered_bidder(lot)
    price = format_money(9_900, lot.currency)
    acknowledged: list[float] = []
    stale: list[float] = []
    stop = threading.Event()

    def read() -> None:
        reader = _reader()
        try:
            while not stop.is_set():
                asked = time.monotonic()
                body = reader.get(reverse(CATALOG)).content.decode()
                if acknowledged and asked > acknowledged[0] and price not in body:
                    stale.append(asked)
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    bidding.place_bid(lot_id=lot.pk, user_id=bidder.bidder_id, amount_minor=9_900)
    acknowledged.append(time.monotonic())
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()

    assert Lot.objects.get(pk=lot.pk).price_minor == 9_900
    assert stale == []


@pytest.mark.django_db
def test_an_answered_question_shows_on_the_next_shared_lot_page(court):
    lot = factories.lot(court)
    asker = make_user("BIDDER", verified=True)
    staff = make_user("EXECUTION_STAFF", court=court)
    question = questions.ask(
        user=asker, lot_id=lot.pk, text="Is the spare key there?", now=timezone.now()
    )
    reader = _reader()
    lot_url = reverse("auction:lot", args=[lot.pk])
    before = reader.get(lot_url).content.decode()
    shared = reader.get(lot_url)

    questions.answer(
        staff=staff,
        question_id=question.pk,
        text="Two keys, with the custodian.",
        now=timezone.now(),
    )
    after = reader.get(lot_url)

    assert "Two keys" not in before
    assert not shared.templates  # the second read was the shared page
    assert after.templates  # the answer retired it: rendered again
    assert "Two keys, with the custodian." in after.content.decode()


@pytest.mark.django_db
def test_a_bid_retires_the_catalog_pages_that_show_its_lot_or_order_by_price_and_no_other(court):
    car = factories.lot(court, opening_minor=1_000)
    house = factories.lot(court, opening_minor=2_000)
    SeizedAsset.objects.filter(pk=house.asset_id).update(kind="MOVABLE")
    bidder = factories.registered_bidder(car)
    reader = _reader()
    pages = {
        "cars": {"kind": "VEHICLE"},
        "houses": {"kind": "MOVABLE"},
        "cheapest": {"sort": "price_low"},
        "priced": {"price_max": "50"},
    }
    for query in pages.values():
        reader.get(reverse(CATALOG), query)
        assert reader.get(reverse(CATALOG), query).templates == []  # shared from now on

    bidding.place_bid(lot_id=car.pk, user_id=bidder.bidder_id, amount_minor=7_300)
    after = {name: reader.get(reverse(CATALOG), query) for name, query in pages.items()}

    price = format_money(7_300, car.currency)
    assert after["houses"].templates == []  # does not show the lot: still the shared page
    assert after["cars"].templates  # shows it: rendered anew, with the new price
    assert price in after["cars"].content.decode()
    assert after["cheapest"].templates  # ordered by price: the bid may move any lot
    assert price in after["cheapest"].content.decode()
    assert after["priced"].templates  # filtered by price: the lot is no longer under it
    assert f'href="/lots/{car.pk}/"' not in after["priced"].content.decode()


@pytest.mark.django_db
def test_a_bid_landing_while_the_page_renders_never_leaves_the_old_price_shared(court, monkeypatch):
    from auction import public

    lot = factories.lot(court, opening_minor=1_000)
    bidder = factories.registered_bidder(lot)
    render = public._catalog
    landed: list[int] = []

    def render_then_bid(request: Any) -> Any:
        page = render(request)  # the page's rows are read: the old price
        if not landed:
            bidding.place_bid(lot_id=lot.pk, user_id=bidder.bidder_id, amount_minor=8_800)
            landed.append(1)  # acknowledged before the page is shared
        return page

    monkeypatch.setattr(public, "_catalog", render_then_bid)
    first = _reader()  # its first visit renders, and the bid lands meanwhile
    monkeypatch.setattr(public, "_catalog", render)
    second = Client().get(reverse(CATALOG))

    assert landed
    assert first.cookies  # the first reader's page was rendered with the old price
    assert second.templates  # the page from before the bid was not shared
    assert format_money(8_800, lot.currency) in second.content.decode()


@pytest.mark.django_db
def test_an_announcement_shows_on_the_next_shared_page_and_leaves_when_removed(court, supervisor):
    from datetime import timedelta

    from frontend import services as shell
    from frontend.models import Announcement

    factories.lot(court)
    reader = _reader()
    reader.get(reverse(CATALOG))
    assert reader.get(reverse(CATALOG)).templates == []  # shared

    now = timezone.now()
    shell.publish_announcement(
        actor=supervisor,
        text_ar="صيانة الليلة",
        text_en="Maintenance tonight at 23:00",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=2),
    )
    shown = reader.get(reverse(CATALOG))
    Announcement.objects.all().delete()
    removed = reader.get(reverse(CATALOG))

    assert shown.templates
    assert "Maintenance tonight at 23:00" in shown.content.decode()
    # The page from before the announcement is current again (it may come from the cache).
    assert "Maintenance tonight at 23:00" not in removed.content.decode()


@pytest.mark.django_db
def test_an_announcement_due_later_shows_on_shared_pages_from_its_start_until_its_end(
    court, supervisor
):
    """No save marks the moment an announcement starts or ends: the shared page knows it."""
    from datetime import timedelta

    import time_machine

    from frontend import services as shell

    now = timezone.now()
    starts, ends = now + timedelta(hours=1), now + timedelta(hours=3)
    shell.publish_announcement(
        actor=supervisor,
        text_ar="صيانة الليلة",
        text_en="Maintenance tonight at 23:00",
        starts_at=starts,
        ends_at=ends,
    )
    factories.lot(court)
    reader = _reader()
    reader.get(reverse(CATALOG))
    before = reader.get(reverse(CATALOG))
    with time_machine.travel(starts + timedelta(seconds=1), tick=False):
        started = reader.get(reverse(CATALOG))
        again = reader.get(reverse(CATALOG))
    with time_machine.travel(ends + timedelta(seconds=1), tick=False):
        ended = reader.get(reverse(CATALOG))

    text = "Maintenance tonight at 23:00"
    assert before.templates == []
    assert text not in before.content.decode()
    assert started.templates
    assert text in started.content.decode()
    assert again.templates == []
    assert text in again.content.decode()
    assert ended.templates
    assert text not in ended.content.decode()


@pytest.mark.django_db
def test_a_shared_catalog_page_is_served_in_one_round_trip_to_redis(court, monkeypatch):
    """The counters, the entry and its lots' counters are read together (core/http_cache.py)."""
    from core import http_cache

    client = http_cache._redis()
    if client is None:
        pytest.skip("needs the Redis cache (make test sets REDIS_URL)")
    factories.lot(court)
    reader = _reader()
    reader.get(reverse(CATALOG))
    reader.get(reverse(CATALOG))  # shared from here on
    sent: list[str] = []
    send = client.execute_command

    def counted(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return send(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)
    page = reader.get(reverse(CATALOG))

    assert page.templates == []
    assert sent == ["EVALSHA"]


@pytest.mark.django_db
def test_a_catalog_page_is_kept_while_its_time_left_reads_the_same(court):
    """Three days and half an hour left reads "3 days" until the half hour has passed."""
    from datetime import timedelta

    import time_machine

    now = timezone.now()
    ends = now + timedelta(days=3, minutes=30)
    factories.lot(court, the_auction=factories.auction(court, ends_at=ends), ends_at=ends)
    reader = _reader()
    first = reader.get(reverse(CATALOG), {"status": "open"})
    with time_machine.travel(now + timedelta(minutes=20), tick=False):
        still = reader.get(reverse(CATALOG), {"status": "open"})
    with time_machine.travel(now + timedelta(minutes=31), tick=False):
        later = reader.get(reverse(CATALOG), {"status": "open"})

    assert "3 days" in first.content.decode()
    assert still.templates == [], "the same words: the shared page"
    assert "3 days" in still.content.decode()
    assert later.templates, "rendered anew"
    assert "2 days and 23 hours" in later.content.decode()
