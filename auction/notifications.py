"""Bidders' notices: written with the change that causes them, delivered by the clock.

Outbid, won, deposit received and closing soon (for watched lots) are rows
written in the transaction of the event, so none is lost; the clock's pass
then pushes them to the user's open pages (a toast through their socket) and
e-mails the outbid ones, in the user's language, once for the notices
of a pass that say the same thing about the same lot (the won e-mail is the sale's,
written into the outbox with the sale). The lot page itself
learns of outbids at once through its own socket.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from auction import locks
from auction.models import Lot, Notification, Watch
from core import metrics
from core.live import users as live_users
from core.money import Money
from notifications import services as outbox

logger = logging.getLogger(__name__)

CLOSING_SOON = timedelta(minutes=10)
# The won notice is e-mailed by the outbox (the sale's `sale.won`, written with the sale): one
# won e-mail, with the balance and its deadline; here it is only pushed to open pages.
EMAILED = (Notification.Kind.OUTBID,)
# Notices a pass takes; those that say the same thing are told once, so a pass costs about
# the same for 50 notices or 1,000 (a hot lot writes one for nearly every bid).
BATCH = 1000
# A bidder outbid again and again on a hot lot is e-mailed about it once in this time.
OUTBID_EMAIL_EVERY = timedelta(minutes=5)


def record(lot: Lot, user_ids: Iterable[int], kind: str, price_minor: int | None = None) -> None:
    """Write notices inside the caller's transaction."""
    Notification.objects.bulk_create(notices(lot, user_ids, kind, price_minor))


def notices(
    lot: Lot, user_ids: Iterable[int], kind: str, price_minor: int | None = None
) -> list[Notification]:
    """The notices `record` writes, for a caller that writes several lots' at once."""
    return [
        Notification(user_id=user_id, lot=lot, kind=kind, price_minor=price_minor)
        for user_id in dict.fromkeys(user_ids)
    ]


def closing_soon(now: datetime) -> int:
    """Notice every watcher of an open lot that ends within ten minutes, once."""
    with transaction.atomic():
        watches = locks.claim_watches_closing(now + CLOSING_SOON, BATCH)
        for watch in watches:
            record(
                watch.lot, [watch.user_id], Notification.Kind.CLOSING_SOON, watch.lot.price_minor
            )
        Watch.objects.filter(pk__in=[w.pk for w in watches]).update(closing_notified_at=now)
    return len(watches)


def text(notification: Notification) -> str:
    lot = notification.lot
    title = lot.asset.title
    price = (
        Money(notification.price_minor, lot.currency).format()
        if notification.price_minor is not None
        else ""
    )
    messages: dict[str, str] = {
        Notification.Kind.OUTBID: _("You were outbid on “%(title)s”: the price is now %(price)s."),
        Notification.Kind.WON: _(
            "You won “%(title)s” at %(price)s. Pay the balance by the deadline."
        ),
        Notification.Kind.CLOSING_SOON: _("“%(title)s” closes in less than ten minutes."),
        Notification.Kind.DEPOSIT_HELD: _(
            "Your deposit for “%(title)s” was received: you can bid."
        ),
        Notification.Kind.REGISTRATION_REVOKED: _(
            "You became a party to the enforcement file of “%(title)s”: your registration was "
            "revoked and you can no longer bid on it. Your deposit is refunded."
        ),
    }
    return messages[notification.kind] % {"title": title, "price": price}


