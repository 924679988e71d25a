"""The live fan-out hub: one Redis subscription per topic per process, bounded per socket."""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import pytest

from core.live import hub as hub_module
from core.live.hub import RESYNC_FRAME, Hub, combine
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

    def frames_json(self) -> list[dict]:
        return [json.loads(frame) for frame in self.frames]

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


def test_a_busy_topic_sends_one_frame_per_interval_and_a_quiet_one_at_once():
    async def scenario():
        hub = Hub("", conflate_seconds=0, queue_limit=16, frame_interval=0.5)
        socket = Socket()
        await hub.join("lot:4", socket.send, socket.close)
        hub.deliver("lot:4", json.dumps({"seq": 1}))
        await asyncio.sleep(0)
        first = len(socket.frames)  # a quiet topic's event leaves on the next turn
        for seq in range(2, 6):
            hub.deliver("lot:4", json.dumps({"seq": seq}))
        await asyncio.sleep(0.05)
        held = len(socket.frames)  # the rest wait for the interval since that frame
        await until(lambda: len(socket.events()) == 5)
        await asyncio.sleep(0.6)
        hub.deliver("lot:4", json.dumps({"seq": 6}))
        await asyncio.sleep(0)
        return first, held, socket

    first, held, socket = run(scenario)

    assert (first, held) == (1, 1)
    assert len(socket.frames) == 3
    assert [e["seq"] for e in socket.events()] == [1, 2, 3, 4, 5, 6]


def test_a_bidders_own_topic_is_not_held_back_by_the_lots_frame_interval():
    async def scenario():
        hub = Hub(
            "", conflate_seconds=0, queue_limit=16, frame_interval=0.5, paced=hub_module.is_paced
        )
        watcher, bidder = Socket(), Socket()
        await hub.join("lot:4", watcher.send, watcher.close)
        await hub.join("lot:4:user:7", bidder.send, bidder.close)
        for seq in (1, 2):
            hub.deliver("lot:4", json.dumps({"seq": seq}))
            hub.deliver("lot:4:user:7", json.dumps({"type": "outbid", "seq": seq}))
            await asyncio.sleep(0.02)
        return len(watcher.frames), [e["seq"] for e in bidder.events()]

    watched, outbids = run(scenario)

    assert watched == 1, "the lot's second event waits for its interval"
    assert outbids == [1, 2], "the bidder's own events leave at once"


def test_a_batch_of_frames_is_published_in_one_call_and_arrives_in_order_on_each_topic():
    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0, queue_limit=64)
        watcher, bidder = Socket(), Socket()
        await hub.join("lot:3", watcher.send, watcher.close)
        await hub.join("lot:3:user:9", bidder.send, bidder.close)
        frames = [("lot:3", json.dumps({"seq": seq})) for seq in range(1, 21)]
        frames.insert(5, ("lot:3:user:9", json.dumps({"type": "outbid", "seq": 5})))

        sent = await asyncio.to_thread(hub_module.publish_many, frames)

        await until(lambda: len(watcher.events()) == 20 and bidder.events())
        return sent, watcher, bidder

    sent, watcher, bidder = run(scenario)

    assert sent is True
    assert [e["seq"] for e in watcher.events()] == list(range(1, 21))
    assert len(watcher.frames) == 1, "a topic's frames of one call travel as one message"
    assert bidder.events() == [{"type": "outbid", "seq": 5}]


def test_combining_a_batch_with_more_events_gives_one_flat_batch():
    first = combine(['{"seq":1}', '{"seq":2}'])
    both = combine([first, '{"seq":3}'])

    assert json.loads(both) == {"type": "batch", "events": [{"seq": 1}, {"seq": 2}, {"seq": 3}]}
    assert combine([first]) == first


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
        queued = list(subscription.queue or ())
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
    assert hub_module.publish_many([("lot:6", '{"seq":1}'), ("lot:6", '{"seq":2}')]) is False


def test_after_redis_restarts_the_hub_resubscribes_and_tells_sockets_to_resync(tmp_path, settings):
    from tests.harness.stack import Redis

    server = Redis.on_free_port(tmp_path)
    settings.REDIS_URL = server.url

    async def scenario():
        hub = Hub(server.url, conflate_seconds=0, queue_limit=16)
        socket = Socket()
        await hub.join("lot:7", socket.send, socket.close)
        await asyncio.to_thread(server.kill)
        await asyncio.sleep(0.3)
        await asyncio.to_thread(server.start)
        await until(lambda: RESYNC_FRAME in socket.frames, timeout=10)
        hub_module._publisher = None
        await until(lambda: hub._pubsub is not None and hub._pubsub.subscribed, timeout=10)
        await asyncio.sleep(0.1)
        await asyncio.to_thread(hub_module.publish, "lot:7", '{"seq":9}')
        await until(lambda: {"seq": 9} in socket.events(), timeout=10)
        return socket, hub

    server.start()
    try:
        socket, hub = run(scenario)
    finally:
        server.kill()

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


