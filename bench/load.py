"""Load generators: asyncio WebSocket and HTTP clients speaking the real protocol, one process each.

Run as `python -m bench.load MODE --config JSON --out JSON`. Modes:

- `bid`: bidders (each with its own logged-in session) bid on their lots and
  time each round trip until the `bid_result` (the acknowledgement). Strategy
  `next` bids the next valid amount as soon as acknowledged (amounts handed
  out in increasing order, so bids mostly succeed); `race` bids the lowest
  valid amount each bidder knows of, so everyone races for the same amounts;
  `spread` walks each bidder over its lots.
- `watch`: W watchers on one lot (or on the raw relay or the Channels
  reference); each event's latency runs from the server's accept stamp it
  carries (`received_at`) to the moment the watcher reads it.
- `publish`: bids at a fixed rate (ours) or frames at a fixed rate (relay,
  Channels reference) for the watchers.
- `storm`: the bidders of the closing storm bid in their lots' last seconds
  and note when each `lot_closed` arrives.
- `catalog`: readers fetch catalog pages, lot pages and a staff list (a mix of kinds), or,
  with `ceiling`, a page of the same size from memory. Without `pace` each reader asks again
  as soon as it is answered (a closed loop: it measures throughput); with `pace` each reader
  opens a page at random moments, `pace` seconds apart on average (an open loop at a stated
  offered load: it measures latency, counted from the moment the page was due).

Every loop is bounded in count and in time; only 127.0.0.1 is ever contacted.
The generators run on uvloop: on asyncio's own loop one process took ~35 µs to
read each frame, so a watcher process draining a 1,000-frame burst added up
to ~35 ms to the last watcher's latency, for the relay and ours alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import re
import resource
import time
from array import array
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

MAX_BIDS = 5_000_000
CONNECT_TIMEOUT = 60.0


def percentiles(values: Any) -> dict[str, float | None]:
    data = sorted(values)
    if not data:
        return {"p50": None, "p95": None, "p99": None, "max": None, "count": 0}

    def at(q: float) -> float:
        return round(data[min(len(data) - 1, int(q * len(data)))], 3)

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(data[-1], 3),
        "count": len(data),
    }


def raise_file_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def open_socket(url: str, origin: str, cookie: str | None) -> ClientConnection:
    headers = {"Cookie": cookie} if cookie else None
    return await connect(
        url,
        origin=origin,
        additional_headers=headers,
        compression="deflate",
        max_size=2**22,
        ping_interval=None,
        open_timeout=CONNECT_TIMEOUT,
        close_timeout=2,
    )


async def wait_until(wall: float) -> None:
    delay = wall - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


def ready(config: dict[str, Any], payload: dict[str, Any]) -> None:
    """Tell the runner this process is connected (it waits for the file)."""
    path = config.get("ready_path")
    if path:
        Path(path).write_text(json.dumps(payload))


async def wait_for_go(config: dict[str, Any]) -> float:
    """The runner writes the start time (epoch seconds) once every process is connected."""
    path = config.get("go_path")
    if not path:
        return float(config.get("start_at") or time.time())
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            return float(Path(path).read_text())
        await asyncio.sleep(0.05)
    raise TimeoutError("no start signal")


# --- bidders -----------------------------------------------------------------------------------


class LotView:
    """What the bidders of this process know of one lot: the lowest amount they believe valid."""

    __slots__ = ("minimum", "ticket")

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum
        self.ticket = minimum


class Bidder:
    def __init__(self, index: int, user_id: int, cookie: str) -> None:
        self.index = index
        self.user_id = user_id
        self.cookie = cookie
        self.sockets: dict[int, ClientConnection] = {}
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.outbid: dict[int, asyncio.Event] = {}
        # The highest sequence number at which the bidder was outbid, per lot: an `outbid`
        # frame and the acknowledgement it follows travel separately and may arrive in either
        # order, so an acknowledgement says "leading" only if no later outbid has come.
        self.outbid_seq: dict[int, int] = {}
        self.counter = itertools.count()


class BidPhase:
    """The bids sent during one measured window."""

    def __init__(self) -> None:
        self.rtt_accepted = array("d")
        self.rtt_all = array("d")
        self.codes: dict[str, int] = {}
        self.accepted = 0
        self.decided = 0

    def result(self, duration: float) -> dict[str, Any]:
        return {
            "duration": duration,
            "accepted": self.accepted,
            "decided": self.decided,
            "refused": dict(sorted(self.codes.items())),
            "accepted_per_second": round(self.accepted / duration, 1),
            "decided_per_second": round(self.decided / duration, 1),
            "ack_ms": percentiles(self.rtt_accepted),
            "all_ms": percentiles(self.rtt_all),
            "histogram_ms": histogram(self.rtt_all),
        }


class BidRun:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.strategy = config["strategy"]
        self.increment = int(config["increment"])
        self.views: dict[int, LotView] = {}
        self.phases: list[BidPhase] = []
        self.windows: list[tuple[float, float]] = []
        self.errors = 0
        self.closed = 0
        self.acks: list[str] = []
        self.accepted_at: list[float] = []
        self.deadline = 0.0

    def phase_for(self, sent_wall: float) -> BidPhase | None:
        for (begin, end), phase in zip(self.windows, self.phases, strict=False):
            if begin <= sent_wall < end:
                return phase
        return None

    async def connect(self, bidder: Bidder, lot_id: int, server: dict[str, str]) -> None:
        socket = await open_socket(
            f"{server['ws']}/ws/lots/{lot_id}/", server["origin"], bidder.cookie
        )
        snapshot = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if snapshot.get("type") != "snapshot":
            raise RuntimeError(f"expected a snapshot, got {snapshot}")
        minimum = int(snapshot["next_minimum_minor"])
        view = self.views.setdefault(lot_id, LotView(minimum))
        view.minimum = max(view.minimum, minimum)
        view.ticket = max(view.ticket, view.minimum)
        bidder.sockets[lot_id] = socket
        bidder.outbid[lot_id] = asyncio.Event()
        if not (snapshot.get("you") or {}).get("is_leading"):
            bidder.outbid[lot_id].set()
        asyncio.get_running_loop().create_task(self.read(bidder, lot_id, socket))

    async def read(self, bidder: Bidder, lot_id: int, socket: ClientConnection) -> None:
        try:
            async for frame in socket:
                assert isinstance(frame, str)
                if frame.startswith('{"type":"bid_result"'):
                    message = json.loads(frame)
                    future = bidder.pending.pop(message.get("client_id") or "", None)
                    if future is not None and not future.done():
                        future.set_result(message)
                elif '"type":"outbid"' in frame:
                    message = json.loads(frame)
                    seqs = [
                        int(event.get("seq") or 0)
                        for event in message.get("events", [message])
                        if event.get("type") == "outbid"
                    ]
                    bidder.outbid_seq[lot_id] = max([bidder.outbid_seq.get(lot_id, 0), *seqs])
                    bidder.outbid[lot_id].set()
        except ConnectionClosed:
            pass
        finally:
            self.closed += 1
            for future in bidder.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("socket closed"))

    def amount_for(self, lot_id: int) -> int:
        view = self.views[lot_id]
        if self.strategy == "next":
            amount = max(view.ticket, view.minimum)
            view.ticket = amount + self.increment
            return amount
        return view.minimum

    async def bid_once(self, bidder: Bidder, lot_id: int) -> None:
        outbid = bidder.outbid[lot_id]
        if not outbid.is_set():  # leading: a bid would be refused; wait to be outbid (bounded)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(outbid.wait(), 0.5)
        amount = self.amount_for(lot_id)
        client_id = f"b{bidder.index}-{next(bidder.counter)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        bidder.pending[client_id] = future
        sent = time.perf_counter()
        sent_wall = time.time()
        await bidder.sockets[lot_id].send(
            json.dumps({"type": "bid", "amount_minor": amount, "client_id": client_id})
        )
        try:
            result = await asyncio.wait_for(future, 30)
        except (TimeoutError, ConnectionError):
            self.errors += 1
            bidder.pending.pop(client_id, None)
            await asyncio.sleep(0.05)
            return
        elapsed = (time.perf_counter() - sent) * 1000
        view = self.views[lot_id]
        phase = self.phase_for(sent_wall)
        if result.get("accepted"):
            seq, accepted_amount = int(result["seq"]), int(result["amount_minor"])
            view.minimum = max(view.minimum, accepted_amount + self.increment)
            self.acks.append(f"{lot_id},{seq},{accepted_amount}")
            self.accepted_at.append(sent_wall)
            if result.get("is_leading") and bidder.outbid_seq.get(lot_id, 0) <= seq:
                outbid.clear()
            if phase is not None:
                phase.accepted += 1
                phase.rtt_accepted.append(elapsed)
        else:
            error = result.get("error") or {}
            code = error.get("code", "unknown")
            minimum = (error.get("params") or {}).get("minimum_minor")
            if minimum is not None:
                view.minimum = max(view.minimum, int(minimum))
            if code == "already_leading":
                outbid.clear()
            if phase is not None:
                phase.codes[code] = phase.codes.get(code, 0) + 1
        if phase is not None:
            phase.decided += 1
            phase.rtt_all.append(elapsed)

    async def bidder_loop(self, bidder: Bidder) -> None:
        lots = list(bidder.sockets)
        for count in range(MAX_BIDS):
            if time.time() >= self.deadline:
                return
            lot_id = lots[count % len(lots)]
            if self.strategy == "spread":
                # Prefer a lot where this bidder does not lead.
                for step in range(len(lots)):
                    candidate = lots[(count + step) % len(lots)]
                    if bidder.outbid[candidate].is_set():
                        lot_id = candidate
                        break
            await self.bid_once(bidder, lot_id)

    async def run(self) -> dict[str, Any]:
        config = self.config
        servers = config["servers"]
        bidders = [
            Bidder(i, b["user_id"], f"{config['cookie_name']}={b['session']}")
            for i, b in enumerate(config["bidders"])
        ]
        semaphore = asyncio.Semaphore(100)

        async def attach(bidder: Bidder, lot_id: int, server: dict[str, str]) -> None:
            async with semaphore:
                await self.connect(bidder, lot_id, server)

        jobs = []
        for bidder, spec in zip(bidders, config["bidders"], strict=True):
            server = servers[bidder.index % len(servers)]
            jobs += [attach(bidder, lot_id, server) for lot_id in spec["lots"]]
        await asyncio.gather(*jobs)
        ready(config, {"sockets": len(jobs)})
        start = await wait_for_go(config)
        await wait_until(start)
        # Repeats share the connections: back-to-back windows, each after its own warm-up.
        warmup, duration = float(config["warmup"]), float(config["duration"])
        repeats = int(config.get("repeats", 1))
        self.windows = [
            (start + i * (warmup + duration) + warmup, start + (i + 1) * (warmup + duration))
            for i in range(repeats)
        ]
        self.phases = [BidPhase() for _ in self.windows]
        self.deadline = self.windows[-1][1]
        await asyncio.gather(*(self.bidder_loop(b) for b in bidders))
        for bidder in bidders:
            for socket in bidder.sockets.values():
                with contextlib.suppress(Exception):
                    await socket.close()
        if config.get("acks_path"):
            Path(config["acks_path"]).write_text("\n".join(self.acks) + ("\n" if self.acks else ""))
        return {
            "bidders": len(bidders),
            "sockets": len(jobs),
            "errors": self.errors,
            "closed": self.closed,
            "phases": [phase.result(duration) for phase in self.phases],
        }


def histogram(values: Any, edges: tuple[float, ...] | None = None) -> dict[str, list[float]]:
    """Counts per latency bin (log-spaced, 0.1 ms to 10 s), for the charts."""
    edges = edges or tuple(round(0.1 * 10 ** (i / 10), 4) for i in range(51))
    counts = [0] * (len(edges) + 1)
    import bisect

    for value in values:
        counts[bisect.bisect_left(edges, value)] += 1
    return {"edges": list(edges), "counts": counts}


# --- watchers ----------------------------------------------------------------------------------


def phase_windows(config: dict[str, Any], start: float) -> list[tuple[float, float, float]]:
    """(send from, measure from, measure until) of each phase, back to back with a gap."""
    windows = []
    at = start
    for phase in config["phases"]:
        warmup, duration = float(phase["warmup"]), float(phase["duration"])
        windows.append((at, at + warmup, at + warmup + duration))
        at += warmup + duration + float(config.get("gap", 1.0))
    return windows


class Phase:
    __slots__ = ("events", "frames", "gaps", "latencies", "resyncs", "untimed_events")

    def __init__(self) -> None:
        self.latencies = array("d")
        self.events = 0
        self.untimed_events = 0
        self.frames = 0
        self.resyncs = 0
        self.gaps = 0


class WatchRun:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.received = 0
        self.failures: list[str] = []
        self.phases = [Phase() for _ in config["phases"]]
        self.windows: list[tuple[float, float, float]] = []
        self.errors = 0
        self.closed = 0
        self.connected = 0

    def phase_at(self, now: float) -> Phase | None:
        for (_send, begin, end), phase in zip(self.windows, self.phases, strict=False):
            if begin <= now < end:
                return phase
        return None

    async def watch(
        self, target: dict[str, str], timed: bool, stop: asyncio.Event, semaphore: asyncio.Semaphore
    ) -> None:
        async with semaphore:
            try:
                socket = await open_socket(target["url"], target["origin"], None)
            except Exception:
                self.errors += 1
                return
        self.connected += 1
        last_seq = None
        try:
            while not stop.is_set():
                try:
                    frame = await socket.recv()
                except ConnectionClosed:
                    if not stop.is_set():
                        self.closed += 1
                    return
                now = time.time()
                assert isinstance(frame, str)
                self.received += 1
                phase = self.phase_at(now)
                if phase is not None:
                    phase.frames += 1
                if not timed:
                    if phase is not None:
                        phase.untimed_events += frame.count('"bid_accepted"')
                        phase.resyncs += frame.startswith('{"type":"resync"')
                    continue
                message = json.loads(frame)
                kind = message.get("type")
                events = message["events"] if kind == "batch" else [message]
                for event in events:
                    if event.get("type") == "resync" and phase is not None:
                        phase.resyncs += 1
                        continue
                    if event.get("type") != "bid_accepted":
                        continue
                    # Counted in the phase during which the server accepted it, however late.
                    stamp = datetime.fromisoformat(event["received_at"]).timestamp()
                    accepted_in = self.phase_at(stamp)
                    if accepted_in is None:
                        continue
                    accepted_in.events += 1
                    seq = int(event["seq"])
                    if last_seq is not None and seq > last_seq + 1:
                        accepted_in.gaps += 1
                    last_seq = seq if last_seq is None else max(last_seq, seq)
                    accepted_in.latencies.append((now - stamp) * 1000)
        except Exception as error:
            self.failures.append(repr(error))
            raise
        finally:
            with contextlib.suppress(Exception):
                await socket.close()

    async def run(self) -> dict[str, Any]:
        config = self.config
        stop = asyncio.Event()
        sample = float(config.get("sample", 1.0))
        every = max(1, round(1 / sample)) if sample > 0 else 0
        semaphore = asyncio.Semaphore(int(config.get("connect_concurrency", 200)))
        targets = config["targets"]
        count = int(config["count"])
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        tasks = [
            loop.create_task(
                self.watch(
                    targets[i % len(targets)], bool(every) and i % every == 0, stop, semaphore
                )
            )
            for i in range(count)
        ]
        deadline = time.monotonic() + 4 * CONNECT_TIMEOUT
        while self.connected + self.errors < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        connect_seconds = time.monotonic() - started
        ready(config, {"connected": self.connected, "errors": self.errors})
        start = await wait_for_go(config)
        self.windows = phase_windows(config, start)
        await wait_until(self.windows[-1][2] + float(config.get("drain", 0.5)))
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        phases = []
        for index, (phase, spec) in enumerate(zip(self.phases, config["phases"], strict=True)):
            if config.get("latencies_path"):
                with open(f"{config['latencies_path']}.{index}", "wb") as handle:
                    phase.latencies.tofile(handle)
            phases.append(
                {
                    "rate": spec.get("rate"),
                    "duration": float(spec["duration"]),
                    "events": phase.events,
                    "untimed_events": phase.untimed_events,
                    "frames": phase.frames,
                    "resyncs": phase.resyncs,
                    "gaps": phase.gaps,
                    "latency_ms": percentiles(phase.latencies),
                }
            )
        return {
            "watchers": count,
            "connected": self.connected,
            "connect_seconds": round(connect_seconds, 2),
            "timed_watchers": len(range(0, count, every)) if every else 0,
            "errors": self.errors,
            "closed": self.closed,
            "received": self.received,
            "failures": self.failures[:5],
            "windows": self.windows,
            "phases": phases,
        }


# --- publishers --------------------------------------------------------------------------------


async def publish(config: dict[str, Any]) -> dict[str, Any]:
    """Send at each phase's fixed rate: bids (kind `lot`) or raw frames (relay, reference)."""
    if config["kind"] == "lot":
        return await publish_bids(config)
    return await publish_frames(config)


