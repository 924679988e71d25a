"""Viewing an asset before its sale: staff set viewing times, registered bidders book a place.

A time has a number of places; a booking takes one. Bookings of the same time are made one
after the other under its row lock, so two bidders racing for the last place get one place
between them; a bidder holds at most one booking per lot (a partial unique index).

The clock's notice pass e-mails the bidder, in their language, a confirmation of each
booking and a reminder `REMIND_AHEAD` before the viewing (a booking made inside that window
gets its confirmation only, which says when and where). Each is claimed with
`SKIP LOCKED` and marked in one transaction, so two passes racing send it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from auction import access, locks
from auction.models import InspectionSlot, Lot, Registration, ViewingBooking
from core import audit, formatting, metrics
from core.errors import DomainError, InvalidTransition, NotFound

logger = logging.getLogger(__name__)
MAX_CAPACITY = 50
MAX_LENGTH = timedelta(hours=12)
REMIND_AHEAD = timedelta(hours=24)
BATCH = 200


class ViewingRefused(DomainError):
    code = "viewing_refused"
    status = 409


def active_bookings(slot: InspectionSlot) -> int:
    return slot.bookings.filter(cancelled_at__isnull=True).count()


@transaction.atomic
def add_slot(
    *,
    actor: User,
    lot_id: int,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    place: str,
    now: datetime | None = None,
) -> InspectionSlot:
    """Staff of the lot's court offer a viewing time of its asset. Raises NotFound, DomainError
    naming the field (`viewing_in_past`, `ends_before_start`, `viewing_too_long`,
    `capacity_range`, `required`)."""
    now = now or timezone.now()
    lot = Lot.objects.select_related("auction").filter(pk=lot_id).first()
    if lot is None or not access.may_manage(actor, lot.auction):
        raise NotFound(_("No such lot."))
    place = (place or "").strip()
    if not place:
        raise DomainError(_("Say where the viewers meet."), code="required", field="place")
    if starts_at <= now:
        raise DomainError(
            _("A viewing time starts in the future."), code="viewing_in_past", field="starts_at"
        )
    if ends_at <= starts_at:
        raise DomainError(
            _("The viewing must end after it starts."), code="ends_before_start", field="ends_at"
        )
    if ends_at - starts_at > MAX_LENGTH:
        raise DomainError(
            _("A viewing time lasts at most 12 hours."), code="viewing_too_long", field="ends_at"
        )
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(
            _("A viewing time has between 1 and %(limit)s places."),
            code="capacity_range",
            field="capacity",
            params={"limit": MAX_CAPACITY},
        )
    slot = InspectionSlot.objects.create(
        asset_id=lot.asset_id,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        place=place[:200],
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="viewing.slot_added",
        obj=slot,
        court_id=lot.auction.court_id,
        after=audit.snapshot(slot, ["asset", "starts_at", "ends_at", "capacity", "place"]),
    )
    return slot


@transaction.atomic
def book_viewing(*, user: User, lot_id: int, slot_id: int, now: datetime) -> ViewingBooking:
    """A bidder registered for the lot takes a place at one of its asset's viewing times.

    Raises NotFound (no such time for this lot), ViewingRefused `not_registered`,
    `viewing_started`, `viewing_full`, `viewing_already_booked`.
    """
    registration = (
        Registration.objects.select_related("lot__auction")
        .filter(lot_id=lot_id, bidder=user)
        .first()
    )
    slot = InspectionSlot.objects.filter(pk=slot_id).first()
    if slot is None:
        raise NotFound(_("No such viewing time."), field="slot")
    if registration is None:
        raise ViewingRefused(
            _("Register for this lot before booking a viewing."), code="not_registered"
        )
    if slot.asset_id != registration.lot.asset_id:
        raise NotFound(_("No such viewing time."), field="slot")
    slot = locks.inspection_slot(slot.pk)
    if slot.starts_at <= now:
        raise ViewingRefused(
            _("This viewing time has started or passed."), code="viewing_started", field="slot"
        )
    if active_bookings(slot) >= slot.capacity:
        raise ViewingRefused(
            _("This viewing time is full; choose another."), code="viewing_full", field="slot"
        )
    try:
        with transaction.atomic():
            booking = ViewingBooking.objects.create(slot=slot, registration=registration)
    except IntegrityError:
        raise ViewingRefused(
            _("You already hold a viewing for this lot; cancel it to choose another time."),
            code="viewing_already_booked",
            field="slot",
        ) from None
    audit.record(
        actor=user,
        action="viewing.booked",
        obj=booking,
        court_id=registration.lot.auction.court_id,
        after={"slot": slot.pk, "paddle": registration.paddle},
    )
    return booking


@transaction.atomic
def cancel_booking(*, user: User, booking_id: int, now: datetime) -> ViewingBooking:
    """The bidder (or the court's staff) gives the place back, before the viewing starts."""
    booking = (
        ViewingBooking.objects.select_related("slot", "registration__lot__auction")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        raise NotFound(_("No such booking."))
    lot = booking.registration.lot
    if booking.registration.bidder_id != user.pk and not access.may_manage(user, lot.auction):
        raise NotFound(_("No such booking."))
    locks.inspection_slot(booking.slot_id)
    booking.refresh_from_db()
    if booking.cancelled_at is not None:
        raise InvalidTransition(_("This booking was cancelled already."))
    if booking.slot.starts_at <= now:
        raise ViewingRefused(
            _("This viewing time has started or passed."), code="viewing_started", field="slot"
        )
    booking.cancelled_at = now
    booking.save(update_fields=["cancelled_at"])
    audit.record(
        actor=user,
        action="viewing.cancelled",
        obj=booking,
        court_id=lot.auction.court_id,
        after={"cancelled_at": now.isoformat()},
    )
    return booking


# --- telling the bidder ------------------------------------------------------------------


@dataclass
class _Email:
    to: str
    subject: str
    body: str
    booking_id: int


def _email(booking: ViewingBooking, *, reminder: bool) -> _Email:
    user = booking.registration.bidder
    slot, lot = booking.slot, booking.registration.lot
    language = user.preferred_language or "ar"
    court = lot.auction.court
    with translation.override(language):
        values = {
            "title": lot.asset.title,
            "when": formatting.format_moment(slot.starts_at, court, lang=language),
            "until": formatting.format_clock(slot.ends_at, court, lang=language),
            "place": slot.place,
            "url": f"{settings.SITE_URL.rstrip('/')}{reverse('auction:viewings', args=[lot.pk])}",
        }
        if reminder:
            subject = gettext("Mazad: your viewing of “%(title)s” is soon") % values
            body = (
                gettext(
                    "A reminder: you booked a place to view “%(title)s” on %(when)s, until "
                    "%(until)s, at %(place)s.\n\nIf you cannot come, cancel it so another bidder "
                    "may take the place: %(url)s"
                )
                % values
            )
        else:
            subject = gettext("Mazad: your viewing of “%(title)s” is booked") % values
            body = (
                gettext(
                    "Your place to view “%(title)s” is booked for %(when)s, until %(until)s, at "
                    "%(place)s.\n\nWe will remind you the day before. To cancel it: %(url)s"
                )
                % values
            )
    return _Email(user.email, subject, body, booking.pk)


def _send(emails: list[_Email], kind: str) -> None:
    sent = 0
    if emails:
        try:
            with get_connection() as mail:
                for email in emails:
                    try:
                        EmailMessage(
                            email.subject, email.body, None, [email.to], connection=mail
                        ).send()
                    except Exception:
                        logger.warning("viewing %s not e-mailed", email.booking_id, exc_info=True)
                    else:
                        sent += 1
        except Exception:
            logger.warning("no viewing notice sent: the mail connection failed", exc_info=True)
    metrics.email_sent(kind, sent)
    metrics.email_failed(kind, len(emails) - sent)


def _bookings(ids: list[int]) -> list[ViewingBooking]:
    return list(
        ViewingBooking.objects.filter(pk__in=ids)
        .select_related("slot", "registration__bidder", "registration__lot__asset")
        .select_related("registration__lot__auction__court")
        .order_by("pk")
    )


def deliver_notices(now: datetime) -> int:
    """One pass: confirm new bookings, remind those whose viewing is within `REMIND_AHEAD`.

    Returns how many e-mails were claimed. A claimed booking is marked before it is sent: a
    crash between the two loses that e-mail rather than sending it twice.
    """
    with transaction.atomic():
        confirm = locks.claim_viewing_confirmations(BATCH, now)
        ViewingBooking.objects.filter(pk__in=confirm).update(confirmed_at=now)
        # A booking already inside the reminder window: its confirmation says it all.
        ViewingBooking.objects.filter(
            pk__in=confirm, reminded_at__isnull=True, slot__starts_at__lte=now + REMIND_AHEAD
        ).update(reminded_at=now)
    with transaction.atomic():
        remind = locks.claim_viewing_reminders(BATCH, now, REMIND_AHEAD)
        ViewingBooking.objects.filter(pk__in=remind).update(reminded_at=now)

    def usable(booking: ViewingBooking) -> bool:
        user = booking.registration.bidder
        return bool(user.is_active and user.email)

    _send([_email(b, reminder=False) for b in _bookings(confirm) if usable(b)], "viewing")
    _send([_email(b, reminder=True) for b in _bookings(remind) if usable(b)], "viewing_reminder")
    return len(confirm) + len(remind)
