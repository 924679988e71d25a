"""Batching of bids inside one web process: queued bids are decided together, lots and all.

When bids queue, one transaction per bid is far below what the database can
do (docs/concurrency.md, "The hot lot"). So each process keeps one queue of instructions
for every lot and at most a few transactions in flight: whatever arrived while
they ran is decided next, in arrival order within each lot, in one
transaction and one commit for all the lots in it. A lot is in at most one
transaction of a process at a time, so its bids are decided in the order they
arrived and at most one transaction per process waits for its lock (no lock
convoys). A transaction that had to wait for its locks (a hot lot, taken in
turn by every web process) takes, once it holds them, what queued for its
lots meanwhile, so the wait fills the batch instead of leaving the late
arrivals for a batch of their own. Every bidder still hears only after the
commit; the events go out, in commit order, from one publishing thread.

The queue belongs to the event loop alone. While a batch runs, the loop puts
what arrives for its lots into the batch's own `Arrivals`; the bid thread
takes them once, when it holds the locks (`decide`'s `late`), and the loop
adds them to the batch when it returns. Whatever the thread did not take goes
back to the head of the queue.

Each queued instruction keeps the request id of the socket it came from
(core/logs.py): a batch logs, and publishes its frames, with the ids of its
bids. Metrics cost a few counter updates a batch, none a bid.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection

from auction import events, metrics
from auction.bidding import decide
from auction.models import Lot
from core import logs

logger = logging.getLogger(__name__)

MAX_BATCH = 512
# Transactions a process keeps in flight: one deciding while another waits for its commit.
IN_FLIGHT = 2
_executor = ThreadPoolExecutor(max_workers=IN_FLIGHT + 2, thread_name_prefix="bids")
# One publishing thread, so a lot's frames leave in the order they were committed.
_publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish")

# A worker thread's connection idle for longer than this (seconds) is checked before use.
IDLE_CHECK = 1.0
_used = threading.local()

# (lot, instruction, its answer to come, the request id of the socket it came from)
Queued = tuple[int, decide.Instruction, "asyncio.Future[decide.Answer]", str]
Results = dict[int, list[decide.Answer] | BaseException]


def _groups(batch: list[Queued]) -> dict[int, list[decide.Instruction]]:
    groups: dict[int, list[decide.Instruction]] = defaultdict(list)
    for lot_id, instruction, _future, _request_id in batch:
        groups[lot_id].append(instruction)
    return dict(groups)


def _request_ids(batch: list[Queued]) -> list[str]:
    return list(dict.fromkeys(item[3] for item in batch if item[3]))


class Arrivals:
    """What arrives for a running batch's lots before it holds their locks.

    The event loop `offer`s each arrival for those lots; the bid thread `take`s
    them, once, when it holds the locks, and after that nothing more is let in
    (the loop queues it for the next batch). When the batch returns, the loop
    `close`s it: it gets what the thread took (to answer after the batch's own)
    and what it did not (to queue again). The lock guards only this list.
    """

    __slots__ = ("_items", "_lock", "_room", "_taken")

    def __init__(self, room: int) -> None:
        self._items: list[Queued] = []
        self._lock = threading.Lock()
        self._room = room
        self._taken = False

    def offer(self, item: Queued) -> bool:
        """On the event loop: let `item` into the batch, unless taken already or full."""
        with self._lock:
            if self._taken or len(self._items) >= self._room:
                return False
            self._items.append(item)
            return True

    def take(self) -> dict[int, list[decide.Instruction]]:
        """In the bid thread, once the locks are held: what arrived, by lot, oldest first."""
        with self._lock:
            self._taken = True
            return _groups(self._items)

    def taken(self) -> dict[int, list[decide.Instruction]]:
        """In the bid thread: what `take` returned, or nothing if it was not called."""
        with self._lock:
            return _groups(self._items) if self._taken else {}

    def close(self) -> tuple[list[Queued], list[Queued]]:
        """On the event loop, once the batch returned: (taken, not taken); nothing more is let
        in."""
        with self._lock:
            taken = self._taken
            self._taken = True
            return (self._items, []) if taken else ([], self._items)


def _decide(batch: list[Queued], arrivals: Arrivals) -> tuple[Results, list[events.Frame]]:
    """Decide the batch (see `_decide_batch`), logging with its bids' request ids."""
    with logs.bound(request_ids=_request_ids(batch)):
        decided = _decide_batch(batch, arrivals)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("decided %d instructions on lots %s", len(batch), sorted(decided[0]))
        return decided


def _decide_batch(batch: list[Queued], arrivals: Arrivals) -> tuple[Results, list[events.Frame]]:
    """Decide the batch in one transaction (what `arrivals` holds joins it once the locks are
    held); if that fails, each lot on its own (in this thread), with what had joined.

    A lot that fails on its own gets its exception; the others their answers.
    """
    # The worker threads keep their database connection between batches (a reconnect per
    # batch would cost more than the batch). One that has been idle is checked first and
    # replaced if broken; while bids flow the check (a round trip) is skipped, and a batch
    # that fails closes the connection below.
    now = time.monotonic()
    idle = now - getattr(_used, "at", now)
    _used.at = now
    if connection.connection is not None and idle > IDLE_CHECK and not connection.is_usable():
        connection.close()
    groups = _groups(batch)
    try:
        answers, frames = decide.decide(groups, arrivals)
        results: Results = {lot_id: answers[lot_id] for lot_id in answers}
        for lot_id in groups.keys() - answers.keys():
            results[lot_id] = Lot.DoesNotExist(f"no lot {lot_id}")
        return results, frames
    except Exception as error:
        connection.close()
        if len(groups) == 1:
            return dict.fromkeys(groups, error), []
    results, frames = {}, []
    for lot_id, instructions in _joined(groups, arrivals).items():
        try:
            answers, more = decide.decide({lot_id: instructions})
            results[lot_id] = answers.get(lot_id) or Lot.DoesNotExist(f"no lot {lot_id}")
            frames += more
        except Exception as error:
            connection.close()
            results[lot_id] = error
    return results, frames


def _joined(
    groups: Mapping[int, list[decide.Instruction]], arrivals: Arrivals
) -> dict[int, list[decide.Instruction]]:
    """The batch's instructions and those that joined it, if any did, by lot."""
    arrived = arrivals.taken()
    if not arrived:
        return dict(groups)
    return {lot_id: [*group, *arrived.get(lot_id, ())] for lot_id, group in groups.items()}


def _publish(frames: list[events.Frame], request_ids: list[str]) -> None:
    with logs.bound(request_ids=request_ids):
        events.publish(frames)


@dataclass
class LotStats:
    batches: int = 0
    decided: int = 0


class Batcher:
    """The queue of one process (one event loop); touched only on that loop."""

    def __init__(self) -> None:
        self.queue: list[Queued] = []
        # The lots in a running batch, each with that batch's arrivals.
        self.busy: dict[int, Arrivals] = {}
        self.in_flight = 0
        self.stats: dict[int, LotStats] = defaultdict(LotStats)

    async def submit(self, lot_id: int, instruction: decide.Instruction) -> decide.Answer:
        future: asyncio.Future[decide.Answer] = asyncio.get_running_loop().create_future()
        item = (lot_id, instruction, future, logs.request_id())
        arrivals = self.busy.get(lot_id)
        if arrivals is None or not arrivals.offer(item):
            self.queue.append(item)
            self._start()
        return await future

    def _take(self) -> list[Queued]:
        """The queued instructions of the lots not in a batch, oldest first, up to MAX_BATCH."""
        batch: list[Queued] = []
        rest: list[Queued] = []
        for item in self.queue:
            if len(batch) < MAX_BATCH and item[0] not in self.busy:
                batch.append(item)
            else:
                rest.append(item)
        self.queue = rest
        return batch

    def _start(self) -> None:
        while self.in_flight < IN_FLIGHT and self.queue:
            batch = self._take()
            if not batch:
                return
            # A full batch takes no more: what arrives for its lots waits in the queue, after
            # what it left there. Otherwise it took every queued instruction of its lots, so
            # what arrives for them now comes after everything it holds.
            arrivals = Arrivals(MAX_BATCH - len(batch))
            lots = {item[0] for item in batch}
            for lot_id in lots:
                self.busy[lot_id] = arrivals
            self.in_flight += 1
            asyncio.get_running_loop().create_task(self._run(batch, lots, arrivals))

    async def _run(self, batch: list[Queued], lots: set[int], arrivals: Arrivals) -> None:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            results, frames = await loop.run_in_executor(_executor, _decide, batch, arrivals)
        except Exception as error:  # the executor itself failed
            results, frames = dict.fromkeys(lots, error), []
        finally:
            self.in_flight -= 1
            for lot_id in lots:
                del self.busy[lot_id]
            taken, left = arrivals.close()
            batch += taken
            # Not taken (the batch failed before its locks): first in line again, before what
            # arrived after them.
            self.queue[:0] = left
        metrics.DECISION_SECONDS.observe(time.perf_counter() - started)
        metrics.BATCH_SIZE.observe(len(batch))
        positions: dict[int, int] = defaultdict(int)
        accepted = failed = 0
        for lot_id, _instruction, future, _request_id in batch:
            result = results[lot_id]
            if isinstance(result, BaseException):
                failed += 1
                if not future.done():
                    future.set_exception(result)
                continue
            answer = result[positions[lot_id]]
            positions[lot_id] += 1  # a caller gone (its future cancelled) still had its answer
            accepted += answer.accepted
            if not future.done():
                future.set_result(answer)
        _count(accepted, len(batch) - accepted - failed, failed)
        for lot_id, count in positions.items():
            self.stats[lot_id].batches += 1
            self.stats[lot_id].decided += count
        if frames:
            loop.run_in_executor(_publisher, _publish, frames, _request_ids(batch))
        self._start()


def _count(accepted: int, refused: int, failed: int) -> None:
    if accepted:
        metrics.BIDS_ACCEPTED.inc(accepted)
    if refused:
        metrics.BIDS_REFUSED.inc(refused)
    if failed:
        metrics.BIDS_FAILED.inc(failed)


_batchers: dict[asyncio.AbstractEventLoop, Batcher] = {}


def _batcher() -> Batcher:
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = Batcher()
    return batcher


async def submit(lot_id: int, instruction: decide.Instruction) -> decide.Answer:
    """Decide one instruction with whatever else is queued in this process."""
    return await _batcher().submit(lot_id, instruction)


def batcher_for(lot_id: int) -> LotStats:
    """How many batches decided how many of a lot's instructions (in this process's loops)."""
    total = LotStats()
    for batcher in _batchers.values():
        stats = batcher.stats.get(lot_id)
        if stats is not None:
            total.batches += stats.batches
            total.decided += stats.decided
    return total


def close_connections() -> None:
    """Close the database connection of every bid worker thread (tests, shutdown)."""
    workers = _executor._max_workers
    barrier = threading.Barrier(workers)

    def close() -> None:
        barrier.wait(timeout=10)
        connection.close()

    for future in [_executor.submit(close) for _ in range(workers)]:
        future.result(timeout=15)
