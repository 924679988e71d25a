"""Row locks of the outbox: the worker claims one due delivery at a time, skipping taken ones."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from notifications.models import Delivery


def claim_due_delivery(now: datetime, *, skip_channels: Collection[str] = ()) -> Delivery | None:
    """Lock the longest-waiting delivery due by `now` (SKIP LOCKED), or None.

    A delivery locked by another worker's pass is skipped, so two passes never send the same
    one; the lock is held until the caller's transaction records the attempt.
    """
    return (
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(status=Delivery.Status.WAITING, due_at__lte=now)
        .exclude(channel__in=list(skip_channels))
        .order_by("due_at", "pk")
        .first()
    )
