"""A cap on requests per client address for public forms that cost work and need no account.

Fixed windows counted in the shared cache (Redis in production, so every web process counts
together; process memory without it). The address is the one the log-in throttle uses
(django-axes with ipware: `AXES_PROXY_COUNT` trusted proxies), so one rule reads it.
A refused request is answered 429 with `Retry-After` by the view; nothing else is done.
"""

from __future__ import annotations

import time

from axes.helpers import get_client_ip_address  # type: ignore[import-untyped]
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or "unknown"


def hit(scope: str, request: HttpRequest, *, limit: int, window_seconds: int) -> int | None:
    """Count one request of `scope` from the request's address; when it is over `limit`
    within the current window, the seconds until the window ends (else None)."""
    now = time.time()
    window = int(now // window_seconds)
    key = f"rate:{scope}:{client_address(request)}:{window}"
    cache.add(key, 0, timeout=window_seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=window_seconds + 1)
        count = 1
    if count <= limit:
        return None
    return max(int((window + 1) * window_seconds - now), 1)
