"""The process-local fan-out of live events: one Redis subscription per topic per process.

Why not one channel-layer message per watcher: that costs hundreds of
microseconds of server CPU per delivered message (docs/architecture.md, "The
flow of a bid"; measured in bench/README.md, "Ceilings and references"), so
a hot lot with thousands watching saturates a web process. Instead each
process holds one pub/sub connection to Redis, multiplexing every topic its
sockets watch (the apps' topics, such as auction's "lot:42"). An event is
published once, already encoded as a JSON frame; the hub writes that same
string to each local socket's ASGI `send`. Events that arrive within the
conflation window leave as one frame carrying all of them in order, and a
paced topic sends at most one frame per frame interval: the first event after
a quiet spell leaves after the short window, while a busy lot's events gather
until the interval has passed since its last frame. So each socket's frame
rate stays bounded however fast the bids come, while the page stays exact.

Under uvicorn's sans-I/O WebSocket protocol (production's `--ws
websockets-sansio`), a frame is framed for the wire once per flush, and the
same bytes are written to each idle socket's transport: the ASGI send would
build the same frame again for every socket. A socket not open, not
writable, or with an extension negotiated takes the ASGI send as usual.

Slow sockets never stall a topic: a frame is written to an idle socket at
once, and only a socket whose send has to wait gets a writer task and a
bounded queue behind it (an idle watcher costs neither). When the queue
overflows, the socket's backlog is replaced by one `resync` frame (the page
then resumes from its last sequence number); a socket that overflows again
soon after is closed. After a Redis error the hub reconnects with backoff,
resubscribes, and tells every socket to resync, because events may have been
missed meanwhile. The broadcast is a
notification: PostgreSQL and the per-lot sequence numbers are the record.

Without REDIS_URL (the embedded mode of `make run`) publishing goes straight
to the local hub.

The hub knows no app: topics are the apps' own strings, frames their own
encoded JSON. An app whose topics are paced by the frame interval says so with
`pace_topics` when it is ready (auction's lot topics: one person's topic
carries only their own events, and its frames must not wait behind the lot's).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from core import redis_urls
from core.live import metrics

logger = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]
Close = Callable[[int], Coroutine[Any, Any, None]]

RESYNC_FRAME = '{"type":"resync"}'
# The longest pause between reconnection attempts (before jitter of up to 1.5x): live events
# are back within a few seconds of Redis returning, however long it was away.
RECONNECT_MAX_SECONDS = 2.0
CLOSE_TOO_SLOW = 4008
CONTROL_TOPIC = "hub"
# Where config.asgi.ServerSend keeps the server's own send in a WebSocket's scope["extensions"].
SERVER_SEND = "mazad.server_send"


# The wire path leans on uvicorn's sans-I/O protocol class, which is not public API: uv.lock
# pins uvicorn, and tests/core/live/test_pinned_private_apis.py fails, naming what moved, when
# the pinned version no longer has it. Without it the web process still starts and serves
# every frame through the ASGI send (slower), and says so in its log.
SANSIO_MODULE = "uvicorn.protocols.websockets.websockets_sansio_impl"
SANSIO_ATTRIBUTES = (
    "handshake_complete",
    "conn",
    "transport",
    "writable",
    "close_sent",
    "disconnected",
    "request",
    "response",
)
try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import (
        WebSocketsSansIOProtocol as _SansIOProtocol,
    )

    SANSIO_PROTOCOL: type[Any] | None = _SansIOProtocol
    SANSIO_MISSING = ""
except ImportError as error:  # pragma: no cover - only with an unpinned uvicorn
    SANSIO_PROTOCOL = None
    SANSIO_MISSING = f"{SANSIO_MODULE}.WebSocketsSansIOProtocol cannot be imported ({error})"


def server_send(scope: dict[str, Any], fallback: Send) -> Send:
    """The server's own ASGI send for this socket (config.asgi.ServerSend), else `fallback`."""
    send: Send = (scope.get("extensions") or {}).get(SERVER_SEND, fallback)
    return send