async def paced(rate: float, start: float, total: float) -> Any:
    """Yield the send slots of a fixed rate; late slots are sent at once, never skipped."""
    count = int(rate * total)
    for index in range(count):
        slot = start + index / rate
        delay = slot - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        yield index


def relay_frame(index: int) -> str:
    return json.dumps(
        {
            "type": "bid_accepted",
            "lot": 1,
            "seq": index + 1,
            "paddle": 100 + index % 8,
            "amount_minor": 100_000 + 100 * index,
            "currency": "SAR",
            "source": "MANUAL",
            "received_at": datetime.now().astimezone().isoformat(),
            "next_minimum_minor": 100_100 + 100 * index,
        },
        separators=(",", ":"),
    )


async def publish_frames(config: dict[str, Any]) -> dict[str, Any]:
    socket = await open_socket(config["url"], config["origin"], None)
    ready(config, {})
    start = await wait_for_go(config)
    sent = 0
    in_window = []
    for (begin, measure, end), phase in zip(
        phase_windows(config, start), config["phases"], strict=True
    ):
        count = 0
        async for _index in paced(float(phase["rate"]), begin, end - begin):
            # Stamped as it is sent, as ours are stamped when the bid is accepted.
            if measure <= time.time() < end:
                count += 1
            await socket.send(relay_frame(sent))
            sent += 1
        in_window.append(count)
    await asyncio.sleep(0.5)
    await socket.close()
    return {"phases": [{"sent_in_window": n} for n in in_window], "sent": sent}


