"""PostgreSQL restarted mid-sale: bids are refused while it is away, and nothing is half-written."""

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
    reconnect_database,
    wait_for,
)
from tests.harness.aio import run

pytestmark = [pytest.mark.faults, pytest.mark.servers]


def refused_as_unavailable(bidders) -> int:
    return sum(b.record.refusals["service_unavailable"] for b in bidders)


def test_bids_during_a_database_outage_get_a_retryable_refusal_and_the_sale_recovers_by_itself(
    on_stack, chance
):
    stack = on_stack
    sale = live_sale(stack, bidders=6)
    bidders, watchers = clients_for(stack, sale, sale.lot, watchers=2, seed=chance.randrange(10**6))
    clients = bidders + watchers
    processes = {p.name: p.pid for p in stack.processes()}
    times: dict[str, float] = {}

    async def scenario():
        await bidding_under_way(clients, bidders, chance, bids=6)
        await asyncio.to_thread(stack.postgres.stop, "immediate")
        times["down"] = time.monotonic()
        await wait_for(
            lambda: refused_as_unavailable(bidders) >= 3, timeout=20, what="refusals while down"
        )
        # Before the start is asked for: the server may be ready before `start` returns.
        times["up"] = time.monotonic()
        await asyncio.to_thread(stack.postgres.start)
        after = accepted_count(bidders)
        await wait_for(
            lambda: accepted_count(bidders) >= after + 6, timeout=30, what="bids after the restart"
        )
        await asyncio.gather(*(client.settle() for client in clients))
        await asyncio.gather(*(client.stop() for client in clients))

    run(scenario)
    reconnect_database()

    report = invariants.check_clients(sale.lot.pk, clients)
    assert not report.violations, report.violations
    # A bid sent once the database was down cannot be accepted before its start is asked
    # for. (One committed just before the stop may still be answered after it.)
    during = [
        answer
        for bidder in bidders
        for answer in bidder.record.accepted
        if times["down"] < (answer.sent_at or answer.at) and answer.at < times["up"]
    ]
    assert not during, "no bid can be accepted while the database is down"
    assert all(b.record.reconnects == 0 for b in bidders), "the sockets stayed open"
    assert {p.name: p.pid for p in stack.processes()} == processes, "no process was restarted"
    assert all(p.alive for p in stack.processes())
    print(report.counts, refused_as_unavailable(bidders))
