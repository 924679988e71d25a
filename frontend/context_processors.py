"""Values every page's layout needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_bidi

from frontend import selectors


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "SITE_NAME": settings.MAZAD_NAME,
        "IS_RTL": get_language_bidi(),
        "announcements": selectors.current_announcements(),
    }
