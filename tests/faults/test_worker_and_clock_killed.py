"""The payment worker and the auction clock killed at random points: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import timedelta
from pathlib import Path

import pytest

from tests.faults import invariants
from tests.faults.provider import all_done, jobs, pay_deposits, register_by_card, wait_until
from tests.faults.sale import (
    Chaos,
    accepted_count,
    clients_for,
    db_now,
    joined,
    live_sale,
    wait_for,
)
from tests.harness.aio import in_thread, run
from tests.harness.fault_proxy import Fault

pytestmark = [pytest.mark.faults, pytest.mark.servers]


def test_a_lot_whose_end_passed_while_the_clock_was_down_closes_when_a_clock_runs(on_stack, chance):
    from auction.models import Bid, Lot, Outage

    stack = on_stack
    outages = Outage.objects.count()
    sale = live_sale(stack, bidders=4, ends_in=timedelta(seconds=8))
    lot = sale.lot
    bidders, watchers = clients_for(stack, sale, lot, watchers=1, seed=chance.randrange(10**6))
    clients = bidders + watchers

    async def scenario():
        for client in clients:
            client.start(bid=True)
        await joined(clients)
        await asyncio.sleep(chance.uniform(0.5, 2.0))
        pid = stack.clock.pid
        assert len(clock_helpers(pid)) == 3, "a closer, the settler and the notifier beside it"
        await asyncio.to_thread(stack.clock.kill)  # some time before the end
        # Its helpers stop with it (they are told when it dies).
        await wait_for(lambda: not clock_helpers(pid), timeout=10, what="the clock's helpers")
        ends_at = lot.ends_at
        await wait_for_database_time(ends_at + timedelta(seconds=3))
        await asyncio.gather(*(client.settle() for client in clients))
        await asyncio.gather(*(client.stop() for client in clients))

    run(scenario)
    lot.refresh_from_db()
    still_open = lot.status
    restarted_at = db_now()
    stack.clock.start()
    wait_until(lambda: Lot.objects.get(pk=lot.pk).status != "OPEN", timeout=15, what="the close")

    lot.refresh_from_db()
    bids = list(Bid.objects.filter(lot=lot).order_by("seq"))
    report = invariants.check_clients(lot.pk, clients)
    assert not report.violations, report.violations
    assert still_open == "OPEN", "nothing but a clock closes a lot"
    assert lot.status == "SOLD"
    # Generous: the bound includes starting the clock's process on a busy machine.
    assert lot.closed_at - restarted_at < timedelta(seconds=15)
    assert bids
    assert all(bid.received_at <= lot.ends_at for bid in bids)
    assert lot.price_minor == bids[-1].amount_minor
    assert lot.leader_id == bids[-1].registration_id
    assert sum(b.record.refusals["lot_closed"] for b in bidders) >= 1, "bids after the end"
    assert Outage.objects.count() == outages, "the web processes kept the platform's heartbeat"


def clock_helpers(pid: int) -> list[int]:
    """The processes a clock started (`--parent <pid>`) that are still running."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        ours = (b"--parent", str(pid).encode()) in itertools.pairwise(command)
        if ours and b"run_auction_clock" in command and state != "Z":
            found.append(int(entry.name))
    return found


async def wait_for_database_time(moment) -> None:
    while await in_thread(db_now) < moment:
        await asyncio.sleep(0.2)


def test_killing_the_worker_and_the_clock_at_random_points_loses_nothing_and_does_nothing_twice(
    on_stack, chance
):
    from auction.models import Lot, Registration
    from payments.models import JournalEntry, Payment, Refund

    stack = on_stack
    sale = live_sale(stack, lots=2, bidders=0)
    court = sale.court
    registrations = []
    deposit_chaos = Chaos(stack.worker, random.Random(chance.random()), kills=3)
    # Calls that take a while, so some kills land while a request is in flight.
    stack.proxy.script(*[Fault("delay", seconds=0.15)] * 20)

    with deposit_chaos:
        for lot in sale.lots:
            registrations += register_by_card(stack, sale, lot, 2)
        wait_until(
            all_done("payment_intent.create", court, len(registrations)),
            timeout=60,
            what="the PaymentIntents",
        )
        deposits = pay_deposits(stack, registrations)
        wait_until(
            lambda: (
                Registration.objects.filter(lot__in=sale.lots, deposit_status="HELD").count()
                == len(registrations)
            ),
            timeout=60,
            what="the deposits to be held",
        )

    clients = []
    for lot in sale.lots:
        bidders, watchers = clients_for(stack, sale, lot, watchers=1, seed=chance.randrange(10**6))
        clients.append((lot, bidders, watchers))

    async def bidding():
        everyone = [c for _, bidders, watchers in clients for c in bidders + watchers]
        for client in everyone:
            client.start(bid=True)
        await joined(everyone)
        await wait_for(
            lambda: all(accepted_count(b) >= 3 for _, b, _ in clients), timeout=30, what="bids"
        )
        end = await in_thread(db_now) + timedelta(seconds=2)
        await in_thread(
            lambda: Lot.objects.filter(pk__in=[lot.pk for lot in sale.lots]).update(
                ends_at=end, original_ends_at=end
            )
        )
        await wait_for(
            lambda: all(c.state.get("status") in ("SOLD", "UNSOLD") for c in everyone),
            timeout=60,
            what="every lot to close",
        )
        await asyncio.gather(*(client.settle() for client in everyone))
        await asyncio.gather(*(client.stop() for client in everyone))

    refund_chaos = Chaos(stack.worker, random.Random(chance.random()), kills=2)
    clock_chaos = Chaos(stack.clock, random.Random(chance.random()), kills=2, working=(0.2, 2))
    with refund_chaos, clock_chaos:
        run(bidding)
        wait_until(
            lambda: len(jobs("refund.create", court)) == len(sale.lots),
            timeout=30,
            what="the losers' refunds to be instructed",
        )
    wait_until(all_done("refund.create", court, len(sale.lots)), timeout=60, what="the refunds")

    for lot, bidders, watchers in clients:
        report = invariants.check_clients(lot.pk, bidders + watchers)
        assert not report.violations, report.violations
    assert deposit_chaos.kills + refund_chaos.kills >= 3
    assert clock_chaos.kills >= 1
    assert all(lot.status == "SOLD" for lot in Lot.objects.filter(pk__in=[x.pk for x in sale.lots]))
    for payment in Payment.objects.filter(pk__in=[d.pk for d in deposits]):
        assert payment.status == "SUCCEEDED"
        received = JournalEntry.objects.filter(
            reference_type="payments.payment", reference_id=str(payment.pk)
        )
        assert received.count() == 1, f"payment {payment.pk} posted {received.count()} times"
    assert Refund.objects.filter(payment__in=deposits).count() == len(sale.lots)
    print(deposit_chaos.kills, refund_chaos.kills, clock_chaos.kills)
