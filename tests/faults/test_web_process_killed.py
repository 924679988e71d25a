"""`kill -9` of a web process mid-sale: its clients move to the other one and miss nothing."""

from __future__ import annotations

import asyncio

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


@pytest.mark.parametrize("victim", ["uvicorn", "daphne"])
def test_a_web_process_killed_mid_sale_loses_no_bid_and_its_clients_resume_without_a_gap(
    on_stack, chance, victim
):
    stack = on_stack
    sale = live_sale(stack, bidders=6)
    bidders, watchers = clients_for(stack, sale, sale.lot, watchers=4, seed=chance.randrange(10**6))
    clients = bidders + watchers
    on_victim = [c for c in clients if c.urls[0][0].endswith(f":{stack.web[victim].port}")]

    async def scenario():
        await bidding_under_way(clients, bidders, chance, bids=8)
        await asyncio.to_thread(stack.web[victim].kill)
        before = accepted_count(bidders)
        await wait_for(
            lambda: accepted_count(bidders) >= before + 8, timeout=30, what="bids after the kill"
        )
        await asyncio.gather(*(client.settle() for client in clients))
        await asyncio.gather(*(client.stop() for client in clients))

    run(scenario)

    report = invariants.check_clients(sale.lot.pk, clients)
    assert not report.violations, report.violations
    assert on_victim
    assert all(c.record.reconnects >= 1 for c in on_victim)
    assert all(c.record.reconnects == 0 for c in clients if c not in on_victim)
    assert report.counts["accepted"] >= 16
    print(report.counts)
