"""Reads for the site's chrome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from core import http_cache
from core.transactions import after_commit
from frontend.models import Announcement


def current_announcements() -> list[Announcement]:
    now = timezone.now()
    return list(Announcement.objects.filter(starts_at__lte=now, ends_at__gt=now)[:3])


ANNOUNCEMENTS = "announcements"
ANNOUNCEMENT_SECONDS = 300


def announcement_ids() -> list[int]:
    """Which announcements every page shows now: part of each public page's validator.

    Read on every page, so from the shared cache: the announcements not yet ended, kept
    while no announcement is saved or deleted (frontend/apps.py bumps their version at once
    and after the commit), and those showing now picked from them here, as
    `current_announcements` picks them.
    """
    now = timezone.now()
    windows = http_cache.versioned_value(
        ("announcement-windows",), (ANNOUNCEMENTS,), _not_ended, ANNOUNCEMENT_SECONDS
    )
    return [pk for pk, starts_at, ends_at in windows if starts_at <= now < ends_at][:3]


def _not_ended() -> list[tuple[int, datetime, datetime]]:
    # In the model's order (latest start first), as `current_announcements` reads them.
    return list(
        Announcement.objects.filter(ends_at__gt=timezone.now()).values_list(
            "pk", "starts_at", "ends_at"
        )
    )


def announcements_changed(sender: Any, **kwargs: Any) -> None:
    """Retires the cached announcements at once and after the commit (frontend/apps.py)."""
    http_cache.changed(ANNOUNCEMENTS)
    after_commit(lambda: http_cache.changed(ANNOUNCEMENTS))
