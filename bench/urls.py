"""The site's URLs and, for the benchmark only, the ceiling page (bench/web_settings.py routes it).

`/bench/ceiling/?bytes=N` answers an HTML page of N bytes held in memory, through the same
server, middleware and Django stack as every page, touching no database or cache: what one
web process can serve at most, the figure the catalog's pages are compared with.
"""

from __future__ import annotations

from functools import lru_cache

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site

MAX_BYTES = 2_000_000


@lru_cache(maxsize=8)
def _page(size: int) -> bytes:
    line = "<p>مزاد · Mazad · صفحة من الذاكرة · a page from memory</p>\n".encode()
    body = b"<!doctype html><html><body>\n" + line * (size // len(line) + 1)
    return body[:size]


def ceiling(request: HttpRequest) -> HttpResponse:
    try:
        size = min(max(int(request.GET.get("bytes", "30000")), 1), MAX_BYTES)
    except ValueError:
        size = 30000
    return HttpResponse(_page(size), content_type="text/html; charset=utf-8")


urlpatterns = [path("bench/ceiling/", ceiling), *site]
