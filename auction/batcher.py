"""Per-lot batching of bids inside one web process.

When bids queue on a hot lot, one transaction per bid is far below what the
database can do (DESIGN.md, Known traps). So each process keeps, per lot, one
queue and at most one transaction in flight: whatever arrived while the
previous batch was being decided is decided next, in arrival order, under one
lock and one commit. Every bidder still hears only after the commit. Bounding
each process to one waiting transaction per lot also avoids lock convoys.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from auction import events
from auction.services import bidding

logger = logging.getLogger(__name__)

MAX_BATCH = 256
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="bids")
# One publishing thread, so a lot's frames leave in the order they were committed.
_publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish")


def _decide(
    lot_id: int, instructions: list[bidding.Instruction]
) -> tuple[list[bidding.Answer], list[events.Frame]]:
    # The worker threads keep their database connection between batches (a reconnect per
    # batch would cost more than the batch); a broken one is replaced.
    if connection.connection is not None and not connection.is_usable():
        connection.close()
    try:
        return bidding.decide_unpublished(lot_id=lot_id, instructions=instructions)
    except Exception:
        connection.close()
        raise


def _publish(frames: list[events.Frame]) -> None:
    events.publish(frames)


class LotBatcher:
    def __init__(self, lot_id: int) -> None:
        self.lot_id = lot_id
        self.queue: list[tuple[bidding.Instruction, asyncio.Future[bidding.Answer]]] = []
        self.running = False
        self.task: asyncio.Task[None] | None = None
        self.batches = 0
        self.decided = 0

    async def submit(self, instruction: bidding.Instruction) -> bidding.Answer:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bidding.Answer] = loop.create_future()
        self.queue.append((instruction, future))
        if not self.running:
            self.running = True
            self.task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.queue:
                batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
                instructions = [instruction for instruction, _future in batch]
                try:
                    answers, frames = await loop.run_in_executor(
                        _executor, _decide, self.lot_id, instructions
                    )
                except Exception as error:
                    for _instruction, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                self.batches += 1
                self.decided += len(batch)
                for (_instruction, future), answer in zip(batch, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
                if frames:
                    loop.run_in_executor(_publisher, _publish, frames)
        finally:
            self.running = False


_batchers: dict[int, LotBatcher] = {}


def batcher_for(lot_id: int) -> LotBatcher:
    batcher = _batchers.get(lot_id)
    if batcher is None:
        batcher = _batchers[lot_id] = LotBatcher(lot_id)
    return batcher


async def submit(lot_id: int, instruction: bidding.Instruction) -> bidding.Answer:
    """Decide one instruction with whatever else is queued on the lot in this process."""
    return await batcher_for(lot_id).submit(instruction)


def close_connections() -> None:
    """Close the database connection of every bid worker thread (tests, shutdown)."""
    import threading

    workers = _executor._max_workers
    barrier = threading.Barrier(workers)

    def close() -> None:
        barrier.wait(timeout=10)
        connection.close()

    for future in [_executor.submit(close) for _ in range(workers)]:
        future.result(timeout=15)
