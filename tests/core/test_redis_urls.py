"""REDIS_URL names a server or the Sentinels watching one (core/redis_urls.py)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from core import redis_urls
from core.cache import SharedRedisCache
from tests.harness.servers import free_port, wait_for_port


def test_a_sentinel_url_names_the_sentinels_the_service_the_database_and_the_password():
    target = redis_urls.parse_sentinel(
        "redis+sentinel://:s%40cret@10.0.0.1:26379,10.0.0.2:26380/mazad/3"
    )
    assert target.sentinels == [("10.0.0.1", 26379), ("10.0.0.2", 26380)]
    assert target.service == "mazad"
    assert target.db == 3
    assert target.password == "s@cret"
    assert redis_urls.parse_sentinel("redis+sentinel://h:1/svc").db == 0


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("redis+sentinel://h:1", "names no Sentinel service"),
        ("redis+sentinel://h/svc/0", "must be host:port"),
        ("redis://h:1/0", "not a redis\\+sentinel"),
    ],
)
def test_a_malformed_sentinel_url_is_refused_naming_what_is_wrong(url, words):
    with pytest.raises(ValueError, match=words):
        redis_urls.parse_sentinel(url)


def test_an_ordinary_url_keeps_the_channel_layer_entry_it_always_had():
    entry = redis_urls.channel_layer_host("redis://127.0.0.1:6379/2", max_connections=5)
    assert entry == {"address": "redis://127.0.0.1:6379/2", "max_connections": 5}


def test_a_sentinel_url_gives_channels_redis_the_sentinels_and_the_service():
    entry = redis_urls.channel_layer_host("redis+sentinel://a:26379,b:26379/mazad/1")
    assert entry["sentinels"] == [("a", 26379), ("b", 26379)]
    assert entry["master_name"] == "mazad"
    assert entry["db"] == 1
    assert "address" not in entry


@pytest.mark.servers
@pytest.mark.skipif(not shutil.which("redis-sentinel"), reason="redis-sentinel not installed")
def test_clients_reach_the_primary_the_sentinels_name(tmp_path):
    """A real Redis and a real Sentinel on loopback: both clients find the primary through it."""
    redis_port, sentinel_port = free_port(), free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"bind 127.0.0.1\nport {sentinel_port}\ndir {tmp_path}\n"
        f"sentinel monitor testsvc 127.0.0.1 {redis_port} 1\n"
    )
    processes = [
        subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", ""],
            stdout=subprocess.DEVNULL,
        ),
        subprocess.Popen(["redis-sentinel", str(conf)], stdout=subprocess.DEVNULL),
    ]
    try:
        wait_for_port(redis_port)
        wait_for_port(sentinel_port)
        url = f"redis+sentinel://127.0.0.1:{sentinel_port}/testsvc/4"
        client = redis_urls.sync_client(url, socket_timeout=2)
        client.set("mazad-sentinel-check", "1")
        assert client.get("mazad-sentinel-check") == b"1"
        client.close()

        async def ping() -> object:
            aclient = redis_urls.async_client(url, socket_timeout=2)
            try:
                return await aclient.get("mazad-sentinel-check")
            finally:
                await aclient.aclose()

        assert asyncio.run(ping()) == b"1"

        # The shared cache too: its LOCATION is the Sentinel URL, commas and all.
        page_cache = SharedRedisCache(url, {"KEY_PREFIX": "sentinel-check"})
        page_cache.set("page", {"body": "<p>"}, 30)
        assert page_cache.get("page") == {"body": "<p>"}
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=10)