def _accepted_protocol(send: Send) -> Any | None:
    """uvicorn's sans-I/O protocol behind `send` (its bound method), once it has accepted."""
    protocol = getattr(send, "__self__", None)
    if (
        SANSIO_PROTOCOL is not None
        and isinstance(protocol, SANSIO_PROTOCOL)
        and protocol.handshake_complete
    ):
        return protocol
    return None


def wire_protocol(send: Send) -> Any | None:
    """uvicorn's sans-I/O protocol behind `send`, when frames can go straight to its transport:
    the handshake done and no extension (such as compression) negotiated."""
    protocol = _accepted_protocol(send)
    if protocol is None or protocol.conn.extensions:
        return None
    return protocol


def release_handshake(send: Send) -> None:
    """Let go of the handshake uvicorn's sans-I/O protocol keeps once its socket is open.

    The protocol holds the parsed request and the response it accepted with for the
    connection's life, though it reads neither after the handshake: about 2 KB a watcher.
    """
    protocol = _accepted_protocol(send)
    if protocol is not None:
        protocol.request = None
        protocol.response = None


def wire_frame(frame: str) -> bytes:
    """A text message as a server writes it on the wire: one final, unmasked frame."""
    return Frame(Opcode.TEXT, frame.encode()).serialize(mask=False)


def channel_name(topic: str) -> str:
    return f"{settings.LIVE_PREFIX}:{topic}"


BATCH_START = '{"type":"batch","events":['
BATCH_END = "]}"


def combine(frames: list[str]) -> str:
    """One frame for several events, without decoding them: {"type":"batch","events":[...]}.

    A frame that is itself a batch gives its events, so batches never nest.
    """
    if len(frames) == 1:
        return frames[0]
    return (
        BATCH_START
        + ",".join(
            frame[len(BATCH_START) : -len(BATCH_END)] if frame.startswith(BATCH_START) else frame
            for frame in frames
        )
        + BATCH_END
    )