async def publish_bids(config: dict[str, Any]) -> dict[str, Any]:
    run = BidRun({**config, "strategy": "next"})
    server = config["server"]
    bidders = [
        Bidder(i, b["user_id"], f"{config['cookie_name']}={b['session']}")
        for i, b in enumerate(config["bidders"])
    ]
    lot_id = int(config["lot"])
    for bidder in bidders:
        await run.connect(bidder, lot_id, server)
    ready(config, {})
    start = await wait_for_go(config)
    windows = phase_windows(config, start)
    run.windows = [(windows[0][0], windows[-1][2])]
    run.phases = [BidPhase()]
    pending: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()
    index = 0
    for (begin, _measure, end), phase in zip(windows, config["phases"], strict=True):
        async for _slot in paced(float(phase["rate"]), begin, end - begin):
            bidder = bidders[index % len(bidders)]
            index += 1
            # Open loop: the round robin keeps the leader from bidding again at once.
            bidder.outbid[lot_id].set()
            task = loop.create_task(run.bid_once(bidder, lot_id))
            pending.add(task)
            task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending, timeout=30)
    for bidder in bidders:
        for socket in bidder.sockets.values():
            with contextlib.suppress(Exception):
                await socket.close()
    if config.get("acks_path"):
        Path(config["acks_path"]).write_text("\n".join(run.acks) + ("\n" if run.acks else ""))
    in_window = [
        sum(1 for at in run.accepted_at if measure <= at < end) for _begin, measure, end in windows
    ]
    return {
        "phases": [{"sent_in_window": n} for n in in_window],
        "sent": run.phases[0].decided,
        "accepted": run.phases[0].accepted,
        "refused": run.phases[0].codes,
        "errors": run.errors,
        "ack_ms": percentiles(run.phases[0].rtt_accepted),
    }


