"""Viewing times of an asset on sale: staff set them, registered bidders book, places hold."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from auction.models import InspectionSlot, ViewingBooking
from auction.services import viewings
from core.errors import DomainError
from tests.auction import factories
from tests.conftest import make_user


def _slot(court, lot, *, capacity: int = 2) -> InspectionSlot:
    start = timezone.now() + timedelta(days=2)
    return viewings.add_slot(
        actor=make_user("EXECUTION_STAFF", court=court),
        lot_id=lot.pk,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=capacity,
        place="Gate 3, Al Olaya plot 17",
    )


@pytest.mark.django_db
def test_a_registered_bidder_books_a_viewing_both_sides_see_it_and_cancelling_frees_the_place(
    client, court
):
    lot = factories.lot(court)
    slot = _slot(court, lot, capacity=1)
    registration = factories.registered_bidder(lot)
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language="ar")
    client.force_login(registration.bidder)

    booked = client.post(reverse("auction:viewings", args=[lot.pk]), {"slot": slot.pk})
    bidder_page = client.get(reverse("auction:viewings", args=[lot.pk])).content.decode()
    client.force_login(staff)
    staff_page = client.get(
        reverse("auction:staff_viewings", args=[lot.auction_id, lot.pk])
    ).content.decode()
    booking = ViewingBooking.objects.get()
    client.force_login(registration.bidder)
    client.post(reverse("auction:viewings", args=[lot.pk]), {"cancel": booking.pk})

    assert booked.status_code == 302
    assert "Gate 3" in bidder_page
    assert "Cancel my viewing" in bidder_page
    assert f"#{registration.paddle}" in staff_page
    assert "1 من 1" in staff_page or "1 of 1" in staff_page
    booking.refresh_from_db()
    assert booking.cancelled_at is not None
    assert viewings.active_bookings(slot) == 0


@pytest.mark.django_db
def test_booking_refusals_say_why_and_change_nothing(court):
    lot = factories.lot(court)
    slot = _slot(court, lot, capacity=1)
    other = _slot(court, lot)
    first, second = factories.registered_bidder(lot), factories.registered_bidder(lot)
    now = timezone.now()
    viewings.book_viewing(user=first.bidder, lot_id=lot.pk, slot_id=slot.pk, now=now)
    refusals = {}
    for name, user, slot_id, when in [
        ("full", second.bidder, slot.pk, now),
        ("twice", first.bidder, other.pk, now),
        ("not registered", make_user("BIDDER", verified=True), other.pk, now),
        ("started", second.bidder, other.pk, other.starts_at),
        ("unknown", second.bidder, other.pk + 999, now),
    ]:
        with pytest.raises(DomainError) as refused:
            viewings.book_viewing(user=user, lot_id=lot.pk, slot_id=slot_id, now=when)
        refusals[name] = refused.value.code

    assert refusals == {
        "full": "viewing_full",
        "twice": "viewing_already_booked",
        "not registered": "not_registered",
        "started": "viewing_started",
        "unknown": "not_found",
    }
    assert ViewingBooking.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"starts_at": -1}, "viewing_in_past", "starts_at"),
        ({"ends_at": -2}, "ends_before_start", "ends_at"),
        ({"ends_at": 24}, "viewing_too_long", "ends_at"),
        ({"capacity": 0}, "capacity_range", "capacity"),
        ({"capacity": 51}, "capacity_range", "capacity"),
        ({"place": "  "}, "required", "place"),
    ],
)
def test_a_bad_viewing_time_is_refused_naming_the_field(court, change, code, field):
    lot = factories.lot(court)
    start = timezone.now() + timedelta(days=1)
    values = {
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "capacity": 3,
        "place": "Gate 3",
    }
    for name, value in change.items():
        values[name] = start + timedelta(hours=value) if name.endswith("_at") else value
        if name == "starts_at":
            values[name] = timezone.now() + timedelta(hours=value)

    with pytest.raises(DomainError) as refused:
        viewings.add_slot(actor=make_user("EXECUTION_STAFF", court=court), lot_id=lot.pk, **values)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert not InspectionSlot.objects.exists()


@pytest.mark.django_db
def test_the_staff_form_shows_errors_in_arabic_and_staff_of_another_court_see_nothing(
    client, court, other_court
):
    lot = factories.lot(court)
    url = reverse("auction:staff_viewings", args=[lot.auction_id, lot.pk])
    client.force_login(make_user("EXECUTION_STAFF", court=court, preferred_language="ar"))

    bad = client.post(url, {"starts_at": "", "ends_at": "x", "capacity": "0", "place": ""})
    client.force_login(make_user("EXECUTION_STAFF", court=other_court))
    elsewhere = client.get(url)

    assert bad.status_code == 400
    assert "إضافة الموعد" in bad.content.decode()
    assert elsewhere.status_code == 404
    assert not InspectionSlot.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_bidders_racing_for_the_last_places_never_overbook_it(court):
    lot = factories.lot(court)
    slot = _slot(court, lot, capacity=3)
    registrations = [factories.registered_bidder(lot) for _ in range(8)]
    clients = []
    for registration in registrations:
        bidder_client = Client()
        bidder_client.force_login(registration.bidder)
        clients.append(bidder_client)
    barrier = threading.Barrier(len(clients))
    answers: list[int] = []

    def book(bidder_client: Client) -> None:
        try:
            barrier.wait()
            answers.append(
                bidder_client.post(
                    reverse("auction:viewings", args=[lot.pk]), {"slot": slot.pk}
                ).status_code
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert answers == [302] * 8
    assert viewings.active_bookings(slot) == 3, "exactly the places, never more"