def by_topic(frames: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One message a topic, its events in their order (a batch frame when there are several)."""
    grouped: dict[str, list[str]] = {}
    for topic, frame in frames:
        grouped.setdefault(topic, []).append(frame)
    return [(topic, combine(texts)) for topic, texts in grouped.items()]


class _Resume:
    """Awaits the rest of an awaitable that was stepped by hand and suspended on `waiting`."""

    __slots__ = ("steps", "waiting")

    def __init__(self, steps: Generator[Any, Any, None], waiting: Any) -> None:
        self.steps = steps
        self.waiting = waiting

    def __await__(self) -> Generator[Any, Any, None]:
        waiting = self.waiting
        while True:
            try:
                value = yield waiting
            except BaseException as error:  # cancellation and the like go on into the send
                try:
                    waiting = self.steps.throw(error)
                except StopIteration:
                    return
                continue
            try:
                waiting = self.steps.send(value)
            except StopIteration:
                return


class Subscription:
    """One socket's place on one topic: frames written at once, or queued behind a slow send.

    A frame offered to an idle socket is written there and then: the send
    coroutine is stepped by hand, and with uvicorn it finishes without
    suspending, so a delivery costs no task switch. If the send suspends
    (the socket's buffer is full) a writer task finishes it, and frames that
    come meanwhile wait in a bounded queue that the writer drains; the writer
    ends when the queue is empty. While the subscription is held (the consumer
    is sending its snapshot) frames queue too.
    """

    __slots__ = (
        "_close",
        "_held",
        "_limit",
        "_protocol",
        "_released",
        "_send",
        "_stopped",
        "_task",
        "overflows",
        "queue",
        "topic",
    )

    def __init__(
        self, topic: str, send: Send, close: Close, limit: int, *, held: bool = False
    ) -> None:
        self.topic = topic
        self._send = send
        self._protocol = wire_protocol(send)
        self._close = close
        self._limit = limit
        self.queue: deque[str] | None = None  # made when a frame has to wait
        self.overflows = 0
        self._held = held
        # What a writer waits on while held: made only then (an asyncio.Event per socket
        # would cost each idle watcher its deque of waiters).
        self._released: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None  # a writer, while one is needed
        self._stopped = False

    def hold(self) -> None:
        """Stop writing (frames keep queueing) while the consumer sends a snapshot or replay."""
        self._held = True

    def release(self) -> None:
        self._held = False
        if self._released is not None and not self._released.done():
            self._released.set_result(None)
        self._released = None

    def offer(self, frame: str, wire: bytes | None = None) -> None:
        """Write or queue a frame without waiting; a full queue becomes one resync frame.

        `wire` is the frame already framed (`wire_frame`), for sockets whose transport takes it.
        """
        if self._stopped:
            return
        if self._task is None and not self.queue and not self._held:
            protocol = self._protocol
            if (
                wire is not None
                and protocol is not None
                and protocol.writable.is_set()
                and not protocol.close_sent
                and not protocol.disconnected
                and protocol.conn.state is State.OPEN
            ):
                protocol.transport.write(wire)
                return
            self._write_now(frame)
            return
        if self.queue is None:
            self.queue = deque()
        if len(self.queue) >= self._limit:
            self._overflow(self.queue)
        else:
            self.queue.append(frame)
        if self._task is None and not self._stopped:
            self._task = asyncio.get_running_loop().create_task(self._drain(None))

    def _write_now(self, frame: str) -> None:
        # The ASGI send may return a coroutine or a plain future: step its awaiter.
        steps = self._send({"type": "websocket.send", "text": frame}).__await__()
        try:
            waiting = steps.send(None)
        except StopIteration:
            return
        except Exception:
            logger.debug("a socket on %s stopped", self.topic, exc_info=True)
            self._stopped = True
            return
        self._task = asyncio.get_running_loop().create_task(self._drain(_Resume(steps, waiting)))

    def _overflow(self, queue: deque[str]) -> None:
        self.overflows += 1
        metrics.FRAMES_DROPPED.inc(len(queue) + 1)  # the queue and the frame that found it full
        queue.clear()
        if self.overflows > settings.LIVE_MAX_OVERFLOWS:
            self.stop()
            metrics.SLOW_SOCKETS_CLOSED.inc()
            asyncio.get_running_loop().create_task(self._close(CLOSE_TOO_SLOW))
            return
        metrics.RESYNCS.labels("overflow").inc()
        queue.append(RESYNC_FRAME)

    async def _drain(self, unfinished: _Resume | None) -> None:
        try:
            if unfinished is not None:
                await unfinished
            while self.queue:
                if self._held:
                    if self._released is None:
                        self._released = asyncio.get_running_loop().create_future()
                    await self._released
                    continue
                frame = self.queue.popleft()
                if not self.queue:
                    self.queue = None  # an idle socket keeps no queue
                await self._send({"type": "websocket.send", "text": frame})
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.debug("writer of a socket on %s stopped", self.topic, exc_info=True)
            self._stopped = True
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    def stop(self) -> None:
        self._stopped = True
        if self._task is not None:
            self._task.cancel()


class Hub:
    """The fan-out of one web process. Use `get_hub()`; it starts on first use."""

    def __init__(
        self,
        redis_url: str,
        *,
        conflate_seconds: float,
        queue_limit: int,
        frame_interval: float = 0.0,
        paced: Callable[[str], bool] | None = None,
    ) -> None:
        self.redis_url = redis_url
        self.conflate_seconds = conflate_seconds
        self.frame_interval = frame_interval
        # Which topics the frame interval applies to (all without a rule): one person's topic
        # carries only their own events, and its frames must not wait behind the lot's.
        self.paced = paced
        self.queue_limit = queue_limit
        self.topics: dict[str, set[Subscription]] = defaultdict(set)
        self.pending: dict[str, list[str]] = {}
        self.last_frame: dict[str, float] = {}  # loop time of each busy topic's last frame
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self.delivered = 0
        self.reconnects = 0

    # --- sockets ---------------------------------------------------------------------------

    async def join(
        self, topic: str, send: Send, close: Close, *, held: bool = False
    ) -> Subscription:
        """Subscribe a socket; returns once the topic's Redis subscription is active.

        With `held`, frames queue but are not written until `release()`: the
        consumer sends its snapshot first, then lets the live frames follow.
        """
        await self._ensure_started()
        subscription = Subscription(topic, send, close, self.queue_limit, held=held)
        first = not self.topics[topic]
        self.topics[topic].add(subscription)
        if first and self.redis_url:
            await self._subscribe(topic)
        return subscription

    async def leave(self, subscription: Subscription) -> None:
        subscription.stop()
        members = self.topics.get(subscription.topic)
        if members is None:
            return
        members.discard(subscription)
        if not members:
            del self.topics[subscription.topic]
            if self.redis_url and self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.unsubscribe(channel_name(subscription.topic))

    # --- delivery --------------------------------------------------------------------------

    def deliver(self, topic: str, frame: str) -> None:
        """Called on the hub's loop for every event of a topic; conflates bursts."""
        if topic == CONTROL_TOPIC:
            self._control(frame)
            return
        if topic not in self.topics:
            return
        waiting = self.pending.get(topic)
        if waiting is not None:
            waiting.append(frame)
            return
        self.pending[topic] = [frame]
        assert self.loop is not None
        delay = self.conflate_seconds
        last = self.last_frame.get(topic)
        if last is not None:
            delay = max(delay, last + self.frame_interval - self.loop.time())
        if delay > 0:
            self.loop.call_later(delay, self._flush, topic)
        else:
            self.loop.call_soon(self._flush, topic)

    def _flush(self, topic: str) -> None:
        frames = self.pending.pop(topic, None)
        members = self.topics.get(topic)
        if not frames or not members:
            self.last_frame.pop(topic, None)
            return
        if self.frame_interval > 0 and (self.paced is None or self.paced(topic)):
            assert self.loop is not None
            now = self.loop.time()
            self.last_frame[topic] = now
            # Forget topics quiet for a while, so the map holds only busy ones.
            if len(self.last_frame) > 2 * len(self.topics) + 64:
                horizon = now - self.frame_interval
                self.last_frame = {t: at for t, at in self.last_frame.items() if at > horizon}
        frame = combine(frames)
        # Framed for the wire once, when the first socket that takes it comes (none under
        # daphne or in the embedded mode).
        wire: bytes | None = None
        for subscription in list(members):
            if wire is None and subscription._protocol is not None:
                wire = wire_frame(frame)
            subscription.offer(frame, wire)
        self.delivered += len(members)
        metrics.BROADCAST_FRAMES.inc(len(members))

    def resync_all(self, reason: str = "announced") -> None:
        """Tell every local socket to resync (events may have been missed)."""
        told = 0
        for members in self.topics.values():
            for subscription in list(members):
                subscription.offer(RESYNC_FRAME)
            told += len(members)
        if told:
            metrics.RESYNCS.labels(reason).inc(told)

    def _control(self, frame: str) -> None:
        message = json.loads(frame)
        for event in message["events"] if message.get("type") == "batch" else [message]:
            if event.get("type") == "resync_all":
                self.resync_all()

    # --- Redis -----------------------------------------------------------------------------

    async def _ensure_started(self) -> None:
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
            if self.redis_url:
                self._reader = self.loop.create_task(self._read_forever())
        if self.redis_url:
            await self._connected.wait()

    async def _subscribe(self, topic: str) -> None:
        try:
            await self._pubsub.subscribe(channel_name(topic))
        except Exception:
            logger.warning("could not subscribe to %s; the hub will resubscribe", topic)

    async def _read_forever(self) -> None:
        delay = 0.1
        prefix = f"{settings.LIVE_PREFIX}:"
        while True:
            # No read timeout: the subscription blocks until an event comes (redis-py 8's
            # default of 5 s would drop it whenever a lot is quiet for 5 s).
            client = redis_urls.async_client(
                self.redis_url, socket_keepalive=True, socket_timeout=None, socket_connect_timeout=5
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                channels = [channel_name(CONTROL_TOPIC)] + [channel_name(t) for t in self.topics]
                await pubsub.subscribe(*channels)
                self._pubsub = pubsub
                if self.reconnects or delay > 0.1:
                    self.resync_all("redis_reconnect")
                self._connected.set()
                delay = 0.1
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is None or message.get("type") != "message":
                        continue
                    topic = message["channel"].decode()[len(prefix) :]
                    self.deliver(topic, message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.reconnects += 1
                logger.warning("live event subscription lost (%s); reconnecting", error)
                self._connected.set()  # sockets still join; they resync when Redis returns
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()


_paced_rules: tuple[Callable[[str], bool], ...] = ()


def pace_topics(rule: Callable[[str], bool]) -> None:
    """Have the frame interval apply to the topics `rule` accepts (an app calls it when ready).

    Topics no rule accepts leave after the conflation window only.
    """
    global _paced_rules
    if rule not in _paced_rules:
        _paced_rules = (*_paced_rules, rule)


def is_paced(topic: str) -> bool:
    """Whether the frame interval applies to `topic`: some app's rule accepts it."""
    return any(rule(topic) for rule in _paced_rules)


_hub: Hub | None = None
_hub_lock = threading.Lock()


def get_hub() -> Hub:
    global _hub
    with _hub_lock:
        if _hub is None:
            if SANSIO_MISSING:
                logger.warning(
                    "live frames go through the ASGI send, not the wire path: %s", SANSIO_MISSING
                )
            _hub = Hub(
                settings.REDIS_URL,
                conflate_seconds=settings.LIVE_CONFLATE_MS / 1000,
                frame_interval=settings.LIVE_FRAME_INTERVAL_MS / 1000,
                paced=is_paced,
                queue_limit=settings.LIVE_SOCKET_QUEUE,
            )
        return _hub


# --- publishing (from any thread, after commit) ----------------------------------------------

_publisher: redis.Redis | None = None


def _redis_publisher() -> redis.Redis:
    global _publisher
    if _publisher is None:
        # Short timeouts: a Redis outage must never hold up a bid; clients recover by seq.
        _publisher = redis_urls.sync_client(
            settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
        )
    return _publisher


def publish(topic: str, frame: str) -> bool:
    """Publish one encoded frame to every process watching `topic`. Never raises.

    Returns False when the frame could not be sent (the record stays in
    PostgreSQL; watchers catch up through their sequence numbers).
    """
    return publish_many([(topic, frame)])


def publish_many(frames: list[tuple[str, str]], counters: Sequence[str] = ()) -> bool:
    """Publish (topic, frame) pairs in order, in one round trip to Redis. Never raises.

    `counters` are keys of the shared cache incremented in the same round trip, after the
    frames: the versions of the public pages the frames change (core/http_cache.py,
    `shared_page`), so a page read after the change is rendered anew.

    A decided batch of bids has a frame per bid and per outbid bidder: the
    frames of one topic go as one message (a `batch` frame), and the messages
    in one pipelined call. Every process watching the lot then reads and
    parses one message a batch rather than one a bid. False when they could
    not be sent.
    """
    if not frames:
        return True
    frames = by_topic(frames)
    if settings.REDIS_URL:
        try:
            if len(frames) == 1 and not counters:
                _redis_publisher().publish(channel_name(frames[0][0]), frames[0][1])
            else:
                pipeline = _redis_publisher().pipeline(transaction=False)
                for topic, frame in frames:
                    pipeline.publish(channel_name(topic), frame)
                for name in counters:
                    pipeline.incr(cache.make_key(name))
                pipeline.execute()
        except redis.RedisError as error:
            metrics.PUBLISH_FAILURES.inc()
            logger.warning("%d live events not published: %s", len(frames), error)
            return False
        return True
    for name in counters:  # no Redis: the cache is this process's own
        try:
            cache.incr(name)
        except ValueError:
            cache.add(name, 1, None)
    hub = get_hub()
    if hub.loop is None or hub.loop.is_closed():
        return False
    for topic, frame in frames:
        hub.loop.call_soon_threadsafe(hub.deliver, topic, frame)
    return True


async def publish_async(topic: str, frame: str) -> bool:
    """`publish` for code already on an event loop."""
    hub = get_hub()
    if not settings.REDIS_URL:
        if hub.loop is asyncio.get_running_loop():
            hub.deliver(topic, frame)
            return True
        return publish(topic, frame)
    return await asyncio.to_thread(publish, topic, frame)
