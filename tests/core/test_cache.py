"""The shared cache keeps one Redis client per process (core/cache.py)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from core.cache import SharedRedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (make test sets it)")


def _connections_named(name: str) -> int:
    admin = redis.Redis.from_url(REDIS_URL)
    try:
        return sum(1 for client in admin.client_list() if client.get("name") == name)
    finally:
        admin.close()


def _read_in_threads(backend: type[RedisCache], name: str, count: int) -> tuple[list[object], int]:
    """As under ASGI: each request's thread makes its own cache object and reads once.

    What they read, and the connections open while the objects are still kept (as they are
    while their requests run).
    """
    found: list[object] = []
    kept: list[RedisCache] = []

    def request() -> None:
        page_cache = backend(REDIS_URL, {"KEY_PREFIX": name, "OPTIONS": {"client_name": name}})
        kept.append(page_cache)
        found.append(page_cache.get("page"))

    for _ in range(count):
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()
    return found, _connections_named(name)


def test_requests_in_threads_of_their_own_share_one_connection():
    name = f"mazad-cache-{uuid.uuid4().hex[:8]}"
    SharedRedisCache(REDIS_URL, {"KEY_PREFIX": name}).set("page", "shared", 30)

    found, connections = _read_in_threads(SharedRedisCache, name, 20)

    assert found == ["shared"] * 20
    assert connections == 1


def test_djangos_own_backend_would_open_one_per_thread():
    """What the shared client is for: the stock backend's pool lives in each thread's object."""
    name = f"mazad-cache-{uuid.uuid4().hex[:8]}"

    _found, connections = _read_in_threads(RedisCache, name, 5)

    assert connections == 5
