"""Reads for the site's chrome."""

from __future__ import annotations

from django.utils import timezone

from frontend.models import Announcement


def current_announcements() -> list[Announcement]:
    now = timezone.now()
    return list(Announcement.objects.filter(starts_at__lte=now, ends_at__gt=now)[:3])


def announcement_ids() -> list[int]:
    """Which announcements every page shows now: part of each public page's validator."""
    return [announcement.pk for announcement in current_announcements()]
