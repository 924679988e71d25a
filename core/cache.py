"""The shared cache's backend: Django's Redis cache with one client per process.

Django's own backend keeps its Redis connection pool in the cache object, and the cache
objects are kept per thread. Under ASGI every request runs its view in a thread of its own,
so each request would make a new pool and open (and handshake) a new connection for its
first cache read. Here every thread of a process shares one client, whose pool keeps its
connections open between requests.

The client comes from `core.redis_urls`, like every other Redis client of the platform, so
REDIS_URL may also name Sentinels (`redis+sentinel://...`): the cache then follows the
primary through a failover as the live events do.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from core import redis_urls

_clients: dict[tuple[str, tuple[tuple[str, Any], ...]], redis.Redis] = {}
_clients_lock = threading.Lock()


class SharedClient(RedisCacheClient):
    """Django's cache client, reading and writing through the process's one Redis client."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._url = servers[0]
        self._shared_options = tuple(sorted(options.items()))

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        name = (self._url, self._shared_options)
        client = _clients.get(name)
        if client is None:
            with _clients_lock:
                client = _clients.get(name)
                if client is None:
                    client = redis_urls.sync_client(self._url, **dict(self._shared_options))
                    _clients[name] = client
        return client


class SharedRedisCache(RedisCache):
    """The cache backend of CACHES when REDIS_URL is set (config/settings/base.py).

    LOCATION is one URL (a Sentinel URL lists its Sentinels with commas, which Django's
    backend would take for several servers).
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._servers = [server]
        self._class = SharedClient