def test_a_slow_reader_resumes_in_order_after_its_bounded_queue_became_one_resync(settings):
    settings.LIVE_MAX_OVERFLOWS = 5

    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0, queue_limit=3)
        slow, fast = Socket(stalled=True), Socket()
        subscription = await hub.join("lot:9", slow.send, slow.close)
        await hub.join("lot:9", fast.send, fast.close)
        for seq in range(1, 11):  # the first send waits; the rest overflow the queue of 3
            hub.deliver("lot:9", json.dumps({"seq": seq}))
            await asyncio.sleep(0)
        assert len(subscription.queue or ()) <= 3
        slow.stalled = False
        slow.release.set()  # the reader catches up
        await until(lambda: not subscription.queue and len(slow.frames) >= 2)
        for seq in range(11, 14):
            hub.deliver("lot:9", json.dumps({"seq": seq}))
            await asyncio.sleep(0)
        await until(lambda: len(fast.events()) == 13 and {"seq": 13} in slow.frames_json())
        return slow, fast

    slow, fast = run(scenario)

    assert [e["seq"] for e in fast.events()] == list(range(1, 14))
    assert slow.closed is None
    # The frame in flight, then the resync that replaced the backlog, then what followed, in order.
    assert slow.frames[0] == '{"seq": 1}'
    assert RESYNC_FRAME in slow.frames
    after = [json.loads(f)["seq"] for f in slow.frames[slow.frames.index(RESYNC_FRAME) + 1 :]]
    assert after == sorted(after)
    assert after[-3:] == [11, 12, 13]


def test_a_socket_whose_send_fails_stops_without_holding_the_others():
    class Broken(Socket):
        async def send(self, message):
            raise ConnectionResetError("gone")

    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0, queue_limit=3)
        broken, fine = Broken(), Socket()
        await hub.join("lot:10", broken.send, broken.close)
        await hub.join("lot:10", fine.send, fine.close)
        for seq in range(1, 6):
            hub.deliver("lot:10", json.dumps({"seq": seq}))
            await asyncio.sleep(0)
        await until(lambda: len(fine.frames) == 5)
        return fine

    fine = run(scenario)

    assert [e["seq"] for e in fine.events()] == [1, 2, 3, 4, 5]


def test_leaving_while_a_send_waits_ends_that_send():
    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0, queue_limit=3)
        slow = Socket(stalled=True)
        subscription = await hub.join("lot:11", slow.send, slow.close)
        hub.deliver("lot:11", '{"seq":1}')
        await asyncio.sleep(0.05)
        await hub.leave(subscription)
        await asyncio.sleep(0.05)
        slow.release.set()
        await asyncio.sleep(0.05)
        return slow, [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    slow, others = run(scenario)

    assert slow.frames == []
    assert not [t for t in others if "Subscription." in repr(t)], "no writer of the socket is left"


def test_a_send_that_returns_a_plain_future_is_awaited_one_frame_at_a_time():
    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0, queue_limit=8)
        loop = asyncio.get_running_loop()
        frames: list[str] = []
        in_flight = [0, 0]  # now, most at once

        def send(message):
            future = loop.create_future()
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])

            def done():
                in_flight[0] -= 1
                frames.append(message["text"])
                future.set_result(None)

            loop.call_later(0.01, done)
            return future

        async def close(code):
            return None

        await hub.join("lot:12", send, close)
        for seq in range(1, 6):
            hub.deliver("lot:12", json.dumps({"seq": seq}))
            await asyncio.sleep(0)
        await until(lambda: len(frames) == 5)
        return frames, in_flight[1]

    frames, most = run(scenario)

    assert [json.loads(f)["seq"] for f in frames] == [1, 2, 3, 4, 5]
    assert most == 1


def test_a_frame_is_written_to_idle_sockets_without_a_writer_task_and_a_stalled_one_gets_one():
    def writers() -> list[asyncio.Task]:
        return [t for t in asyncio.all_tasks() if "Subscription._drain" in repr(t)]

    async def scenario():
        hub = Hub(REDIS_URL, conflate_seconds=0, queue_limit=3)
        sockets = [Socket() for _ in range(20)]
        stalled = Socket(stalled=True)
        for socket in [*sockets, stalled]:
            await hub.join("lot:12", socket.send, socket.close)
        idle = len(writers())
        hub.deliver("lot:12", '{"seq":1}')
        await until(lambda: all(socket.frames for socket in sockets))
        busy = len(writers())
        hub.deliver("lot:12", '{"seq":2}')
        await until(lambda: all(len(socket.frames) == 2 for socket in sockets))
        stalled.release.set()
        await until(lambda: len(stalled.frames) == 2)
        await asyncio.sleep(0)
        return idle, busy, len(writers()), sockets, stalled

    idle, busy, after, sockets, stalled = run(scenario)

    assert (idle, busy, after) == (0, 1, 0), "only the stalled socket had a writer, until drained"
    assert all(socket.frames == ['{"seq":1}', '{"seq":2}'] for socket in sockets)
    assert stalled.frames == ['{"seq":1}', '{"seq":2}']


