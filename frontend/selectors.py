"""Reads for the site's chrome."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from django.utils import timezone

from core import http_cache
from core.transactions import after_commit
from frontend.models import Announcement


def current_announcements() -> list[Announcement]:
    """The announcements every page shows now (at most three, latest start first).

    From the shared cache (`announcement_ids`): a page's render makes no query for them."""
    now = timezone.now()
    return [item for item in _not_ended_cached() if item.starts_at <= now < item.ends_at][:3]


ANNOUNCEMENTS = "announcements"
ANNOUNCEMENT_SECONDS = 300


def announcement_ids() -> list[int]:
    """Which announcements every page shows now: part of each public page's validator.

    Read on every page, so from the shared cache: the announcements not yet ended, kept
    while no announcement is saved or deleted (frontend/apps.py bumps their version at once
    and after the commit), and those showing now picked from them here, as
    `current_announcements` picks them.
    """
    return [item.pk for item in current_announcements()]


def announcements_change_at() -> datetime | None:
    """When the announcements shown now next change by the clock alone: the first start or
    end still to come among those not yet ended, or None."""
    now = timezone.now()
    times = [
        at for item in _not_ended_cached() for at in (item.starts_at, item.ends_at) if at > now
    ]
    return min(times) if times else None


# A page's render asks for them three times (its validator, its layout, when they next
# change): the first answer serves the rest of the request. Each request starts afresh
# (`forget_read`, on request_started; frontend/apps.py), and an answer is never kept longer
# than a second by a thread that serves no requests.
_read = threading.local()
READ_SECONDS = 1.0


def _not_ended_cached() -> list[Announcement]:
    kept = getattr(_read, "announcements", None)
    if kept is not None and time.monotonic() - kept[0] < READ_SECONDS:
        return kept[1]  # type: ignore[no-any-return]
    found: list[Announcement] = http_cache.versioned_value(
        ("announcements-not-ended",), (ANNOUNCEMENTS,), _not_ended, ANNOUNCEMENT_SECONDS
    )
    _read.announcements = (time.monotonic(), found)
    return found


def forget_read(**kwargs: Any) -> None:
    """Forgets this thread's answer: a request starts, or the announcements changed."""
    _read.announcements = None


def _not_ended() -> list[Announcement]:
    # In the model's order (latest start first).
    return list(Announcement.objects.filter(ends_at__gt=timezone.now()))


def announcements_changed(sender: Any, **kwargs: Any) -> None:
    """Retires the cached announcements at once and after the commit (frontend/apps.py)."""
    forget_read()
    http_cache.changed(ANNOUNCEMENTS)
    after_commit(lambda: http_cache.changed(ANNOUNCEMENTS))
