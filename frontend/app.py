"""The installable app: its manifest, its service worker at the site's root, its offline page."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

# The site's green (--mz-green of frontend/static/frontend/css/mazad.css): the title bar of
# the installed app.
THEME_COLOUR = "#0b5c4b"
BACKGROUND_COLOUR = "#f6f8f7"
ICONS = [
    ("frontend/img/app-icon-192.png", "192x192", "any"),
    ("frontend/img/app-icon-512.png", "512x512", "any"),
    ("frontend/img/app-icon-maskable-512.png", "512x512", "maskable"),
]
# What the offline page needs, kept by the service worker when it installs. Only files that
# are the same for everyone: the offline pages are fetched without cookies.
OFFLINE_ASSETS = [
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/css/bootstrap.rtl.min.css",
    "frontend/css/mazad.css",
    "frontend/img/emblem.svg",
    "frontend/img/app-icon-192.png",
]


def _language(language: str) -> str:
    if language not in dict(settings.LANGUAGES):
        raise Http404
    return language


@require_GET
def manifest(request: HttpRequest, language: str) -> JsonResponse:
    """The web app manifest in one language (each page links the one in its reader's)."""
    with translation.override(_language(language)):
        data: dict[str, Any] = {
            "id": "/",
            "name": str(settings.MAZAD_NAME),
            "short_name": _("Mazad"),
            "description": _("Electronic judicial auctions"),
            "lang": language,
            "dir": "rtl" if translation.get_language_bidi() else "ltr",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "orientation": "any",
            "theme_color": THEME_COLOUR,
            "background_color": BACKGROUND_COLOUR,
            "icons": [
                {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
                for path, sizes, purpose in ICONS
            ],
        }
    response = JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def offline(request: HttpRequest, language: str) -> HttpResponse:
    """The page the service worker shows when a page cannot be reached (anyone's to see)."""
    with translation.override(_language(language)):
        response = render(request, "frontend/offline.html")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served at the root so that it may control every page of the site."""
    config = worker_config()
    source = loader.render_to_string(
        "frontend/service-worker.js", {"config": json.dumps(config, ensure_ascii=False)}
    )
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on each visit; the HTTP cache must not answer for us.
    response["Cache-Control"] = "no-cache"
    return response


def worker_config() -> dict[str, Any]:
    offline_pages = {
        code: reverse("frontend:offline", args=[code]) for code, _ in settings.LANGUAGES
    }
    precache = [*offline_pages.values(), *(static(path) for path in OFFLINE_ASSETS)]
    return {
        "version": _version(tuple(precache)),
        "precache": precache,
        "offline": offline_pages,
        "default_language": settings.LANGUAGE_CODE,
        "icon": static("frontend/img/app-icon-192.png"),
    }


@lru_cache(maxsize=1)
def _version(precache: tuple[str, ...]) -> str:
    """Changes with the offline page and each file it needs: a new worker then re-caches them."""
    digest = hashlib.sha256(repr(precache).encode())
    for name in ("frontend/offline.html", "frontend/service-worker.js"):
        digest.update(loader.get_template(name).template.source.encode())  # type: ignore[attr-defined]
    for path in OFFLINE_ASSETS:
        found = finders.find(path)
        if isinstance(found, str):
            with open(found, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:16]
