"""Redis killed and started again mid-sale: bidding goes on, live events come back within 5 s."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults import invariants
from tests.faults.sale import (
    accepted_count,
    bidding_under_way,
    clients_for,
    live_sale,
    wait_for,
)
from tests.harness.aio import run

pytestmark = [pytest.mark.faults, pytest.mark.servers]

# Long enough for the hubs' reconnection backoff to reach its cap.
DOWN_SECONDS = 7.0
RESUME_WITHIN = 5.0


def test_bids_are_accepted_while_redis_is_down_and_live_events_resume_within_5_s(on_stack, chance):
    stack = on_stack
    sale = live_sale(stack, bidders=6)
    bidders, watchers = clients_for(stack, sale, sale.lot, watchers=4, seed=chance.randrange(10**6))
    clients = bidders + watchers
    times: dict[str, float] = {}

    async def scenario():
        await bidding_under_way(clients, bidders, chance, bids=6)
        await asyncio.to_thread(stack.redis.kill)
        times["down"] = time.monotonic()
        await asyncio.sleep(DOWN_SECONDS)
        await asyncio.to_thread(stack.redis.start)
        times["up"] = time.monotonic()
        await wait_for(
            lambda: all(live_after(w, times["up"]) for w in watchers),
            timeout=15,
            what="live events on every watcher after the restart",
        )
        after = accepted_count(bidders)
        await wait_for(lambda: accepted_count(bidders) >= after + 4, timeout=30, what="more bids")
        await asyncio.gather(*(client.settle() for client in clients))
        await asyncio.gather(*(client.stop() for client in clients))

    run(scenario)

    report = invariants.check_clients(sale.lot.pk, clients)
    assert not report.violations, report.violations
    accepted_while_down = [
        answer
        for bidder in bidders
        for answer in bidder.record.accepted
        if times["down"] < answer.at < times["up"]
    ]
    assert len(accepted_while_down) >= 3, "PostgreSQL, not Redis, is on the commit path"
    for watcher in watchers:
        resumed = live_after(watcher, times["up"]) - times["up"]
        assert resumed < RESUME_WITHIN, f"{watcher.name}: live again after {resumed:.1f} s"
        assert any(at > times["down"] for at in watcher.record.resync_at), "told to resync"
    assert all(c.record.reconnects == 0 for c in clients), "the sockets stayed open"
    resumed = [round(live_after(w, times["up"]) - times["up"], 2) for w in watchers]
    print(report.counts, len(accepted_while_down), resumed)


def live_after(client, moment: float) -> float | None:
    """When the client's first live bid after `moment` arrived (None: not yet)."""
    return next((at for at, _seq in client.record.live if at > moment), None)
