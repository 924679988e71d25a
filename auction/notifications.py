"""Bidders' notices: written with the change that causes them, delivered by the clock.

Outbid, won, deposit received and closing soon (for watched lots) are rows
written in the transaction of the event, so none is lost; the clock's pass
then pushes each one to the user's open pages (a toast through their socket)
and e-mails the won and outbid ones, in the user's language. The lot page
itself learns of outbids at once through its own socket.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.events import user_group
from auction.models import Lot, Notification, Watch
from payments.money import Money

logger = logging.getLogger(__name__)

CLOSING_SOON = timedelta(minutes=10)
EMAILED = (Notification.Kind.OUTBID, Notification.Kind.WON)
BATCH = 200


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
        watches = list(
            Watch.objects.select_for_update(skip_locked=True)
            .select_related("lot")
            .filter(
                closing_notified_at__isnull=True,
                lot__status=Lot.Status.OPEN,
                lot__ends_at__lte=now + CLOSING_SOON,
            )[:BATCH]
        )
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
    }
    return messages[notification.kind] % {"title": title, "price": price}


def lot_url(notification: Notification) -> str:
    path = reverse("auction:lot", args=[notification.lot_id])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def deliver_pending(now: datetime) -> int:
    """Push new notices to open pages and e-mail the won and outbid ones; returns how many."""
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("user", "lot__asset")
            .filter(pushed_at__isnull=True)
            .order_by("created_at")[:BATCH]
        )
        if not pending:
            return 0
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(pushed_at=now)
    layer = get_channel_layer()
    for notification in pending:
        with translation.override(notification.user.preferred_language or "ar"):
            message = text(notification)
            if layer is not None:
                try:
                    async_to_sync(layer.group_send)(
                        user_group(notification.user_id),
                        {
                            "type": "user.notification",
                            "payload": {
                                "text": message,
                                "kind": notification.kind,
                                "lot": notification.lot_id,
                                "url": lot_url(notification),
                            },
                        },
                    )
                except Exception:
                    logger.warning("notice %s not pushed", notification.pk, exc_info=True)
            if notification.kind in EMAILED and notification.user.email:
                _email(notification, message)
    return len(pending)


def _email(notification: Notification, message: str) -> None:
    try:
        send_mail(
            subject=_("Mazad: %(title)s") % {"title": notification.lot.asset.title},
            message=f"{message}\n\n{lot_url(notification)}",
            from_email=None,
            recipient_list=[notification.user.email],
        )
    except Exception:
        logger.warning("notice %s not e-mailed", notification.pk, exc_info=True)
        return
    Notification.objects.filter(pk=notification.pk).update(emailed_at=notification.pushed_at)
