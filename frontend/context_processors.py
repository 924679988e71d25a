"""Values every page's layout needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_bidi

from accounts import webpush
from frontend import selectors


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "SITE_NAME": settings.MAZAD_NAME,
        "IS_RTL": get_language_bidi(),
        "announcements": selectors.current_announcements(),
        # The key a signed-in person's browser subscribes to web push with
        # (frontend/static/frontend/js/push.js).
        # An error page may be drawn before the request has a user (a host that is not ours).
        "PUSH_PUBLIC_KEY": webpush.public_key()
        if webpush.is_enabled() and getattr(request, "user", None) and request.user.is_authenticated
        else "",
    }
