"""The site's routes plus a few that fail, to see what a person gets from a fault (500) and from
the database being unreachable (503)."""

from __future__ import annotations

from typing import Any

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as site_patterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a fault provoked by the test")


def database_unreachable(request: HttpRequest) -> HttpResponse:
    """As a view's query fails while PostgreSQL restarts: the driver's error, wrapped by Django."""
    try:
        raise ConnectionRefusedError("connection refused")
    except ConnectionRefusedError as error:
        raise OperationalError("could not connect to server: Connection refused") from error


def database_away(request: HttpRequest) -> dict[str, Any]:
    """A context processor as the layout's would be with the database away: it raises."""
    raise OperationalError("the database is unavailable")


urlpatterns = [
    path("fails/", fails),
    path("fails-and-breaks-the-layout/", fails),
    path("database-unreachable/", database_unreachable),
    path("api/database-unreachable/", database_unreachable),
    *site_patterns,
]
