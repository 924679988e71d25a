"""Signed-in users see the site in their preferred language and staff in their court's zone."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation


class PreferredLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user.preferred_language
            if language and language != getattr(request, "LANGUAGE_CODE", None):
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class CourtTimeZoneMiddleware:
    """Court staff see times in their court's zone; everyone else in the zone of each record.

    Pages for the public pass the record's court to the date filters (core.formatting), so a
    bidder sees a Kuwaiti lot's end in Kuwait time whatever the default zone is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        court_id = getattr(user, "court_id", None) if user is not None else None
        if court_id is None or not user.is_authenticated:  # type: ignore[union-attr]
            timezone.deactivate()
            return self.get_response(request)
        timezone.activate(ZoneInfo(user.court.time_zone))  # type: ignore[union-attr]
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class SecondFactorMiddleware:
    """Until a signed-in user proves their second factor, they reach only the pages to do so.

    Court staff, finance staff and supervisors without one are sent to enrol it; anyone
    who has one (bidders may add one) is asked for it after the password (accounts/mfa.py).
    """

    OPEN_PREFIXES = (
        "/accounts/second-factor/",
        "/accounts/security/",
        "/accounts/logout/",
        "/accounts/language/",
        "/static/",
        "/livez",
        "/readyz",
        "/healthz",
        "/jsi18n/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts import mfa

        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or request.path.startswith(self.OPEN_PREFIXES)
            or mfa.pending_by_session(user, request.session) is False
        ):
            return self.get_response(request)
        if mfa.enrolled(user):
            target = reverse("accounts:second_factor")
        elif mfa.required_for(user):
            target = reverse("accounts:security")
        else:
            # A bidder without a factor: asked once per session, not on every page. A role
            # change to court staff is seen above, whatever the session remembers.
            request.session[mfa.SESSION_NOT_NEEDED] = True
            return self.get_response(request)
        next_path = request.get_full_path() if request.method == "GET" else "/"
        return redirect(f"{target}?{urlencode({'next': next_path})}")
