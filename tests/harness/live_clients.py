"""Real WebSocket clients of the lot socket that keep a record of everything they were told.

A `LiveClient` behaves as the lot page does (docs/live-protocol.md): it joins
(snapshot, then `resume` from its last sequence number), applies bids strictly
in sequence, asks for a replay on a gap or a `resync`, and after losing its
socket reconnects, to the next web process if its own is gone, and resumes.
A bidding client keeps one bid in flight, and sends an unanswered bid again
with the same client id after reconnecting, as the page does.

Its record is the client side of the invariants: every bid it applied, by
sequence number; every answer to every submission; and counts of reconnects,
resyncs, replays and refusals. `violations` lists what it saw that the
protocol promises never happens (a replay with a hole, two amounts for one
sequence number, two answers to one send).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

# Refusals after which the page sends the same bid again (same client id, same amount).
RETRYABLE = frozenset({"service_unavailable", "rate_limited"})
ANSWER_TIMEOUT = 10.0


@dataclass
class Answer:
    client_id: str
    amount_minor: int
    frame: dict[str, Any]
    at: float  # time.monotonic() on arrival
    sent_at: float | None = None  # when the send it answers left (None: no send waiting)

    @property
    def accepted(self) -> bool:
        return bool(self.frame.get("accepted"))

    @property
    def code(self) -> str | None:
        error = self.frame.get("error") or {}
        return error.get("code")


@dataclass
class Record:
    """What one client saw and was told."""

    seen: dict[int, tuple[int, int]] = field(default_factory=dict)  # seq -> (paddle, amount)
    applied: int = 0
    sends: Counter[str] = field(default_factory=Counter)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    refusals: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    live: list[tuple[float, int]] = field(default_factory=list)  # (arrival, seq) of live bids
    resync_at: list[float] = field(default_factory=list)
    reconnects: int = 0
    connects: int = 0
    replays: int = 0
    snapshots: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> list[Answer]:
        return [a for answers in self.answers.values() for a in answers if a.accepted]


class LiveClient:
    """A watcher, or a bidder when given the bidder's session cookie and `paddle`."""

    def __init__(
        self,
        name: str,
        lot_id: int,
        urls: list[tuple[str, str]],
        *,
        cookie: str | None = None,
        paddle: int | None = None,
        seed: int = 0,
        pace: tuple[float, float] = (0.25, 0.5),
        max_bids: int = 200,
    ) -> None:
        self.name, self.lot_id, self.urls = name, lot_id, list(urls)
        self.cookie, self.paddle = cookie, paddle
        self.random = random.Random(seed)
        self.pace, self.max_bids = pace, max_bids
        self.record = Record()
        self.state: dict[str, Any] = {}
        self.socket: ClientConnection | None = None
        self.url_index = 0
        self.connected = asyncio.Event()
        self.bidding = asyncio.Event()
        self.stopping = asyncio.Event()
        self._awaiting_replay = False
        self._held: list[dict[str, Any]] = []
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._pending: tuple[str, int] | None = None  # a bid sent but not answered yet
        self._sent_at: dict[str, float] = {}
        self._bid_number = 0
        self._replayed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # -- life -----------------------------------------------------------------------------------

    def start(self, *, bid: bool = False) -> None:
        self._tasks.append(asyncio.create_task(self._connection_loop()))
        if self.paddle is not None:
            self._tasks.append(asyncio.create_task(self._bid_loop()))
            if bid:
                self.bidding.set()

    async def settle(self, timeout: float = 20.0) -> None:
        """Stop bidding, get every in-flight bid answered, and catch up to the lot's last bid."""
        self.bidding.clear()
        deadline = time.monotonic() + timeout
        while self._pending is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self._pending is not None:
            self.record.violations.append(f"bid {self._pending[0]} never answered")
        while time.monotonic() < deadline:
            if await self._catch_up(deadline - time.monotonic()):
                return
        self.record.violations.append("could not catch up with the lot at the end")

    async def _catch_up(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), timeout)
        socket = self.socket
        if socket is None:
            return False
        self._replayed.clear()
        try:
            await self._resume(socket)
            await asyncio.wait_for(self._replayed.wait(), min(timeout, 5.0))
        except (ConnectionClosed, TimeoutError, OSError):
            return False
        return not self._awaiting_replay

    async def stop(self) -> None:
        self.stopping.set()
        self.bidding.clear()
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.socket.close(), 5)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- the socket -----------------------------------------------------------------------------

    async def _connection_loop(self) -> None:
        delay = 0.05
        while not self.stopping.is_set():
            ws_url, origin = self.urls[self.url_index % len(self.urls)]
            headers = {"Cookie": self.cookie} if self.cookie else {}
            try:
                async with connect(
                    f"{ws_url}/ws/lots/{self.lot_id}/",
                    origin=origin,  # type: ignore[arg-type]
                    additional_headers=headers,
                    open_timeout=5,
                    close_timeout=2,
                ) as socket:
                    self.record.connects += 1
                    self.socket = socket
                    await self._join(socket)
                    self.connected.set()
                    delay = 0.05
                    async for text in socket:
                        self._on_frame(json.loads(text), socket)
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError, ValueError):
                pass
            finally:
                self.socket = None
                self.connected.clear()
            if self.stopping.is_set():
                return
            # The page's jittered backoff; a process that is gone is left for the next one.
            self.record.reconnects += 1
            self.url_index += 1
            await asyncio.sleep(delay * (0.5 + self.random.random()))
            delay = min(delay * 2, 1.0)

    async def _join(self, socket: ClientConnection) -> None:
        snapshot = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if snapshot.get("type") != "snapshot":
            raise ValueError(f"expected a snapshot, got {snapshot.get('type')}")
        self.record.snapshots += 1
        self.state.update(snapshot)
        # Whatever came before (or everything, on the first join) is taken from a replay.
        await self._resume(socket)

    async def _resume(self, socket: ClientConnection) -> None:
        self._awaiting_replay = True
        await socket.send(json.dumps({"type": "resume", "seq": self.record.applied}))

    def _send_soon(self, socket: ClientConnection, payload: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._send_quietly(socket, payload))
        self._tasks.append(task)

    async def _send_quietly(self, socket: ClientConnection, payload: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            await socket.send(json.dumps(payload))

    # -- frames ---------------------------------------------------------------------------------

    def _on_frame(self, frame: dict[str, Any], socket: ClientConnection) -> None:
        if frame.get("type") == "batch":
            for item in frame["events"]:
                self._on_event(item, socket)
        else:
            self._on_event(frame, socket)

    def _on_event(self, event: dict[str, Any], socket: ClientConnection) -> None:
        kind = event.get("type")
        if kind == "bid_result":
            self._on_answer(event)
        elif kind == "replay":
            self._on_replay(event, socket)
        elif kind == "snapshot":  # a resume too far back: cannot be checked for gaps
            self.record.violations.append(f"resume answered by a snapshot ({event.get('reason')})")
            self._awaiting_replay = False
            self._replayed.set()
        elif kind == "resync":
            self.record.resync_at.append(time.monotonic())
            if not self._awaiting_replay:
                self._awaiting_replay = True
                self._send_soon(socket, {"type": "resume", "seq": self.record.applied})
        elif kind == "error":
            code = (event.get("error") or {}).get("code", "?")
            self.record.errors[code] += 1
            if self._awaiting_replay:  # the resume itself was refused: ask again shortly
                self._tasks.append(asyncio.create_task(self._resume_later(socket)))
        elif kind == "bid_accepted":
            self._on_bid(event, socket)
        elif kind in ("lot_extended", "lot_closed", "lot_opened", "lot_withdrawn"):
            self._on_state(event, socket)

    async def _resume_later(self, socket: ClientConnection) -> None:
        await asyncio.sleep(0.5)
        await self._send_quietly(socket, {"type": "resume", "seq": self.record.applied})

    def _on_bid(self, event: dict[str, Any], socket: ClientConnection) -> None:
        if self._awaiting_replay:
            self._held.append(event)
            return
        seq = int(event["seq"])
        if seq <= self.record.applied:
            self._check_same(seq, event)
        elif seq == self.record.applied + 1:
            self._apply(event)
            self.record.live.append((time.monotonic(), seq))
            self.state["next_minimum_minor"] = event.get("next_minimum_minor")
        else:  # a gap: ask for what was missed, keep this one for after
            self._held.append(event)
            self._awaiting_replay = True
            self._send_soon(socket, {"type": "resume", "seq": self.record.applied})

    def _on_state(self, event: dict[str, Any], socket: ClientConnection) -> None:
        if event.get("type") == "lot_closed":
            self.state["status"] = event.get("status")
        if event.get("type") == "lot_extended":
            self.state["ends_at"] = event.get("ends_at")
        if int(event.get("seq") or 0) > self.record.applied and not self._awaiting_replay:
            self._awaiting_replay = True
            self._send_soon(socket, {"type": "resume", "seq": self.record.applied})

    def _on_replay(self, event: dict[str, Any], socket: ClientConnection) -> None:
        self.record.replays += 1
        for item in event.get("events", []):
            seq = int(item["seq"])
            if seq <= self.record.applied:
                self._check_same(seq, item)
            elif seq == self.record.applied + 1:
                self._apply(item)
            else:
                self.record.violations.append(
                    f"replay from {event.get('from_seq')} skipped to {seq} after "
                    f"{self.record.applied}"
                )
                return
        state = event.get("state") or {}
        self.state.update(state)
        self._awaiting_replay = False
        held, self._held = self._held, []
        for frame in held:
            self._on_bid(frame, socket)
        self._replayed.set()

    def _apply(self, event: dict[str, Any]) -> None:
        seq = int(event["seq"])
        self.record.seen[seq] = (int(event["paddle"]), int(event["amount_minor"]))
        self.record.applied = seq
        self.state["leader_paddle"] = int(event["paddle"])
        self.state["price_minor"] = int(event["amount_minor"])

    def _check_same(self, seq: int, event: dict[str, Any]) -> None:
        known = self.record.seen.get(seq)
        told = (int(event["paddle"]), int(event["amount_minor"]))
        if known is not None and known != told:
            self.record.violations.append(f"seq {seq} was {known} and then {told}")

    def _on_answer(self, event: dict[str, Any]) -> None:
        client_id = str(event.get("client_id"))
        future = self._waiting.pop(client_id, None)
        amount = self._pending[1] if self._pending and self._pending[0] == client_id else -1
        answer = Answer(client_id, amount, event, time.monotonic(), self._sent_at.get(client_id))
        answers = self.record.answers.setdefault(client_id, [])
        answers.append(answer)
        if len(answers) > self.record.sends[client_id]:
            self.record.violations.append(f"bid {client_id} answered more often than sent")
        if future is not None and not future.done():
            future.set_result(event)

    # -- bidding --------------------------------------------------------------------------------

    def _next_amount(self) -> int:
        minimum = int(self.state.get("next_minimum_minor") or self.state.get("opening_minor") or 1)
        return minimum + 100 * self.random.choice((0, 0, 0, 1, 2))

    def _leading(self) -> bool:
        return self.state.get("leader_paddle") == self.paddle

    async def _bid_loop(self) -> None:
        while not self.stopping.is_set():
            if self._pending is None:
                await self.bidding.wait()
                await asyncio.sleep(self.random.uniform(*self.pace))
                if not self.bidding.is_set() or self._bid_number >= self.max_bids:
                    continue
                if self._leading() or self._awaiting_replay:
                    continue
                self._bid_number += 1
                self._pending = (f"{self.name}-{self._bid_number}", self._next_amount())
            await self.connected.wait()
            await self._send_pending()

    async def _send_pending(self) -> None:
        assert self._pending is not None
        client_id, amount = self._pending
        socket = self.socket
        if socket is None:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiting[client_id] = future
        self.record.sends[client_id] += 1
        self._sent_at[client_id] = time.monotonic()
        try:
            await socket.send(
                json.dumps({"type": "bid", "amount_minor": amount, "client_id": client_id})
            )
            frame = await asyncio.wait_for(asyncio.shield(future), ANSWER_TIMEOUT)
        except (ConnectionClosed, OSError):
            await asyncio.sleep(0.05)  # sent again on the next socket
            return
        except TimeoutError:
            self.record.violations.append(f"bid {client_id} not answered in {ANSWER_TIMEOUT} s")
            self._pending = None
            return
        finally:
            self._waiting.pop(client_id, None)
        if frame.get("accepted"):
            self._pending = None
            return
        code = (frame.get("error") or {}).get("code", "?")
        self.record.refusals[code] += 1
        if code in RETRYABLE:
            await asyncio.sleep(0.2 + self.random.random() * 0.3)
            return
        self._pending = None
        minimum = ((frame.get("error") or {}).get("params") or {}).get("minimum_minor")
        if minimum:
            self.state["next_minimum_minor"] = int(minimum)
