"""The Redis primary's host dies; Sentinel promotes the replica and the hubs follow it."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.cluster.scenario import crowd, finish, live_after, run, signed_in_sale, under_way
from tests.faults import invariants
from tests.faults.sale import accepted_count, wait_for

# A cluster starts in one to two minutes on a busy 2-core machine; the scenario runs after
# (a stuck one is stopped at 10 minutes, and its cluster still removed).
pytestmark = [pytest.mark.cluster, pytest.mark.servers, pytest.mark.timeout(600)]


def test_sentinel_promotes_the_replica_and_every_socket_resyncs_with_nothing_lost(
    on_cluster, chance
):
    cluster = on_cluster
    sale = signed_in_sale(cluster, bidders=8)
    bidders, watchers = crowd(cluster, sale, sale.lot, watchers=30, seed=chance.randrange(10**6))
    clients = bidders + watchers
    times: dict[str, float] = {}
    primary: dict[str, str] = {"before": cluster.redis_primary()}

    async def scenario():
        await under_way(clients, bidders, bids=10)
        await asyncio.sleep(chance.uniform(0, 0.5))
        await asyncio.to_thread(cluster.kill_host, "redis1")
        times["down"] = time.monotonic()

        def promoted() -> bool:
            try:
                return cluster.redis_primary() == cluster.address("redis2")
            except Exception:
                return False

        await wait_for(promoted, timeout=60, what="Sentinel to promote the replica", every=0.5)
        times["promoted"] = time.monotonic()
        primary["after"] = cluster.redis_primary()
        await wait_for(
            lambda: all(live_after(w, times["promoted"]) for w in watchers),
            timeout=60,
            what="live events on every watcher from the new primary",
        )
        after = accepted_count(bidders)
        await wait_for(lambda: accepted_count(bidders) >= after + 10, timeout=60, what="more bids")
        await finish(clients)

    run(scenario, clients)

    report = invariants.check_clients(sale.lot.pk, clients)
    assert not report.violations, report.violations[:20]
    assert primary == {"before": cluster.address("redis1"), "after": cluster.address("redis2")}
    # The hubs lost their subscription and told their sockets to resync from PostgreSQL.
    assert all(any(at > times["down"] for at in w.record.resync_at) for w in watchers)
    assert all(not sum(c.record.errors.values()) for c in clients), "no error frame"
    print(report.counts)
