"""A rolling deploy: the balancer drains each web host, its processes restart, it comes back."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.cluster.scenario import crowd, finish, run, signed_in_sale, under_way
from tests.faults import invariants
from tests.faults.sale import accepted_count, wait_for

# A cluster starts in one to two minutes on a busy 2-core machine; the scenario runs after
# (a stuck one is stopped at 10 minutes, and its cluster still removed).
pytestmark = [pytest.mark.cluster, pytest.mark.servers, pytest.mark.timeout(600)]


def test_draining_each_web_host_in_turn_gives_sockets_a_reconnect_and_never_an_error_frame(
    on_cluster, chance
):
    cluster = on_cluster
    sale = signed_in_sale(cluster, bidders=8)
    bidders, watchers = crowd(cluster, sale, sale.lot, watchers=40, seed=chance.randrange(10**6))
    clients = bidders + watchers
    moved: dict[str, int] = {}

    async def scenario():
        await under_way(clients, bidders, bids=10)
        for host in ("web1", "web2"):
            sessions = await asyncio.to_thread(cluster.sessions)
            moved[host] = sum(n for name, n in sessions.items() if name.startswith(host))
            await asyncio.to_thread(cluster.redeploy, host)
            before = accepted_count(bidders)
            await wait_for(
                lambda before=before: accepted_count(bidders) >= before + 5,
                timeout=60,
                what="bids after it",
            )
            await wait_for(
                lambda: all(c.connected.is_set() for c in clients), timeout=60, what="sockets back"
            )
        await finish(clients)

    run(scenario, clients)

    report = invariants.check_clients(sale.lot.pk, clients)
    assert not report.violations, report.violations[:20]
    assert all(not sum(c.record.errors.values()) for c in clients), "no socket saw an error frame"
    refusals = sum((b.record.refusals for b in bidders), Counter())
    assert not refusals["service_unavailable"], "no bid was refused for the deploy"
    assert moved["web1"] > 0
    assert moved["web2"] > 0
    assert report.counts["reconnects"] >= moved["web1"]
    assert set(cluster.server_states().values()) == {"UP"}
    print(report.counts, moved, refusals)
