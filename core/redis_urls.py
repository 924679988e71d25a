"""Redis clients from REDIS_URL, a single server or a primary found through Redis Sentinel.

REDIS_URL is either an ordinary `redis://host:port/db` URL, or names the
Sentinels watching a primary:

    redis+sentinel://[:password@]host1:26379,host2:26379,host3:26379/<service>/<db>

With Sentinels, every client asks them which server is the primary when it
connects (and again after it lost its connection), so a failover, in which
Sentinel promotes the replica, is followed without a restart. A host that
vanishes (no reset ever arrives) is noticed by TCP keepalive within a few
seconds, so a subscription blocked on a read does not wait forever.

Every place that connects to Redis goes through here: the live events' hub
and publisher, the channel layer's configuration and the readiness check.
"""

from __future__ import annotations

import socket
import urllib.parse
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis
import redis.asyncio.sentinel as aiosentinel
import redis.sentinel
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff

SCHEME = "redis+sentinel"
# How long a client waits on one Sentinel before asking the next.
SENTINEL_TIMEOUT_SECONDS = 0.5
# Idle 1 s, then a probe a second, 3 unanswered: a vanished host is given up after about 4 s;
# and data sent to it (a SUBSCRIBE, a PUBLISH) that stays unacknowledged 4 s ends the
# connection too, where TCP alone would retransmit for a quarter of an hour.
KEEPALIVE_OPTIONS: dict[int, int] = {
    option: value
    for name, value in (
        ("TCP_KEEPIDLE", 1),
        ("TCP_KEEPINTVL", 1),
        ("TCP_KEEPCNT", 3),
        ("TCP_USER_TIMEOUT", 4000),
    )
    if (option := getattr(socket, name, None)) is not None
}


@dataclass(frozen=True)
class SentinelTarget:
    sentinels: list[tuple[str, int]]
    service: str
    db: int
    password: str | None


def is_sentinel(url: str) -> bool:
    return url.startswith(f"{SCHEME}://")


def parse_sentinel(url: str) -> SentinelTarget:
    """The Sentinels, the service (master) name, the database and password of a sentinel URL."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != SCHEME:
        raise ValueError(f"not a {SCHEME}:// URL: {url!r}")
    userinfo, _, hosts = parts.netloc.rpartition("@")
    password = urllib.parse.unquote(userinfo.partition(":")[2]) if userinfo else None
    sentinels = []
    for item in hosts.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"a Sentinel must be host:port, got {item!r} in REDIS_URL")
        sentinels.append((host.strip("[]"), int(port)))
    path = [piece for piece in parts.path.split("/") if piece]
    if not path:
        raise ValueError(
            "REDIS_URL names no Sentinel service: redis+sentinel://hosts/<service>/<db>"
        )
    db = int(path[1]) if len(path) > 1 else 0
    return SentinelTarget(sentinels, path[0], db, password or None)


def _sentinel_kwargs(target: SentinelTarget) -> dict[str, Any]:
    return {
        "socket_timeout": SENTINEL_TIMEOUT_SECONDS,
        "socket_connect_timeout": SENTINEL_TIMEOUT_SECONDS,
        "socket_keepalive": True,
        "socket_keepalive_options": KEEPALIVE_OPTIONS,
    }


def _server_kwargs(target: SentinelTarget, kwargs: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "db": target.db,
        "socket_keepalive": True,
        "socket_keepalive_options": KEEPALIVE_OPTIONS,
        **kwargs,
    }
    if target.password:
        merged.setdefault("password", target.password)
    return merged


def sync_client(url: str, **kwargs: Any) -> redis.Redis:
    """A blocking client of REDIS_URL's server (the primary, with Sentinels)."""
    if not is_sentinel(url):
        return redis.Redis.from_url(url, **kwargs)
    target = parse_sentinel(url)
    sentinel = redis.sentinel.Sentinel(target.sentinels, sentinel_kwargs=_sentinel_kwargs(target))
    client: redis.Redis = sentinel.master_for(target.service, **_server_kwargs(target, kwargs))
    return client


def async_client(url: str, **kwargs: Any) -> aioredis.Redis:
    """An asyncio client of REDIS_URL's server (the primary, with Sentinels)."""
    if not is_sentinel(url):
        return aioredis.Redis.from_url(url, **kwargs)
    target = parse_sentinel(url)
    sentinel = aiosentinel.Sentinel(target.sentinels, sentinel_kwargs=_sentinel_kwargs(target))
    # No silent retry: redis-py would reconnect a subscription to the new primary by itself and
    # hide the events lost on the way, where the hub must know, to tell its sockets to resync.
    options = {"retry": AsyncRetry(NoBackoff(), 0), **kwargs}
    client: aioredis.Redis = sentinel.master_for(target.service, **_server_kwargs(target, options))
    return client


def channel_layer_host(url: str, **kwargs: Any) -> dict[str, Any]:
    """channels_redis' `hosts` entry for REDIS_URL: an address, or Sentinels and a service."""
    if not is_sentinel(url):
        return {"address": url, **kwargs}
    target = parse_sentinel(url)
    return {
        "sentinels": target.sentinels,
        "master_name": target.service,
        "sentinel_kwargs": _sentinel_kwargs(target),
        **_server_kwargs(target, kwargs),
    }
