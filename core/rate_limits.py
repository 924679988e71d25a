"""Fixed-window rate limits on public endpoints, counted in the shared cache (Redis).

A window's counter is created with its expiry and incremented atomically, so every web
process counts against the same limit. The client is its address as the log-in throttle
sees it (AXES_IPWARE_META_PRECEDENCE_ORDER: the proxy's forwarded address, else the peer).
"""

from __future__ import annotations

from axes.helpers import get_client_ip_address  # type: ignore[import-untyped]
from django.core.cache import cache
from django.http import HttpRequest


def client_key(request: HttpRequest) -> str:
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(request: HttpRequest, scope: str, *, limit: int, window_seconds: int) -> bool:
    """Count one use of `scope` by this client; False once it passed `limit` in the window."""
    key = f"rate:{scope}:{client_key(request)}"
    if cache.add(key, 1, timeout=window_seconds):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 1, timeout=window_seconds)
        return True
    return int(count) <= limit
