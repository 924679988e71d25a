"""The channel layer outlives a Redis restart: receive waits, and the groups are joined again."""

from __future__ import annotations

import asyncio

import pytest

from core.live.channel_layer import RedisChannelLayer
from tests.harness.aio import run
from tests.harness.stack import Redis


@pytest.fixture
def redis(tmp_path):
    server = Redis.on_free_port(tmp_path)
    server.start()
    yield server
    server.kill()


def test_a_receive_waits_through_a_redis_restart_and_its_group_is_joined_again(redis):
    async def scenario():
        layer = RedisChannelLayer(hosts=[redis.url], prefix="layer-test")
        channel = await layer.new_channel()
        await layer.group_add("user.7", channel)
        waiting = asyncio.create_task(layer.receive(channel))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(redis.kill)  # and with it the group, kept only in memory
        await asyncio.sleep(1.0)
        assert not waiting.done(), "receive does not fail while Redis is away"
        await asyncio.to_thread(redis.start)
        for _ in range(100):  # until the membership is back
            await asyncio.sleep(0.05)
            if await layer.connection(0).zcard(layer._group_key("user.7")):
                break
        await layer.group_send("user.7", {"type": "session.ended", "reason": "logged_out"})
        return await asyncio.wait_for(waiting, 10)

    message = run(scenario)

    assert message == {"type": "session.ended", "reason": "logged_out"}


def test_joining_and_leaving_a_group_while_redis_is_away_does_not_fail(redis):
    async def scenario():
        layer = RedisChannelLayer(hosts=[redis.url], prefix="layer-test")
        first, second = await layer.new_channel(), await layer.new_channel()
        await asyncio.to_thread(redis.kill)
        await layer.group_add("user.8", first)
        await layer.group_add("user.8", second)
        await layer.group_discard("user.8", second)
        await asyncio.to_thread(redis.start)
        waiting = asyncio.create_task(layer.receive(first))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if await layer.connection(0).zcard(layer._group_key("user.8")):
                break
        members = await layer.connection(0).zrange(layer._group_key("user.8"), 0, -1)
        await layer.group_send("user.8", {"type": "user.notification", "payload": {}})
        return [m.decode() for m in members], await asyncio.wait_for(waiting, 10), first

    members, message, first = run(scenario)

    assert members == [first]
    assert message["type"] == "user.notification"
