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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection

from auction import events, metrics
from auction.models import Lot
from auction.services import bidding
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
Queued = tuple[int, bidding.Instruction, "asyncio.Future[bidding.Answer]", str]
Results = dict[int, list[bidding.Answer] | BaseException]


def _groups(batch: list[Queued]) -> dict[int, list[bidding.Instruction]]:
    groups: dict[int, list[bidding.Instruction]] = defaultdict(list)
    for lot_id, instruction, _future, _request_id in batch:
        groups[lot_id].append(instruction)
    return dict(groups)


def _request_ids(batch: list[Queued]) -> list[str]:
    return list(dict.fromkeys(item[3] for item in batch if item[3]))


def _decide(batch: list[Queued], late: bidding.Late) -> tuple[Results, list[events.Frame]]:
    """Decide the batch (see `_decide_batch`), logging with its bids' request ids."""
    with logs.bound(request_ids=_request_ids(batch)):
        decided = _decide_batch(batch, late)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("decided %d instructions on lots %s", len(batch), sorted(decided[0]))
        return decided


def _decide_batch(batch: list[Queued], late: bidding.Late) -> tuple[Results, list[events.Frame]]:
    """Decide the batch in one transaction (`late` adds to it once the locks are held); if that
    fails, each lot on its own (in this thread), with what `late` had added.

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
        answers, frames = bidding.decide_lots_unpublished(groups, late)
        results: Results = {lot_id: answers[lot_id] for lot_id in answers}
        for lot_id in groups.keys() - answers.keys():
            results[lot_id] = Lot.DoesNotExist(f"no lot {lot_id}")
        return results, frames
    except Exception as error:
        connection.close()
        if len(groups) == 1:
            return dict.fromkeys(groups, error), []
    results, frames = {}, []
    for lot_id, instructions in _groups(batch).items():
        try:
            answers, more = bidding.decide_lots_unpublished({lot_id: instructions})
            results[lot_id] = answers.get(lot_id) or Lot.DoesNotExist(f"no lot {lot_id}")
            frames += more
        except Exception as error:
            connection.close()
            results[lot_id] = error
    return results, frames


def _publish(frames: list[events.Frame], request_ids: list[str]) -> None:
    with logs.bound(request_ids=request_ids):
        events.publish(frames)


@dataclass
class LotStats:
    batches: int = 0
    decided: int = 0


class Batcher:
    """The queue of one process (one event loop)."""

    def __init__(self) -> None:
        self.queue: list[Queued] = []
        # The queue is read and changed by the event loop and by a bid worker (`_late`).
        self.lock = threading.Lock()
        self.busy: set[int] = set()
        self.in_flight = 0
        self.stats: dict[int, LotStats] = defaultdict(LotStats)

    async def submit(self, lot_id: int, instruction: bidding.Instruction) -> bidding.Answer:
        future: asyncio.Future[bidding.Answer] = asyncio.get_running_loop().create_future()
        with self.lock:
            self.queue.append((lot_id, instruction, future, logs.request_id()))
        self._start()
        return await future

    def _move(self, batch: list[Queued], wanted: Callable[[int], bool]) -> list[Queued]:
        """Move the queued instructions of the lots `wanted` accepts into `batch`, oldest
        first, until it holds MAX_BATCH; returns those moved."""
        moved: list[Queued] = []
        rest: list[Queued] = []
        with self.lock:
            for item in self.queue:
                if len(batch) < MAX_BATCH and wanted(item[0]):
                    batch.append(item)
                    moved.append(item)
                else:
                    rest.append(item)
            self.queue = rest
        return moved

    def _take(self) -> list[Queued]:
        """The queued instructions of the lots not in flight, oldest first, up to MAX_BATCH."""
        batch: list[Queued] = []
        self._move(batch, lambda lot_id: lot_id not in self.busy)
        return batch

    def _late(
        self, batch: list[Queued], lot_ids: Sequence[int]
    ) -> dict[int, list[bidding.Instruction]]:
        """In a bid worker, once `batch` holds its lots' locks: move what queued for them since
        into the batch (oldest first, up to MAX_BATCH) and return it by lot.

        Only this batch takes its lots' instructions while it runs (they are busy), so the
        order within each lot is the order of arrival.
        """
        wanted = set(lot_ids)
        return _groups(self._move(batch, wanted.__contains__))

    def _start(self) -> None:
        while self.in_flight < IN_FLIGHT and self.queue:
            batch = self._take()
            if not batch:
                return
            lots = {item[0] for item in batch}
            self.busy |= lots
            self.in_flight += 1
            asyncio.get_running_loop().create_task(self._run(batch, lots))

    async def _run(self, batch: list[Queued], lots: set[int]) -> None:
        loop = asyncio.get_running_loop()

        def late(lot_ids: Sequence[int]) -> dict[int, list[bidding.Instruction]]:
            return self._late(batch, lot_ids)

        started = time.perf_counter()
        try:
            results, frames = await loop.run_in_executor(_executor, _decide, batch, late)
        except Exception as error:  # the executor itself failed
            results, frames = dict.fromkeys(lots, error), []
        finally:
            self.in_flight -= 1
            self.busy -= lots
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


async def submit(lot_id: int, instruction: bidding.Instruction) -> bidding.Answer:
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