def test_the_lot_sockets_write_through_the_servers_own_send():
    from config.asgi import ServerSend

    seen = {}

    async def inner(scope, receive, send):
        seen["send"] = hub_module.server_send(scope, "the middleware's send")

    async def servers_send(message):
        return None

    original = {"websocket.http.response": {}}
    scope = {"type": "websocket", "extensions": original}

    async def scenario():
        await ServerSend(inner)(scope, None, servers_send)

    run(scenario)

    assert seen["send"] is servers_send
    assert original == {"websocket.http.response": {}}, "the server's own dict is left as it was"
    assert hub_module.server_send({"type": "websocket"}, "fallback") == "fallback"


def test_under_uvicorn_a_frame_framed_once_reaches_each_socket_as_the_servers_send_would_write_it():
    """The wire path: the hub frames a flush once and writes those bytes to each open socket
    (whose protocol has let go of its handshake)."""
    import uvicorn
    from websockets.asyncio.client import connect

    from tests.harness.servers import free_port

    texts = [
        '{"seq":1}',
        json.dumps({"type": "batch", "events": [{"seq": n, "pad": "x" * 90} for n in range(2)]}),
        json.dumps({"seq": 3, "pad": "é" * 40_000}),  # over 65,535 bytes: the 8-byte length
    ]
    hub = Hub("", conflate_seconds=0, queue_limit=16)
    subscriptions = []

    handshakes = []

    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()  # websocket.connect
        hub_module.release_handshake(send)  # not yet accepted: kept, the accept needs it
        await send({"type": "websocket.accept"})
        kept = send.__self__.request is not None and send.__self__.response is not None
        hub_module.release_handshake(send)
        handshakes.append((kept, send.__self__.request, send.__self__.response))
        subscription = await hub.join("lot:70", send, lambda code: send({"type": "x"}))
        subscriptions.append(subscription)
        while (await receive())["type"] != "websocket.disconnect":
            pass
        # Left in the topic: a socket gone but not yet left must not take the framed bytes.

    async def scenario():
        port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            ws="websockets-sansio",
            lifespan="off",
            ws_per_message_deflate=False,
            log_level="warning",
        )
        server = uvicorn.Server(config)
        serving = asyncio.get_running_loop().create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        received: list[list[str]] = [[], []]
        sockets = [await connect(f"ws://127.0.0.1:{port}/", max_size=None) for _ in range(2)]
        await until(lambda: len(subscriptions) == 2)
        wired = [s._protocol is not None for s in subscriptions]
        for text in texts:
            hub.deliver("lot:70", text)
            for index, socket in enumerate(sockets):
                received[index].append(await asyncio.wait_for(socket.recv(), 5))
        await sockets[1].close()
        await until(lambda: subscriptions[1]._protocol.disconnected)
        hub.deliver("lot:70", '{"seq":4}')
        last = await asyncio.wait_for(sockets[0].recv(), 5)
        await until(lambda: subscriptions[1]._stopped)
        await sockets[0].close()
        server.should_exit = True
        await serving
        return wired, received, last

    wired, received, last = run(scenario)

    assert wired == [True, True], "uvicorn's sockets take the framed bytes"
    assert handshakes == [(True, None, None)] * 2, "the handshake is let go once accepted"
    assert received == [texts, texts]
    assert last == '{"seq":4}', "the open socket goes on; the closed one's send stopped it"


def test_a_socket_that_is_not_uvicorns_or_not_open_takes_the_asgi_send():
    async def scenario():
        hub = Hub("", conflate_seconds=0, queue_limit=16)
        socket = Socket()
        subscription = await hub.join("lot:71", socket.send, socket.close)
        hub.deliver("lot:71", '{"seq":1}')
        await until(lambda: socket.frames == ['{"seq":1}'])
        return subscription

    subscription = run(scenario)

    assert subscription._protocol is None
    assert hub_module.wire_protocol(print) is None


def test_the_web_processes_start_up_heap_is_kept_out_of_the_collectors_full_passes():
    import gc

    import config.asgi  # noqa: F401

    assert gc.get_freeze_count() > 10_000, "Django's start-up objects are frozen"
