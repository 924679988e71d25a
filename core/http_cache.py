"""HTTP caching of public pages: ETags, conditional GETs, and `Cache-Control` per audience.

A public page read anonymously gets a validator (an ETag made from what the page shows) and
`Cache-Control: public, max-age=0, must-revalidate`: browsers and shared caches may keep it
but ask again each time, and the answer to an unchanged page is an empty 304. A page read by
a signed-in person is `private, no-cache` and carries no validator: no shared cache ever
keeps a page with someone's data, and one person's copy is never confirmed to another.

`PublicPageHeaders` (a middleware, outside the CSRF one) has the last word: a response that
sets a cookie (a first visit's CSRF token, a session) is never left public, and a public page
does not re-send the CSRF cookie the reader already holds.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import get_language

PUBLIC = "public, max-age=0, must-revalidate"
PRIVATE = "private, no-cache"
PUBLIC_MARK = "_mazad_public_page"

logger = logging.getLogger(__name__)

# What every page shows beside its own content (the site shell's announcements). The shell
# registers it at start-up (frontend/apps.py), so an app's page validators change with it
# while no app imports the shell.
_on_every_page: list[Callable[[], Any]] = []


def shown_on_every_page(part: Callable[[], Any]) -> None:
    """Register a reader of something every page shows; its value joins each page's ETag."""
    if part not in _on_every_page:
        _on_every_page.append(part)


def shell_state() -> list[Any]:
    """What every page shows beside its own content, for a page's ETag."""
    return [part() for part in _on_every_page]


def etag_of(*parts: Any) -> str:
    """A strong ETag of what a page shows, in the active language."""
    digest = hashlib.sha256(repr((get_language(), *parts)).encode()).hexdigest()[:32]
    return f'"{digest}"'


def is_anonymous_reader(request: HttpRequest) -> bool:
    """Anonymous, and with no one-time message waiting: the page is the same for everyone."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return False
    storage: Any = messages.get_messages(request)
    waiting = any(True for _message in storage)
    if hasattr(storage, "used"):
        storage.used = False  # looking must not consume them
    return not waiting


def not_modified(request: HttpRequest, etag: str) -> HttpResponseBase | None:
    """The 304 answer when the reader already holds this version, else None."""
    found = get_conditional_response(request, etag=etag)
    if found is not None:
        _public(found, etag)
    return found


def _public(response: HttpResponseBase, etag: str) -> None:
    response["ETag"] = etag
    response["Cache-Control"] = PUBLIC
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    setattr(response, PUBLIC_MARK, True)


def publish(response: HttpResponseBase, etag: str | None) -> HttpResponseBase:
    """Marks an anonymous page public with its ETag, or any other page private."""
    if etag is None:
        response["Cache-Control"] = PRIVATE
        patch_vary_headers(response, ("Cookie",))
    else:
        _public(response, etag)
    return response


class PublicPageHeaders:
    """Takes a page out of shared caches when it sets a cookie (a session, a CSRF token)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(response, PUBLIC_MARK, False):
            return response
        # Django re-sends an unchanged CSRF cookie with every page that holds a token, to
        # refresh its expiry; a public page leaves it as the reader has it.
        name = settings.CSRF_COOKIE_NAME
        sent = response.cookies.get(name)
        if sent is not None and sent.value == request.COOKIES.get(name):
            del response.cookies[name]
        if response.cookies:
            response["Cache-Control"] = PRIVATE
            del response["ETag"]
        return response


def cached_fragment(key: str, render: Callable[[], str], timeout: int) -> str:
    """A rendered page part from the shared cache, rendered and stored on a miss.

    The key names everything the part shows, so a change makes a new key and the old entry
    simply expires. When the cache cannot be reached the part is rendered each time: a
    cache outage slows the page, never breaks it.
    """
    try:
        found = cache.get(key)
    except Exception:  # any cache client failure means: render it
        logger.warning("page part cache unreachable", exc_info=True)
        return render()
    if isinstance(found, str):
        return found
    html = render()
    try:
        cache.set(key, html, timeout)
    except Exception:
        logger.warning("page part cache unreachable", exc_info=True)
    return html


def cached_value(key: str, read: Callable[[], Any], timeout: int) -> Any:
    """A value from the shared cache, read and stored on a miss (read directly on an outage)."""
    try:
        found = cache.get(key)
    except Exception:
        return read()
    if found is not None:
        return found
    value = read()
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("page part cache unreachable", exc_info=True)
    return value
