"""Saved searches: kept, renamed and deleted by their owner within a limit, and new lots that
match told once per lot per search by the clock's pass, in the owner's language, even with two
passes racing on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from auction import clock, saved_searches
from auction.models import Auction, SavedSearch, SearchAlert
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SAVE = reverse("auction:save_search")


def publish_new(court: Any, *, title: str = "Toyota Land Cruiser", kind: str = "VEHICLE") -> Any:
    """A lot of an auction published now, opening tomorrow."""
    start = timezone.now() + timedelta(days=1)
    the_auction = factories.auction(
        court,
        status=Auction.Status.PUBLISHED,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    asset = factories.approved_asset(court)
    type(asset).objects.filter(pk=asset.pk).update(title=title, kind=kind)
    return factories.lot(court, status="SCHEDULED", the_auction=the_auction, asset=asset)


def test_a_person_saves_renames_and_deletes_a_search(client, court):
    person = make_user("BIDDER", verified=True)
    client.force_login(person)

    saved = client.post(
        SAVE, {"name": "  Cruisers  in Riyadh ", "query": "q=cruiser&kind=VEHICLE&after=xyz"}
    )
    search = SavedSearch.objects.get(user=person)
    listing = client.get(reverse("auction:saved_searches"))

    assert saved.status_code == 302
    assert saved["Location"] == "/auctions/?q=cruiser&kind=VEHICLE"
    assert (search.name, search.query, search.alerts) == (
        "Cruisers in Riyadh",
        "q=cruiser&kind=VEHICLE",
        False,
    )
    assert "Cruisers in Riyadh" in listing.content.decode()

    edit = reverse("auction:saved_search_edit", args=[search.pk])
    client.post(edit, {f"s{search.pk}-name": "Land cruisers", f"s{search.pk}-alerts": "on"})
    search.refresh_from_db()
    assert (search.name, search.alerts) == ("Land cruisers", True)

    client.post(reverse("auction:saved_search_delete", args=[search.pk]))
    assert not SavedSearch.objects.filter(user=person).exists()


def test_another_persons_search_is_not_found(client, court):
    owner = make_user("BIDDER")
    search = saved_searches.save(user=owner, name="Mine", query="q=x", alerts=True)
    client.force_login(make_user("BIDDER"))

    renamed = client.post(
        reverse("auction:saved_search_edit", args=[search.pk]), {f"s{search.pk}-name": "Theirs"}
    )
    deleted = client.post(reverse("auction:saved_search_delete", args=[search.pk]))

    assert (renamed.status_code, deleted.status_code) == (404, 404)
    assert SavedSearch.objects.get(pk=search.pk).name == "Mine"


@pytest.mark.parametrize(
    ("name", "code_text"),
    [
        ("", "Give the search a name."),
        ("   ", "Give the search a name."),
        ("x" * 81, "at most 80 characters"),
        ("bad\x00name", "control characters"),
        ("tab\there", "control characters"),
    ],
)
def test_a_bad_name_is_refused_naming_the_field_and_nothing_is_saved(client, name, code_text):
    person = make_user("BIDDER")
    client.force_login(person)

    answer = client.post(SAVE, {"name": name, "query": "q=villa"})

    assert answer.status_code == 400
    form = answer.context["save_form"]
    assert code_text in " ".join(form.errors["name"])
    assert not SavedSearch.objects.filter(user=person).exists()


def test_a_control_character_in_the_search_is_refused_naming_it(client):
    person = make_user("BIDDER")
    client.force_login(person)

    answer = client.post(SAVE, {"name": "Villas", "query": "q=vil\x1bla"})

    assert answer.status_code == 400
    assert "control characters" in answer.content.decode()
    assert not SavedSearch.objects.exists()


def test_a_name_used_twice_and_the_limit_are_refused_in_arabic_too(client, settings):
    person = make_user("BIDDER", preferred_language="ar")
    client.force_login(person)
    client.cookies["mazad_language"] = "ar"
    saved_searches.save(user=person, name="Search 3", query="q=v", alerts=False)
    twice = client.post(SAVE, {"name": "search 3", "query": "q=z"})
    for n in range(saved_searches.MAX_PER_PERSON - 1):
        saved_searches.save(user=person, name=f"Other {n}", query=f"q=v{n}", alerts=False)
    over = client.post(SAVE, {"name": "One more", "query": "q=z"})

    assert twice.status_code == over.status_code == 400
    assert "لديك بحث محفوظ باسم" in twice.content.decode()
    assert "20" in over.content.decode()
    assert "بحثًا محفوظًا" in over.content.decode()
    assert SavedSearch.objects.filter(user=person).count() == saved_searches.MAX_PER_PERSON


def test_the_catalog_offers_to_save_its_current_search(client):
    person = make_user("BIDDER")
    anonymous = client.get("/auctions/?q=villa&kind=REAL_ESTATE")
    client.force_login(person)
    signed_in = client.get("/auctions/?q=villa&kind=REAL_ESTATE&after=abc")

    assert "Log in to save this search" in anonymous.content.decode()
    assert 'name="query" value="q=villa&amp;kind=REAL_ESTATE"' in signed_in.content.decode()


def test_a_new_lot_that_matches_is_told_once_in_the_owners_language_with_its_link(court):
    arabic = make_user("BIDDER", preferred_language="ar")
    english = make_user("BIDDER", preferred_language="en")
    before = publish_new(court, title="Toyota Land Cruiser old")
    saved_searches.save(user=arabic, name="كروزر", query="q=cruiser&kind=VEHICLE", alerts=True)
    saved_searches.save(user=english, name="Cruisers", query="q=cruiser", alerts=True)
    saved_searches.save(user=english, name="Silent", query="q=cruiser", alerts=False)
    saved_searches.save(user=english, name="Villas", query="kind=REAL_ESTATE", alerts=True)
    SavedSearch.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    type(before.auction).objects.filter(pk=before.auction_id).update(
        published_at=timezone.now() - timedelta(days=1)
    )
    new = publish_new(court, title="Toyota Land Cruiser 2022")
    publish_new(court, title="Nissan Patrol")
    mail.outbox.clear()

    clock.notify(timezone.now())
    clock.notify(timezone.now())

    assert sorted(m.to[0] for m in mail.outbox) == sorted([arabic.email, english.email])
    by_to = {m.to[0]: m for m in mail.outbox}
    link = f"/lots/{new.pk}/"
    assert "كروزر" in by_to[arabic.email].subject
    assert link in by_to[arabic.email].body
    assert "سعر الافتتاح" in by_to[arabic.email].body
    assert "Cruisers" in by_to[english.email].subject
    assert link in by_to[english.email].body
    assert "Silent" not in by_to[english.email].body
    assert f"/lots/{before.pk}/" not in by_to[english.email].body  # published before the save
    assert SearchAlert.objects.count() == 2
    assert SearchAlert.objects.filter(emailed_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_passes_racing_tell_each_lot_once_per_search(court):
    if connection.vendor != "postgresql":
        pytest.skip("races are proved on PostgreSQL")
    people = [make_user("BIDDER") for _ in range(3)]
    for person in people:
        saved_searches.save(user=person, name="Cruisers", query="q=cruiser", alerts=True)
    SavedSearch.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    lots = [publish_new(court, title=f"Toyota Land Cruiser {n}") for n in range(5)]
    mail.outbox.clear()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def one_pass() -> None:
        try:
            start.wait()
            for _ in range(3):
                saved_searches.match_new_lots(timezone.now())
                saved_searches.deliver_alerts(timezone.now())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_pass) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert SearchAlert.objects.count() == len(people) * len(lots)
    told = [(m.to[0], lot.pk) for m in mail.outbox for lot in lots if f"/lots/{lot.pk}/" in m.body]
    assert sorted(told) == sorted((p.email, lot.pk) for p in people for lot in lots)
