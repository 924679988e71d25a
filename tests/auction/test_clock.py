"""The auction clock: every lot opens and closes once, on time, with several clocks running."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from auction import clock
from auction.bidding import decide as bidding
from auction.bidding import rules as bidding_rules
from auction.models import Bid, Heartbeat, Lot, Outage
from auction.services import lifecycle
from core.models import AuditRecord
from tests.auction import factories

pytestmark = pytest.mark.django_db


def tick(now):
    """A clock pass while the web processes have been beating all along (no outage)."""
    Heartbeat.objects.update_or_create(
        name=clock.PLATFORM, defaults={"beat_at": now - timedelta(seconds=1)}
    )
    return clock.tick(now)


def test_a_lot_opens_at_its_start_and_closes_after_its_end_exactly_once(court):
    start = timezone.now() + timedelta(minutes=1)
    the_auction = factories.auction(
        court, starts_at=start, ends_at=start + timedelta(hours=1), status="PUBLISHED"
    )
    lot = factories.lot(court, status=Lot.Status.SCHEDULED, the_auction=the_auction)

    assert tick(start - timedelta(seconds=1)).opened == 0
    assert tick(start).opened == 1
    assert tick(start).opened == 0
    assert tick(lot.ends_at).closed == 0, "not before the end (and its grace)"
    report = tick(lot.ends_at + timedelta(seconds=1))

    lot.refresh_from_db()
    assert report.closed == 1
    assert lot.status == Lot.Status.UNSOLD
    assert lot.outcome == Lot.Outcome.UNSOLD_NO_BIDS
    assert tick(lot.ends_at + timedelta(seconds=2)).closed == 0


def test_a_lot_with_a_bid_reaching_the_reserve_is_sold_to_the_leader(court):
    lot = factories.lot(court, reserve_minor=1_000)
    registration = factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_000)

    tick(lot.ends_at + timedelta(seconds=1))

    lot.refresh_from_db()
    registration.refresh_from_db()
    assert lot.status == Lot.Status.SOLD
    assert lot.leader_id == registration.pk
    assert registration.deposit_status == "APPLIED"


def test_a_lot_below_its_reserve_is_unsold(court):
    lot = factories.lot(court, reserve_minor=5_000)
    registration = factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_000)

    tick(lot.ends_at + timedelta(seconds=1))

    lot.refresh_from_db()
    assert (lot.status, lot.outcome) == (Lot.Status.UNSOLD, Lot.Outcome.UNSOLD_RESERVE_NOT_MET)


@pytest.mark.django_db(transaction=True)
def test_three_clocks_over_200_lots_ending_together_close_each_once_and_on_time(court):
    end = timezone.now() + timedelta(seconds=5)
    # No soft close here: a bid that arrived exactly at the end is decided, never extends.
    the_auction = factories.auction(
        court,
        ends_at=end,
        rules={"soft_close_window_seconds": 0, "soft_close_extension_seconds": 0},
    )
    lots = [factories.lot(court, the_auction=the_auction, ends_at=end) for _ in range(200)]
    racers = [factories.registered_bidder(lot) for lot in lots[:40]]
    # Controlled time: each clock runs passes every 250 ms of virtual time after the end.
    passes = [end + timedelta(milliseconds=250 * i) for i in range(1, 9)]
    # The web processes beat throughout: no outage in this test.
    Heartbeat.objects.update_or_create(name=clock.PLATFORM, defaults={"beat_at": passes[-1]})
    barrier = threading.Barrier(4)
    race_answers: list[bidding.Answer] = []

    def run_clock() -> None:
        try:
            barrier.wait()
            for now in passes:
                clock.tick(now)
        finally:
            connections.close_all()

    def race_bids() -> None:
        # Bids that arrived exactly at the end race the closers: in before the close or refused.
        try:
            barrier.wait()
            for lot, registration in zip(lots[:40], racers, strict=True):
                race_answers.append(
                    bidding.place_bid(
                        lot_id=lot.pk,
                        user_id=registration.bidder_id,
                        amount_minor=1_000,
                        received_at=end,
                    )
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_clock) for _ in range(3)]
    threads.append(threading.Thread(target=race_bids))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    closes = AuditRecord.objects.filter(action="lot.closed")
    assert closes.count() == 200
    assert closes.values("object_id").distinct().count() == 200, "each lot closed once"
    for lot in Lot.objects.filter(pk__in=[lot.pk for lot in lots]):
        assert lot.status in (Lot.Status.SOLD, Lot.Status.UNSOLD)
        assert lot.closed_at - lot.ends_at <= timedelta(seconds=1), "none late by more than 1 s"
        bids = list(Bid.objects.filter(lot=lot))
        assert all(b.received_at <= lot.ends_at for b in bids)
        assert (lot.status == Lot.Status.SOLD) == bool(bids)
        assert lot.settled_at is not None, "every close settled"
    assert AuditRecord.objects.filter(action__endswith="mark_sold").count() == len(
        [lot for lot in lots if Lot.objects.get(pk=lot.pk).status == Lot.Status.SOLD]
    ), "each sold asset marked once"
    for answer in race_answers:
        assert answer.accepted or answer.code in ("lot_not_open", "lot_closed")


def test_an_outage_during_the_final_window_extends_the_lot_instead_of_closing_it(court):
    now = timezone.now()
    lot = factories.lot(court, ends_at=now + timedelta(minutes=2))
    Heartbeat.objects.update_or_create(name=clock.PLATFORM, defaults={"beat_at": now})
    back = now + timedelta(minutes=10)  # nothing beat for ten minutes

    report = clock.tick(back)

    lot.refresh_from_db()
    outage = Outage.objects.get()
    assert (outage.started_at, outage.ended_at) == (now, back)
    assert report.extended == 1
    assert lot.status == Lot.Status.OPEN
    assert lot.ends_at == now + timedelta(minutes=2) + timedelta(minutes=10) + timedelta(minutes=3)
    assert clock.tick(back + timedelta(seconds=1)).extended == 0, "compensated once"


def test_a_lot_whose_final_window_began_after_the_outage_is_not_extended(court):
    now = timezone.now()
    lot = factories.lot(court, ends_at=now + timedelta(hours=1))
    Heartbeat.objects.update_or_create(name=clock.PLATFORM, defaults={"beat_at": now})

    clock.tick(now + timedelta(minutes=1))

    lot.refresh_from_db()
    assert lot.ends_at == now + timedelta(hours=1)


def test_when_only_the_clock_was_down_a_lot_past_its_end_closes_with_its_bids(court):
    now = timezone.now()
    lot = factories.lot(court, ends_at=now + timedelta(seconds=10))
    registration = factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_000)
    Heartbeat.objects.update_or_create(name=clock.PLATFORM, defaults={"beat_at": now})
    later = now + timedelta(minutes=5)
    for second in range(5, 300, 5):  # the web processes kept beating
        clock.beat(now + timedelta(seconds=second))

    clock.tick(later)

    lot.refresh_from_db()
    assert lot.status == Lot.Status.SOLD
    assert not Outage.objects.exists()


def test_a_close_is_decided_first_and_settled_after_exactly_once(court):
    from aftersale.models import Sale

    lot = factories.lot(court)
    winner = factories.registered_bidder(lot)
    other = factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=winner.bidder_id, amount_minor=1_000)
    now = lot.ends_at + timedelta(seconds=1)

    decided = lifecycle.decide_close(lot_id=lot.pk, now=now)

    assert decided is not None
    assert decided.status == Lot.Status.SOLD
    assert decided.settled_at is None
    winner.refresh_from_db()
    other.refresh_from_db()
    assert (winner.deposit_status, other.deposit_status) == ("HELD", "HELD"), "not yet settled"
    assert not Sale.objects.filter(lot=lot).exists()
    assert clock.to_settle(), "a decided close waits for its settlement"
    assert lifecycle.decide_close(lot_id=lot.pk, now=now) is None, "decided once"

    report = tick(now)  # the next pass (a clock killed between the steps leaves this to it)

    lot.refresh_from_db()
    winner.refresh_from_db()
    other.refresh_from_db()
    assert (report.closed, report.settled) == (0, 1)
    assert lot.settled_at is not None
    assert (winner.deposit_status, other.deposit_status) == ("APPLIED", "REFUNDED")
    assert Sale.objects.filter(lot=lot).count() == 1
    assert not clock.to_settle()
    changes = AuditRecord.objects.count()

    again = lifecycle.settle_lot(lot_id=lot.pk)

    assert again is not None
    assert again.settled_at == lot.settled_at
    assert tick(now + timedelta(seconds=1)).settled == 0
    assert Sale.objects.filter(lot=lot).count() == 1, "settled once"
    assert AuditRecord.objects.count() == changes, "a second settlement changes nothing"


def test_a_pass_decides_every_due_lot_before_it_settles_any(court):
    end = timezone.now() - timedelta(seconds=5)
    the_auction = factories.auction(court, ends_at=end + timedelta(minutes=1))
    lots = [factories.lot(court, the_auction=the_auction, ends_at=end) for _ in range(3)]
    for lot in lots:
        factories.registered_bidder(lot)

    report = clock.tick(timezone.now(), settle=0)

    assert (report.closed, report.settled) == (3, 0)
    for lot in Lot.objects.filter(pk__in=[lot.pk for lot in lots]):
        assert lot.status == Lot.Status.UNSOLD
        assert lot.settled_at is None
    assert clock.tick(timezone.now()).settled == 3
    assert not Lot.objects.filter(settled_at__isnull=True).exists()


def test_due_lots_are_decided_in_claims_and_one_that_fails_is_left_for_the_next_pass(court):
    end = timezone.now() - timedelta(seconds=5)
    the_auction = factories.auction(court, ends_at=end + timedelta(minutes=1))
    count = clock.CLOSE_BATCH * 2 + 3  # more than one claim
    lots = [factories.lot(court, the_auction=the_auction, ends_at=end) for _ in range(count)]
    broken = lots[clock.CLOSE_BATCH // 2]  # in the middle of the first claim
    # The database refuses this one lot's close (as a failing disk or constraint would).
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_close() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_close BEFORE UPDATE OF status ON auction_lot FOR EACH ROW "
            f"WHEN (NEW.id = {int(broken.pk)} AND NEW.status <> 'OPEN') "
            "EXECUTE FUNCTION refuse_close()"
        )

    closed = clock.close_due(timezone.now())

    assert closed == count - 1
    statuses = dict(Lot.objects.filter(pk__in=[lot.pk for lot in lots]).values_list("pk", "status"))
    assert statuses.pop(broken.pk) == Lot.Status.OPEN, "left open for the next pass"
    assert set(statuses.values()) == {Lot.Status.UNSOLD}
    assert AuditRecord.objects.filter(action="lot.closed").count() == count - 1
    with connections["default"].cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse_close ON auction_lot")
    assert clock.close_due(timezone.now()) == 1, "the next pass closes it"


def test_settlements_that_keep_failing_wait_and_never_hold_up_the_lots_after_them(court):
    end = timezone.now() - timedelta(seconds=5)
    the_auction = factories.auction(court, ends_at=end + timedelta(minutes=1))
    lots = [
        factories.lot(court, the_auction=the_auction, ends_at=end)
        for _ in range(clock.SETTLE_BATCH + 2)
    ]
    for lot in lots:  # decided in order, so the first SETTLE_BATCH are the earliest to settle
        lifecycle.decide_close(lot_id=lot.pk, now=timezone.now())
    broken = [lot.pk for lot in lots[: clock.SETTLE_BATCH]]
    # The database refuses these lots' settlements (as a failing disk or constraint would).
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_settle() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_settle BEFORE UPDATE OF settled_at ON auction_lot "
            f"FOR EACH ROW WHEN (NEW.id IN ({', '.join(map(str, broken))}) "
            "AND NEW.settled_at IS NOT NULL) EXECUTE FUNCTION refuse_settle()"
        )
    clock._settle_retry.clear()
    try:
        first = clock.settle_due(timezone.now(), clock.SETTLE_BATCH)
        second = clock.settle_due(timezone.now(), clock.SETTLE_BATCH)
        waiting = clock.to_settle()
        with connections["default"].cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_settle ON auction_lot")
        retries = sorted(count for _at, count in clock._settle_retry.values())
        for lot_id, (_at, count) in list(clock._settle_retry.items()):  # their wait is over
            clock._settle_retry[lot_id] = (0.0, count)
        third = clock.settle_due(timezone.now(), clock.SETTLE_BATCH)
    finally:
        clock._settle_retry.clear()

    assert first == 0, "the earliest ten all failed"
    assert second == 2, "the lots after them were settled on the next pass"
    assert not waiting, "the failed ones wait for their retry, not the settler's next pass"
    assert retries == [1] * clock.SETTLE_BATCH
    assert third == clock.SETTLE_BATCH, "tried again once their wait is over"
    assert not Lot.objects.filter(pk__in=[lot.pk for lot in lots], settled_at=None).exists()


def test_the_clock_sleeps_until_the_next_lot_is_due_and_no_longer(court):
    now = timezone.now()
    assert clock.seconds_to_next(now) is None, "nothing to open or close"
    lot = factories.lot(court, ends_at=now + timedelta(seconds=10))

    wait = clock.seconds_to_next(now)

    grace = bidding_rules.CLOSE_GRACE.total_seconds()
    assert wait == pytest.approx(10 + grace)
    Lot.objects.filter(pk=lot.pk).update(
        status=Lot.Status.SCHEDULED, starts_at=now + timedelta(seconds=3)
    )
    assert clock.seconds_to_next(now) == pytest.approx(3), "or until the next opens"
    assert clock.seconds_to_next(now + timedelta(seconds=5)) == 0, "overdue: at once"