# --- the closing storm -------------------------------------------------------------------------


async def storm(config: dict[str, Any]) -> dict[str, Any]:
    """Bidders on each storm lot bid in its last seconds; the first lot_closed per lot is noted."""
    servers = config["servers"]
    cookie_name = config["cookie_name"]
    ends = {int(lot_id): datetime.fromisoformat(end).timestamp() for lot_id, end in config["lots"]}
    closed_at: dict[int, float] = {}
    sockets: dict[tuple[int, int], ClientConnection] = {}
    minimum: dict[int, int] = {}
    errors = 0
    semaphore = asyncio.Semaphore(100)
    results: dict[str, int] = {}

    async def reader(lot_id: int, socket: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in socket:
                assert isinstance(frame, str)
                if '"lot_closed"' in frame and lot_id not in closed_at:
                    closed_at[lot_id] = time.time()
                elif frame.startswith('{"type":"bid_result"'):
                    message = json.loads(frame)
                    key = "accepted" if message.get("accepted") else message["error"]["code"]
                    results[key] = results.get(key, 0) + 1
                    if message.get("accepted"):
                        minimum[lot_id] = max(
                            minimum.get(lot_id, 0), int(message["amount_minor"]) + 100
                        )
                    elif "minimum_minor" in (message["error"].get("params") or {}):
                        minimum[lot_id] = int(message["error"]["params"]["minimum_minor"])

    async def attach(index: int, lot_id: int, user_id: int, session: str) -> None:
        nonlocal errors
        server = servers[index % len(servers)]
        async with semaphore:
            try:
                socket = await open_socket(
                    f"{server['ws']}/ws/lots/{lot_id}/",
                    server["origin"],
                    f"{cookie_name}={session}",
                )
                snapshot = json.loads(await asyncio.wait_for(socket.recv(), 30))
            except Exception:
                errors += 1
                return
        minimum[lot_id] = max(minimum.get(lot_id, 0), int(snapshot["next_minimum_minor"]))
        sockets[(lot_id, user_id)] = socket
        asyncio.get_running_loop().create_task(reader(lot_id, socket))

    await asyncio.gather(
        *(
            attach(i, lot, user, session)
            for i, (lot, user, session) in enumerate(config["registrations"])
        )
    )
    ready(config, {"sockets": len(sockets), "errors": errors})
    by_lot: dict[int, list[ClientConnection]] = {}
    for (lot_id, _user), socket in sockets.items():
        by_lot.setdefault(lot_id, []).append(socket)
    rng = random.Random(7)

    async def bids_for(lot_id: int) -> None:
        # Bids at these many seconds before the scheduled end, alternating between the bidders.
        for position, before in enumerate(config["bid_offsets"]):
            await wait_until(ends[lot_id] - before + rng.random() * 0.2)
            socket = by_lot[lot_id][position % len(by_lot[lot_id])]
            with contextlib.suppress(ConnectionClosed):
                await socket.send(
                    json.dumps(
                        {
                            "type": "bid",
                            "amount_minor": minimum[lot_id],
                            "client_id": f"s{lot_id}-{position}",
                        }
                    )
                )

    deadline = max(ends.values()) + float(config["wait_after"])
    await asyncio.gather(*(bids_for(lot_id) for lot_id in by_lot))
    while time.time() < deadline and len(closed_at) < len(by_lot):
        await asyncio.sleep(0.1)
    for socket in sockets.values():
        with contextlib.suppress(Exception):
            await socket.close()
    return {
        "lots": len(ends),
        "sockets": len(sockets),
        "errors": errors,
        "bids": results,
        "closed_seen": {str(k): v for k, v in closed_at.items()},
    }


# --- catalog readers ---------------------------------------------------------------------------


CATALOG_MIX = (
    # (kind, share of the requests)
    ("first", 0.18),
    ("deep", 0.14),
    ("filter", 0.14),
    ("search_ar", 0.07),
    ("search_en", 0.07),
    ("plate", 0.06),
    ("lot", 0.24),
    ("letters", 0.10),
)


class CatalogPaths:
    """The next page a catalog reader asks for, by kind, from the run's data."""

    def __init__(self, config: dict[str, Any], seed: int) -> None:
        self.data = config["catalog"]
        self.rng = random.Random(seed)

    def pick(self) -> str:
        roll, total = self.rng.random(), 0.0
        for kind, share in CATALOG_MIX:
            total += share
            if roll < total:
                return kind
        return CATALOG_MIX[-1][0]

    def path(self, kind: str) -> tuple[str, int | None]:
        """The path, and the lot the answer must link to (the search targets), if any."""
        rng, data = self.rng, self.data
        cursors = data["cursors"]
        if kind == "deep" and cursors["catalog"]:
            return "/auctions/?" + urlencode({"after": rng.choice(cursors["catalog"])}), None
        if kind == "filter":
            return "/auctions/?" + rng.choice(
                [
                    "kind=VEHICLE&status=ended",
                    "city=Jeddah",
                    "status=open",
                    "kind=REAL_ESTATE&price_min=200&price_max=600",
                    "status=upcoming&sort=newest",
                ]
            ), None
        if kind == "search_ar":
            if rng.random() < 0.5:
                return "/auctions/?" + urlencode({"q": data["arabic_query"]}), data["arabic_lot"]
            return "/auctions/?" + urlencode({"q": "سيارات تويوتا"}), None
        if kind == "search_en":
            return "/auctions/?" + urlencode({"q": rng.choice(["toyota camry", "trucks"])}), None
        if kind == "plate":
            return "/auctions/?" + urlencode({"q": data["plate_query"]}), data["plate_lot"]
        if kind == "lot":
            return f"/lots/{rng.choice(data['lots'])}/", None
        if kind == "letters":
            if cursors["letters"] and rng.random() < 0.7:
                after = rng.choice(cursors["letters"])
                return "/workspace/letters/?" + urlencode({"status": "ALL", "after": after}), None
            return "/workspace/letters/?status=ALL", None
        return "/auctions/", None


async def catalog(config: dict[str, Any]) -> dict[str, Any]:
    """Readers of the catalog, a lot's page and a staff list, over keep-alive connections.

    Each reader asks for a mix of pages (`CATALOG_MIX`): first pages and deep pages of the
    catalog, filters, searches in Arabic and English (two of them must find a given lot on
    their first page), lot pages, and a staff member's list of letters. Half the readers read
    in Arabic. With `ceiling`, every reader instead asks for the bench-only page of the same
    size served from memory (bench/urls.py).

    Closed loop (no `pace`): a reader asks again as soon as it is answered, with no pause, so
    the pages per second are what the server sustains, and each page's time is mostly the
    queue in front of it (readers / pages per second). Open loop (`pace` seconds): a reader
    opens its pages at moments drawn in advance (exponential gaps of mean `pace`, the same
    draws for ours and the ceiling), and a page's time runs from the moment it was due, so a
    server that falls behind is charged for the wait (no coordinated omission); a reader
    still reads one page at a time, like a person.
    """
    import ssl

    import httpx

    servers = config["servers"]
    # Every client is made before the start: each would otherwise load the CA bundle (about
    # 30 ms of this process's loop, 128 clients: the whole warm-up and more, charged to the
    # first pages of every reader, the ceiling's too). The pages are plain HTTP on loopback;
    # one context serves all the clients.
    context = ssl.create_default_context()
    cookie_name = config["cookie_name"]
    staff_cookie = {cookie_name: config["catalog"]["staff_session"]}
    clients = []
    for index in range(int(config["readers"])):
        base = servers[index % len(servers)]["http"]
        headers = {"Accept-Language": "ar" if index % 2 else "en"}
        clients.append(
            (
                httpx.AsyncClient(base_url=base, timeout=30, headers=headers, verify=context),
                httpx.AsyncClient(
                    base_url=base,
                    timeout=30,
                    headers=headers,
                    cookies=staff_cookie,
                    verify=context,
                ),
            )
        )
    ready(config, {})
    start = await wait_for_go(config)
    warmup, duration = float(config["warmup"]), float(config["duration"])
    window = (start + warmup, start + warmup + duration)
    times: dict[str, array[float]] = {}
    statuses: dict[str, int] = {}
    found = {"asked": 0, "found": 0}
    ceiling = bool(config.get("ceiling"))
    pace = float(config.get("pace") or 0)
    late = {"pages": 0}

    async def reader(index: int) -> None:
        paths = CatalogPaths(config, seed=1000 + index)
        client, staff = clients[index]
        async with client, staff:
            size = int(config.get("ceiling_bytes", 0))
            moments = random.Random(5000 + index)
            due = start + (moments.expovariate(1 / pace) if pace else 0.0)
            await wait_until(start)
            for _ in range(MAX_BIDS):
                if pace:
                    if due >= window[1]:
                        return
                    await wait_until(due)
                elif time.time() >= window[1]:
                    return
                kind = "ceiling" if ceiling else paths.pick()
                if ceiling:
                    path, target = f"/bench/ceiling/?bytes={size}", None
                else:
                    path, target = paths.path(kind)
                began, began_wall = time.perf_counter(), time.time()
                if pace:  # charged from the moment the page was due
                    lateness = max(0.0, began_wall - due)
                    began -= lateness
                    if lateness > 0.001 and window[0] <= due:
                        late["pages"] += 1
                    began_wall = due
                    due += moments.expovariate(1 / pace)
                try:
                    response = await (staff if kind == "letters" else client).get(path)
                    status = str(response.status_code)
                except httpx.HTTPError:
                    status, response = "error", None
                elapsed = (time.perf_counter() - began) * 1000
                if window[0] <= began_wall:
                    statuses[status] = statuses.get(status, 0) + 1
                    times.setdefault(kind, array("d")).append(elapsed)
                    if target is not None:
                        found["asked"] += 1
                        if response is not None and f'href="/lots/{target}/"' in response.text:
                            found["found"] += 1

    await asyncio.gather(*(reader(i) for i in range(int(config["readers"]))))
    every = array("d")
    for values in times.values():
        every.extend(values)
    return {
        "readers": int(config["readers"]),
        "pace_seconds": pace or None,
        "offered_pages_per_second": round(int(config["readers"]) / pace, 1) if pace else None,
        "pages_sent_late": late["pages"] if pace else None,
        "duration": duration,
        "pages": len(every),
        "pages_per_second": round(len(every) / duration, 1),
        "statuses": statuses,
        "page_ms": percentiles(every),
        "by_kind": {
            kind: {
                "pages": len(values),
                "pages_per_second": round(len(values) / duration, 1),
                "page_ms": percentiles(values),
            }
            for kind, values in sorted(times.items())
        },
        "targets": found,
    }


MODES = {
    "bid": lambda config: BidRun(config).run(),
    "watch": lambda config: WatchRun(config).run(),
    "publish": publish,
    "storm": storm,
    "catalog": catalog,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    raise_file_limit()
    config = json.loads(Path(args.config).read_text())
    for address in re.findall(r'"(?:ws|http)://([^/:"]+)', json.dumps(config)):
        if address != "127.0.0.1":
            raise SystemExit("load generators only contact 127.0.0.1")
    started = time.process_time()
    result = uvloop.run(MODES[args.mode](config))
    result["client_cpu_seconds"] = round(time.process_time() - started, 2)
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
