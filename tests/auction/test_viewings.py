"""Viewing times of an asset on sale: staff set them, registered bidders book, places hold."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from auction import clock
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


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ar"])
def test_booking_a_full_viewing_time_on_the_page_is_refused_and_changes_nothing(
    client, court, language
):
    lot = factories.lot(court)
    slot = _slot(court, lot, capacity=1)
    first, second = factories.registered_bidder(lot), factories.registered_bidder(lot)
    viewings.book_viewing(user=first.bidder, lot_id=lot.pk, slot_id=slot.pk, now=timezone.now())
    second.bidder.preferred_language = language
    second.bidder.save(update_fields=["preferred_language"])
    client.force_login(second.bidder)
    client.cookies["mazad_language"] = language

    page = client.get(reverse("auction:viewings", args=[lot.pk])).content.decode()
    refused = client.post(
        reverse("auction:viewings", args=[lot.pk]), {"slot": slot.pk}, follow=True
    )

    # The page answers after a redirect, with the refusal in the bidder's language.
    assert refused.redirect_chain == [(reverse("auction:viewings", args=[lot.pk]), 302)]
    body = refused.content.decode()
    expected = (
        "This viewing time is full; choose another."
        if language == "en"
        else "اكتمل موعد المعاينة هذا؛ اختر موعدًا آخر."
    )
    assert expected in body
    assert ViewingBooking.objects.filter(slot=slot, cancelled_at__isnull=True).count() == 1
    assert not ViewingBooking.objects.filter(registration=second).exists()
    assert "Gate 3" in page


def _booked(court, lot, slot, language: str) -> ViewingBooking:
    registration = factories.registered_bidder(lot)
    registration.bidder.preferred_language = language
    registration.bidder.save(update_fields=["preferred_language"])
    return viewings.book_viewing(
        user=registration.bidder, lot_id=lot.pk, slot_id=slot.pk, now=timezone.now()
    )


@pytest.mark.django_db
def test_the_bidder_is_told_of_the_booking_and_reminded_the_day_before_once_in_their_language(
    court,
):
    lot = factories.lot(court)
    slot = _slot(court, lot, capacity=5)  # in two days
    english, arabic = _booked(court, lot, slot, "en"), _booked(court, lot, slot, "ar")
    cancelled = _booked(court, lot, slot, "en")
    now = timezone.now()
    mail.outbox.clear()

    clock.notify(now)
    booked = list(mail.outbox)
    clock.notify(now)  # a second pass sends nothing more
    viewings.cancel_booking(user=cancelled.registration.bidder, booking_id=cancelled.pk, now=now)
    mail.outbox.clear()
    clock.notify(slot.starts_at - timedelta(hours=30))  # not yet the day before
    early = list(mail.outbox)
    clock.notify(slot.starts_at - timedelta(hours=20))
    clock.notify(slot.starts_at - timedelta(hours=19))
    reminders = list(mail.outbox)

    assert sorted(m.to[0] for m in booked) == sorted(
        b.registration.bidder.email for b in (english, arabic, cancelled)
    )
    to_english = next(m for m in booked if m.to == [english.registration.bidder.email])
    to_arabic = next(m for m in booked if m.to == [arabic.registration.bidder.email])
    assert "is booked" in to_english.subject
    assert "Gate 3, Al Olaya plot 17" in to_english.body
    assert f"/lots/{lot.pk}/viewings/" in to_english.body
    assert "حجز" in to_arabic.subject or "محجوز" in to_arabic.subject
    assert "Gate 3, Al Olaya plot 17" in to_arabic.body
    assert early == []
    assert sorted(m.to[0] for m in reminders) == sorted(
        b.registration.bidder.email for b in (english, arabic)
    ), "once each, never to a cancelled booking"
    reminder_en = next(m for m in reminders if m.to == [english.registration.bidder.email])
    reminder_ar = next(m for m in reminders if m.to == [arabic.registration.bidder.email])
    assert "A reminder" in reminder_en.body
    assert "تذكير" in reminder_ar.body


@pytest.mark.django_db
def test_a_booking_made_the_day_before_gets_its_confirmation_and_no_second_reminder(court):
    lot = factories.lot(court)
    start = timezone.now() + timedelta(hours=5)
    slot = viewings.add_slot(
        actor=make_user("EXECUTION_STAFF", court=court),
        lot_id=lot.pk,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=2,
        place="Yard 4",
    )
    _booked(court, lot, slot, "en")
    mail.outbox.clear()

    clock.notify(timezone.now())
    clock.notify(timezone.now() + timedelta(hours=1))

    assert len(mail.outbox) == 1
    assert "is booked" in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_two_notice_passes_racing_send_each_confirmation_and_reminder_once(court):
    lot = factories.lot(court)
    slot = _slot(court, lot, capacity=10)
    bookings = [_booked(court, lot, slot, "en") for _ in range(6)]
    mail.outbox.clear()

    def race(now) -> None:
        barrier = threading.Barrier(2)

        def one_pass() -> None:
            try:
                barrier.wait()
                viewings.deliver_notices(now)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=one_pass) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    race(timezone.now())
    confirmations = sorted(m.to[0] for m in mail.outbox)
    mail.outbox.clear()
    race(slot.starts_at - timedelta(hours=12))
    reminders = sorted(m.to[0] for m in mail.outbox)

    emails = sorted(b.registration.bidder.email for b in bookings)
    assert confirmations == emails
    assert reminders == emails
    assert not ViewingBooking.objects.filter(confirmed_at=None).exists()
    assert not ViewingBooking.objects.filter(reminded_at=None).exists()
