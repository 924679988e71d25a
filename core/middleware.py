"""The outermost middleware: a request id, the access log line, and the HTTP metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import empty

from core import logs, metrics

access_logger = logging.getLogger("mazad.access")
# A path no URL pattern names (404s) is "unmatched": never the raw path, which is unbounded.
UNMATCHED = "unmatched"
STATIC = "static"
# Any other method a client sends is counted as "other": a label's values must stay few.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route(request: HttpRequest) -> str:
    """The name of the URL pattern that served the request (`auction:lot`), never its path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return str(match.view_name)
    if request.path.startswith(settings.STATIC_URL):
        return STATIC
    return UNMATCHED


class RequestObservation:
    """Binds the request id (a well-formed `X-Request-ID`, or a new one) for everything the
    request logs and enqueues, returns it in the response's `X-Request-ID`, writes one access
    line (`mazad.access`) and counts the request by route, method and status.

    The path is logged without its query string, which may carry tokens or searches.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        rid = logs.accepted_request_id(request.headers.get(logs.REQUEST_ID_HEADER))
        request.request_id = rid  # type: ignore[attr-defined]
        started = time.perf_counter()
        with logs.bound(request_id=rid):
            response = self.get_response(request)
            self._observe(request, response, started, rid)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        rid = logs.accepted_request_id(request.headers.get(logs.REQUEST_ID_HEADER))
        request.request_id = rid  # type: ignore[attr-defined]
        started = time.perf_counter()
        with logs.bound(request_id=rid):
            response: HttpResponseBase = await self._get_response_async(request)
            self._observe(request, response, started, rid)
        return response

    def _get_response_async(self, request: HttpRequest) -> Awaitable[HttpResponseBase]:
        return self.get_response(request)  # type: ignore[no-any-return]

    def _observe(
        self, request: HttpRequest, response: HttpResponseBase, started: float, rid: str
    ) -> None:
        seconds = time.perf_counter() - started
        response[logs.REQUEST_ID_HEADER] = rid
        name = route(request)
        method = request.method or ""
        counted = method if method in METHODS else "other"
        metrics.HTTP_REQUEST_SECONDS.labels(name, counted).observe(seconds)
        metrics.HTTP_REQUESTS.labels(name, counted, str(response.status_code)).inc()
        if access_logger.isEnabledFor(logging.INFO):
            access_logger.info(
                "%s %s %s",
                method,
                request.path,
                response.status_code,
                extra={
                    "method": method,
                    "path": request.path,
                    "route": name,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                    "remote_addr": request.META.get("REMOTE_ADDR", ""),
                    "user_id": _user_id(request),
                },
            )


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    # Only a user already loaded: reading a lazy one here would cost a query per request (and
    # may not be done from async code).
    if user is None or getattr(user, "_wrapped", empty) is empty:
        return None
    return int(user.pk) if user.is_authenticated else None
