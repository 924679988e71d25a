"""The live fan-out hub: one Redis subscription per topic per process, bounded per socket."""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import pytest

from auction import hub as hub_module
from auction.hub import RESYNC_FRAME, Hub, combine
from tests.harness.aio import run

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(autouse=True)
def _live_prefix(settings):
    settings.LIVE_PREFIX = f"test-{uuid.uuid4().hex[:8]}:live"
    settings.REDIS_URL = REDIS_URL
    settings.LIVE_MAX_OVERFLOWS = 1
    hub_module._publisher = None
    yield
    hub_module._publisher = None


class Socket:
    """Stands in for a consumer's ASGI send: records frames, can be made to stall."""

    def __init__(self, stalled: bool = False) -> None:
        self.frames: list[str] = []
        self.closed: int | None = None
        self.stalled = stalled
        self.release = asyncio.Event()

    async def send(self, message):
        if self.stalled:
            await self.release.wait()
        self.frames.append(message["text"])

    async def close(self, code: int) -> None:
        self.closed = code

    def events(self) -> list[dict]:
        out = []
        for frame in self.frames:
            data = json.loads(frame)
            out.extend(data["events"] if data.get("type") == "batch" else [data])
        return out


async def until(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


def test_an_event_published_once_reaches_sockets_on_two_processes_hubs():
    async def scenario():
        first = Hub(REDIS_URL, conflate_seconds=0, queue_limit=16)
        second = Hub(REDIS_URL, conflate_seconds=0, queue_limit=16)
        sockets = [Socket() for _ in range(4)]
        for index, socket in enumerate(sockets):
            await (first if index % 2 else second).join("lot:1", socket.send, socket.close)

        await asyncio.to_thread(hub_module.publish, "lot:1", '{"type":"bid_accepted","seq":1}')
        await until(lambda: all(s.frames for s in sockets))
        return sockets, first, second

    sockets, first, second = run(scenario)

    assert [s.events() for s in sockets] == [[{"type": "bid_accepted", "seq": 1}]] * 4
    assert first.delivered == second.delivered == 2


def test_a_burst_is_conflated_into_one_frame_in_order():
    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0.05, queue_limit=16)
        socket = Socket()
        await hub.join("lot:2", socket.send, socket.close)
        for seq in range(1, 6):
            await asyncio.to_thread(hub_module.publish, "lot:2", json.dumps({"seq": seq}))
        await until(lambda: len(socket.events()) == 5)
        return socket

    socket = run(scenario)

    assert len(socket.frames) == 1
    assert [e["seq"] for e in socket.events()] == [1, 2, 3, 4, 5]


def test_a_stalled_socket_gets_a_resync_and_is_closed_when_it_stalls_again_without_holding_others():
    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0, queue_limit=3)
        slow, fast = Socket(stalled=True), Socket()
        await hub.join("lot:3", slow.send, slow.close)
        await hub.join("lot:3", fast.send, fast.close)
        for seq in range(1, 21):
            hub.deliver("lot:3", json.dumps({"seq": seq}))
            await asyncio.sleep(0)
        await until(lambda: len(fast.events()) == 20)
        await until(lambda: slow.closed is not None)
        return slow, fast

    slow, fast = run(scenario)

    assert [e["seq"] for e in fast.events()] == list(range(1, 21))
    assert slow.closed == hub_module.CLOSE_TOO_SLOW


def test_an_overflowing_socket_is_told_to_resync():
    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0, queue_limit=2)
        slow = Socket(stalled=True)
        subscription = await hub.join("lot:4", slow.send, slow.close)
        for seq in range(1, 5):
            hub.deliver("lot:4", json.dumps({"seq": seq}))
            await asyncio.sleep(0)
        queued = list(subscription.queue._queue)
        slow.stalled = False
        slow.release.set()
        return queued

    queued = run(scenario)

    assert RESYNC_FRAME in queued
    assert len(queued) <= 2


def test_leaving_the_last_socket_unsubscribes_the_topic():
    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0, queue_limit=4)
        socket = Socket()
        subscription = await hub.join("lot:5", socket.send, socket.close)
        await hub.leave(subscription)
        await asyncio.to_thread(hub_module.publish, "lot:5", '{"seq":1}')
        await asyncio.sleep(0.2)
        return socket, hub

    socket, hub = run(scenario)

    assert socket.frames == []
    assert "lot:5" not in hub.topics


def test_combine_builds_a_batch_without_reencoding():
    assert combine(['{"a":1}']) == '{"a":1}'
    assert json.loads(combine(['{"a":1}', '{"b":2}'])) == {
        "type": "batch",
        "events": [{"a": 1}, {"b": 2}],
    }


def test_publishing_without_redis_reports_failure_instead_of_raising(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    hub_module._publisher = None

    assert hub_module.publish("lot:6", '{"seq":1}') is False


def test_after_redis_restarts_the_hub_resubscribes_and_tells_sockets_to_resync(tmp_path, settings):
    import subprocess

    from tests.harness.servers import free_port, wait_for_port

    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_URL = url
    command = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp_path),
    ]

    def start():
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for_port(port, process=process)
        return process

    async def scenario(process):
        hub = Hub(url, conflate_seconds=0, queue_limit=16)
        socket = Socket()
        await hub.join("lot:7", socket.send, socket.close)
        process.kill()
        process.wait()
        await asyncio.sleep(0.3)
        restarted = start()
        await until(lambda: RESYNC_FRAME in socket.frames, timeout=10)
        hub_module._publisher = None
        await until(lambda: hub._pubsub is not None and hub._pubsub.subscribed, timeout=10)
        await asyncio.sleep(0.1)
        await asyncio.to_thread(hub_module.publish, "lot:7", '{"seq":9}')
        await until(lambda: {"seq": 9} in socket.events(), timeout=10)
        return socket, hub, restarted

    first = start()
    try:
        socket, hub, restarted = run(lambda: scenario(first))
    finally:
        first.kill()
    restarted.kill()

    assert hub.reconnects >= 1
    assert socket.frames[0] == RESYNC_FRAME
    assert {"seq": 9} in socket.events()


def test_a_quiet_topic_keeps_its_subscription_without_reconnecting():
    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0, queue_limit=4)
        socket = Socket()
        await hub.join("lot:8", socket.send, socket.close)
        await asyncio.sleep(6)  # longer than redis-py's default 5 s read timeout
        await asyncio.to_thread(hub_module.publish, "lot:8", '{"seq":1}')
        await until(lambda: socket.frames)
        return socket, hub

    socket, hub = run(scenario)

    assert hub.reconnects == 0
    assert socket.frames == ['{"seq":1}']
