"""Row locks of the outbox: the worker claims one due delivery at a time, skipping taken ones."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db.models import Q

from notifications.models import Delivery


def claim_due_delivery(now: datetime, *, skip_channels: Collection[str] = ()) -> Delivery | None:
    """Lock the longest-waiting delivery due by `now` (SKIP LOCKED), or None.

    A delivery never tried is due at once, whatever `now` says (a pass given an earlier
    time than the notice's writing still sends it); a retry waits for its `due_at`.

    A delivery locked by another worker's pass is skipped, so two passes never send the same
    one; the lock is held until the caller's transaction records the attempt.
    """
    return (
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(Q(attempts=0) | Q(due_at__lte=now), status=Delivery.Status.WAITING)
        .exclude(channel__in=list(skip_channels))
        .order_by("due_at", "pk")
        .first()
    )