def lot_url(notification: Notification) -> str:
    path = reverse("auction:lot", args=[notification.lot_id])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def deliver_pending(now: datetime) -> int:
    """Push new notices to open pages and e-mail the outbid ones; returns how many.

    The notices of a pass that say the same thing to the same user about the same lot (a
    bidder outbid again and again on a hot lot, where every bid outbids someone) are told
    once, with the latest: one toast and at most one e-mail, and every notice it covers is
    marked delivered. Only the latest of each is loaded in full. An outbid e-mail goes at
    most once every OUTBID_EMAIL_EVERY for a bidder and lot (the toast and the lot page
    still tell each time), and not at all, nor the toast, to a bidder who leads the lot
    again by the time of the pass. A pass pushes through one entry into the channel layer's event
    loop, sends its e-mails over one mail connection, and records them with one UPDATE.
    """
    with transaction.atomic():
        pending = locks.claim_pending_notices(BATCH)
        if not pending:
            return 0
        Notification.objects.filter(pk__in=[pk for pk, *_rest in pending]).update(pushed_at=now)
    told: dict[tuple[int, int, str], list[int]] = {}
    for pk, user_id, lot_id, kind in pending:
        told.setdefault((user_id, lot_id, kind), []).append(pk)
    latest = Notification.objects.select_related(
        "user", "lot__asset", "lot__auction__court"
    ).in_bulk([covered[-1] for covered in told.values()])
    quiet = _outbid_emailed_since(now - OUTBID_EMAIL_EVERY, told)
    leading_again = _leading_again(told)
    pushes: list[tuple[int, dict[str, Any]]] = []
    emails: list[_Email] = []
    for (user_id, lot_id, kind), covered in told.items():
        notification = latest.get(covered[-1])
        if notification is None:  # deleted since, with its user or its lot
            continue
        if kind == Notification.Kind.OUTBID and (user_id, lot_id) in leading_again:
            continue  # no longer true: the bidder took the lead back before the pass
        with translation.override(notification.user.preferred_language or "ar"):
            message, url = text(notification), lot_url(notification)
            event = {"text": message, "kind": kind, "lot": lot_id, "url": url}
            pushes.append((user_id, event))
            if kind in EMAILED and (user_id, lot_id) not in quiet:
                emails.append(_Email(notification=notification, url=url, covers=covered))
    live_users.push_notices(pushes)
    _write(emails, now)
    return len(pending)


def _leading_again(told: dict[tuple[int, int, str], list[int]]) -> set[tuple[int, int]]:
    """The (user, lot) pairs among the pass's outbid notices whose bidder leads the lot now.

    Their notices are kept (My auctions lists them) but neither pushed nor e-mailed: a toast
    or an e-mail saying "you were outbid" to the leader would contradict their lot page.
    """
    lot_ids = {lot_id for _user, lot_id, kind in told if kind == Notification.Kind.OUTBID}
    if not lot_ids:
        return set()
    leaders = Lot.objects.filter(
        pk__in=lot_ids, status=Lot.Status.OPEN, leader__isnull=False
    ).values_list("leader__bidder_id", "pk")
    return set(leaders)


def _outbid_emailed_since(
    since: datetime, told: dict[tuple[int, int, str], list[int]]
) -> set[tuple[int, int]]:
    """The (user, lot) pairs among the pass's outbid notices already e-mailed since `since`."""
    pairs = {
        (user_id, lot_id) for user_id, lot_id, kind in told if kind == Notification.Kind.OUTBID
    }
    if not pairs:
        return set()
    emailed = Notification.objects.filter(
        kind=Notification.Kind.OUTBID,
        emailed_at__isnull=False,
        emailed_at__gte=since,
        user_id__in={user_id for user_id, _lot in pairs},
        lot_id__in={lot_id for _user, lot_id in pairs},
    ).values_list("user_id", "lot_id")
    return set(emailed) & pairs


@dataclass
class _Email:
    notification: Notification  # the latest of those it tells of
    url: str
    covers: list[int]  # the notices this e-mail tells of


def _write(emails: list[_Email], now: datetime) -> None:
    """Write the outbid notices into the outbox (notifications/), which e-mails them (and
    tells the reader's other channels) once each, retrying a mail server that is down; the
    notices they cover are recorded as e-mailed, for the once-in-five-minutes rule."""
    if not emails:
        return
    with transaction.atomic():
        for email in emails:
            notification = email.notification
            lot = notification.lot
            price = Money(notification.price_minor or 0, lot.currency)
            outbox.tell(
                key=f"bid.outbid:{notification.pk}",
                kind="bid.outbid",
                to=notification.user,
                params={"title": lot.asset.title, "price": price, "url": email.url},
                url=email.url,
                time_zone=lot.auction.court,
            )
        Notification.objects.filter(pk__in=[pk for email in emails for pk in email.covers]).update(
            emailed_at=now
        )
    metrics.email_sent("notice", len(emails))
