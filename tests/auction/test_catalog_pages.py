"""The catalog's keyset pages and HTTP caching, on PostgreSQL and Redis."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auction.bidding import decide as bidding
from auction.models import Lot
from core import pagination
from core.formatting import format_money
from tests.auction import factories
from tests.conftest import make_user

CATALOG = "auction:catalog"


def _walk(client: Any, params: dict[str, str]) -> list[int]:
    """Every lot id the catalog shows, following its Next links from the first page."""
    seen: list[int] = []
    query = QueryDict(mutable=True)
    query.update(params)
    for _ in range(1000):
        response = client.get(reverse(CATALOG) + "?" + query.urlencode())
        assert response.status_code == 200
        page = response.context["page"]
        seen.extend(lot.pk for lot in page.rows)
        if not page.next_cursor:
            return seen
        query = QueryDict(page.next_query, mutable=True)
    raise AssertionError("the pages never ended")


def _old_auction(court: Any) -> Any:
    return factories.auction(court, starts_at=timezone.now() - timedelta(days=30))


def _ended_lots(court: Any, count: int, *, the_auction: Any = None) -> list[Lot]:
    the_auction = the_auction or _old_auction(court)
    base = timezone.now() - timedelta(days=3)
    lots = []
    for i in range(count):
        lot = factories.lot(
            court, status="UNSOLD", the_auction=the_auction, ends_at=base + timedelta(hours=i % 7)
        )
        lots.append(lot)
    return lots


@pytest.mark.django_db(transaction=True)
def test_keyset_pages_show_every_lot_exactly_once_while_lots_are_inserted(client, court):
    existing = _ended_lots(court, 60)
    the_auction = existing[0].auction
    stop = threading.Event()
    inserted: list[int] = []

    def insert() -> None:
        try:
            while not stop.is_set() and len(inserted) < 40:
                early = timezone.now() - timedelta(days=10)  # before every page read so far
                late = timezone.now() + timedelta(days=10)
                for when in (early, late):
                    lot = factories.lot(
                        court, status="UNSOLD", the_auction=the_auction, ends_at=when
                    )
                    inserted.append(lot.pk)
        finally:
            connection.close()

    writer = threading.Thread(target=insert)
    writer.start()
    try:
        seen = _walk(client, {"status": "ended"})
    finally:
        stop.set()
        writer.join()

    assert len(seen) == len(set(seen))
    assert {lot.pk for lot in existing} <= set(seen)
    assert set(seen) <= {lot.pk for lot in existing} | set(inserted)


@pytest.mark.django_db
def test_previous_links_walk_back_over_the_same_pages(client, court):
    lots = _ended_lots(court, 55)
    forward = _walk(client, {"status": "ended"})
    response = client.get(reverse(CATALOG), {"status": "ended"})
    pages = [response.context["page"]]
    while pages[-1].next_cursor:
        query = QueryDict(pages[-1].next_query)
        pages.append(client.get(reverse(CATALOG) + "?" + query.urlencode()).context["page"])

    back = client.get(reverse(CATALOG) + "?" + pages[-1].previous_query).context["page"]

    assert forward == [lot.pk for page in pages for lot in page.rows]
    assert sorted(forward) == sorted(lot.pk for lot in lots)
    assert [lot.pk for lot in back.rows] == [lot.pk for lot in pages[-2].rows]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "W10",  # []
        "WzAsIjIwMjYtMDEtMDFUMDA6MDA6MDArMDA6MDAiLCJ4Il0",  # [0,"2026-…","x"]: not an id
        "Wzk5LCIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwxXQ",  # [99,…]: no such segment
        "WzAsIm5vdCBhIGRhdGUiLDFd",  # [0,"not a date",1]
        "A" * 5000,
        "%00",
    ],
)
def test_a_bad_cursor_starts_the_list_again_and_says_so(client, court, cursor):
    lots = _ended_lots(court, 3)

    response = client.get(reverse(CATALOG), {"status": "ended", "after": cursor})
    backwards = client.get(reverse(CATALOG), {"status": "ended", "before": cursor})

    for answer in (response, backwards):
        assert answer.status_code == 200
        assert [lot.pk for lot in answer.context["page"].rows] == [lot.pk for lot in lots]
    if cursor:
        assert "That page link is not valid any more" in response.content.decode()


@pytest.mark.django_db
def test_a_bad_cursor_is_explained_in_arabic(client, court):
    _ended_lots(court, 2)

    response = client.get(reverse(CATALOG), {"after": "garbage"}, HTTP_ACCEPT_LANGUAGE="ar")

    assert response.status_code == 200
    assert "رابط الصفحة هذا لم يعد صالحًا" in response.content.decode()


@pytest.mark.django_db
def test_the_total_is_exact_up_to_the_threshold_and_estimated_above(court, monkeypatch):
    lots = _ended_lots(court, 12)
    everything = Lot.objects.filter(pk__in=[lot.pk for lot in lots])

    exact = pagination.estimate_count(everything, exact_up_to=20)
    connection.cursor().execute("ANALYZE auction_lot")
    estimated = pagination.estimate_count(everything, exact_up_to=5)

    assert exact == (12, True)
    assert estimated[1] is False
    assert estimated[0] >= 6


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(size=st.integers(min_value=1, max_value=9), hours=st.lists(st.integers(0, 3), max_size=25))
@pytest.mark.django_db
def test_pages_of_any_size_cover_the_order_once_even_with_equal_keys(court, size, hours):
    the_auction = _old_auction(court)
    base = timezone.now() - timedelta(days=2)
    made = [
        factories.lot(
            court, status="UNSOLD", the_auction=the_auction, ends_at=base + timedelta(hours=h)
        )
        for h in hours
    ]
    lots = Lot.objects.filter(auction=the_auction)
    keyset = pagination.Keyset((pagination.Key("ends_at", "datetime"), pagination.Key("pk")))
    query = QueryDict(mutable=True)
    seen: list[int] = []

    for _ in range(len(made) + 2):
        page = pagination.paginate([lots], keyset, query, size=size)
        seen.extend(lot.pk for lot in page.rows)
        if not page.next_cursor:
            break
        query = QueryDict(page.next_query, mutable=True)

    expected = sorted(made, key=lambda lot: (lot.ends_at, lot.pk))
    assert seen == [lot.pk for lot in expected]


# --- HTTP caching ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unchanged_catalog_answers_304_to_its_etag_and_a_bid_changes_it(client, court):
    lot = factories.lot(court)
    bidder = factories.registered_bidder(lot)
    client.get(reverse(CATALOG))  # sets the CSRF cookie, as a first visit does
    first = client.get(reverse(CATALOG))
    etag = first["ETag"]

    again = client.get(reverse(CATALOG), HTTP_IF_NONE_MATCH=etag)
    bidding.place_bid(lot_id=lot.pk, user_id=bidder.bidder_id, amount_minor=2_000)
    after_bid = client.get(reverse(CATALOG), HTTP_IF_NONE_MATCH=etag)

    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert again.status_code == 304
    assert again.content == b""
    assert after_bid.status_code == 200
    assert after_bid["ETag"] != etag
    assert format_money(2_000, lot.currency) in after_bid.content.decode()


@pytest.mark.django_db
def test_the_cached_cards_follow_a_bid_and_a_status_change(client, court):
    lot = factories.lot(court, opening_minor=1_000)
    bidder = factories.registered_bidder(lot)
    before = client.get(reverse(CATALOG)).content.decode()

    bidding.place_bid(lot_id=lot.pk, user_id=bidder.bidder_id, amount_minor=7_300)
    after_bid = client.get(reverse(CATALOG)).content.decode()
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.WITHDRAWN, closed_at=timezone.now())
    after_withdrawal = client.get(reverse(CATALOG)).content.decode()

    price = format_money(7_300, lot.currency)
    assert "Opening price" in before
    assert price not in before
    assert price in after_bid
    assert "Current price" in after_bid
    assert "lot-status-withdrawn" in after_withdrawal
    assert "lot-status-open" not in after_withdrawal


@pytest.mark.django_db
def test_a_publication_shows_the_new_lot_at_once(client, court):
    factories.lot(court)
    client.get(reverse(CATALOG))
    hidden = factories.auction(court, status="DRAFT")
    new_lot = factories.lot(court, the_auction=hidden)
    before = client.get(reverse(CATALOG)).context["page"]

    hidden.status, hidden.published_at, hidden.rules = "PUBLISHED", timezone.now(), factories.RULES
    hidden.save(update_fields=["status", "published_at", "rules"])
    after = client.get(reverse(CATALOG)).context["page"]

    assert new_lot.pk not in [lot.pk for lot in before.rows]
    assert new_lot.pk in [lot.pk for lot in after.rows]


@pytest.mark.django_db
def test_a_signed_in_readers_page_is_private_and_never_served_to_another(client, court):
    lot = factories.lot(court)
    alice = make_user("BIDDER", full_name="Alice Personal", verified=True)
    client.force_login(alice)
    hers = client.get(reverse(CATALOG))
    her_lot_page = client.get(reverse("auction:lot", args=[lot.pk]))
    client.logout()

    anonymous = client.get(reverse(CATALOG), HTTP_IF_NONE_MATCH=hers.get("ETag", '"x"'))
    anonymous_lot = client.get(reverse("auction:lot", args=[lot.pk]))

    for page in (hers, her_lot_page):
        assert page["Cache-Control"] == "private, no-cache"
        assert not page.has_header("ETag")
        assert "Alice" in page.content.decode()
    for page in (anonymous, anonymous_lot):
        assert page.status_code == 200
        assert "Alice" not in page.content.decode()
        assert alice.email not in page.content.decode()


@pytest.mark.django_db
def test_a_signed_in_bidder_sees_their_own_standing_on_a_lot_anonymous_readers_share(client, court):
    lot = factories.lot(court)
    client.get(reverse("auction:lot", args=[lot.pk]))  # the anonymous render, now cached
    bidder = make_user("BIDDER", verified=True)
    client.force_login(bidder)

    page = client.get(reverse("auction:lot", args=[lot.pk])).content.decode()

    assert "Register and pay the deposit" in page
    assert "Log in to bid" not in page


@pytest.mark.django_db
def test_an_unchanged_lot_page_answers_304_and_a_bid_changes_it(client, court):
    lot = factories.lot(court)
    bidder = factories.registered_bidder(lot)
    url = reverse("auction:lot", args=[lot.pk])
    client.get(url)
    etag = client.get(url)["ETag"]

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    bidding.place_bid(lot_id=lot.pk, user_id=bidder.bidder_id, amount_minor=4_400)
    after = client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert after.status_code == 200
    assert format_money(4_400, lot.currency) in after.content.decode()


@pytest.mark.django_db
def test_a_first_visit_that_sets_a_cookie_is_not_left_public(client, court):
    factories.lot(court)

    first = client.get(reverse(CATALOG))

    assert "csrftoken" in first.cookies
    assert first["Cache-Control"] == "private, no-cache"
    assert not first.has_header("ETag")
