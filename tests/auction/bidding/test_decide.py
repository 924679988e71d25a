"""The bidding service against PostgreSQL: rules, refusals that change nothing, and races."""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from auction.bidding import batcher
from auction.bidding import decide as bidding
from auction.models import Bid, Lot, Notification, Registration
from core.models import AuditRecord
from tests.auction import factories
from tests.harness.aio import run
from tests.harness.snippets import run_json

pytestmark = pytest.mark.django_db


def lot_row(lot_id):
    return Lot.objects.values("price_minor", "leader_id", "seq", "bid_count", "ends_at").get(
        pk=lot_id
    )


def test_an_accepted_bid_is_written_with_the_next_sequence_number_and_audited(court):
    lot = factories.lot(court)
    registration = factories.registered_bidder(lot)

    answer = bidding.place_bid(
        lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_000, client_id="c1"
    )

    assert answer.accepted
    assert (answer.seq, answer.amount_minor, answer.paddle) == (1, 1_000, registration.paddle)
    assert lot_row(lot.pk)["price_minor"] == 1_000
    assert Bid.objects.get(lot=lot).received_at == answer.received_at
    assert AuditRecord.objects.filter(action="lot.bid_accepted", object_id=str(lot.pk)).count() == 1


@pytest.mark.parametrize(
    ("arrange", "code"),
    [
        ("unregistered", "not_registered"),
        ("deposit_pending", "deposit_not_held"),
        ("below_minimum", "below_minimum"),
        ("lot_scheduled", "lot_not_open"),
        ("after_the_end", "lot_closed"),
        ("already_leading", "already_leading"),
        ("deactivated", "excluded_party"),
    ],
)
def test_a_refused_bid_says_why_and_changes_nothing(court, arrange, code):
    lot = factories.lot(court)
    leader = factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=leader.bidder_id, amount_minor=1_000)
    registration = factories.registered_bidder(lot, held=arrange != "deposit_pending")
    user_id, amount, received_at = registration.bidder_id, 1_100, timezone.now()
    if arrange == "unregistered":
        user_id = factories.make_user("BIDDER", verified=True).pk
    elif arrange == "below_minimum":
        amount = 1_050
    elif arrange == "lot_scheduled":
        Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.SCHEDULED)
    elif arrange == "after_the_end":
        received_at = lot.ends_at + timedelta(milliseconds=1)
    elif arrange == "already_leading":
        user_id = leader.bidder_id
    elif arrange == "deactivated":
        type(registration.bidder).objects.filter(pk=user_id).update(is_active=False)
    before = (
        lot_row(lot.pk),
        Bid.objects.count(),
        AuditRecord.objects.count(),
        list(Registration.objects.values().order_by("pk")),
    )

    answer = bidding.place_bid(
        lot_id=lot.pk, user_id=user_id, amount_minor=amount, received_at=received_at
    )

    assert not answer.accepted
    assert answer.code == code
    assert answer.message()
    after = (
        lot_row(lot.pk),
        Bid.objects.count(),
        AuditRecord.objects.count(),
        list(Registration.objects.values().order_by("pk")),
    )
    assert after == before


def test_the_minimum_is_named_in_the_bidders_language(court):
    from django.utils import translation

    lot = factories.lot(court)
    registration = factories.registered_bidder(lot)

    answer = bidding.place_bid(lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=999)

    assert answer.params == {"minimum_minor": 1_000, "currency": "SAR"}
    with translation.override("en"):
        assert answer.message() == "The bid must be at least SAR\xa010.00."
    with translation.override("ar"):
        assert "10.00" in answer.message()
        assert "ر.س" in answer.message()


def test_a_retried_submission_gets_the_original_answer_and_never_a_second_bid(court):
    lot = factories.lot(court)
    registration = factories.registered_bidder(lot)

    first = bidding.place_bid(
        lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_000, client_id="same"
    )
    again = bidding.place_bid(
        lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_000, client_id="same"
    )

    assert again.accepted
    assert again.duplicate
    assert (again.seq, again.amount_minor) == (first.seq, first.amount_minor)
    assert Bid.objects.filter(lot=lot).count() == 1


def test_a_bid_in_the_final_window_moves_the_end(court):
    ends_at = timezone.now() + timedelta(minutes=1)
    lot = factories.lot(court, ends_at=ends_at)
    registration = factories.registered_bidder(lot)
    received_at = timezone.now()

    bidding.place_bid(
        lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_000, received_at=received_at
    )

    assert lot_row(lot.pk)["ends_at"] == received_at + timedelta(minutes=3)


def test_an_automatic_maximum_answers_a_manual_bid_in_the_same_commit(court):
    lot = factories.lot(court)
    robot, person = factories.registered_bidder(lot), factories.registered_bidder(lot)

    bidding.set_automatic_bid(lot_id=lot.pk, user_id=robot.bidder_id, maximum_minor=5_000)
    answer = bidding.place_bid(lot_id=lot.pk, user_id=person.bidder_id, amount_minor=2_000)

    assert answer.accepted
    assert not answer.is_leading
    bids = list(
        Bid.objects.filter(lot=lot).values_list("registration_id", "amount_minor", "source")
    )
    assert bids == [
        (robot.pk, 1_000, "AUTOMATIC"),
        (person.pk, 2_000, "MANUAL"),
        (robot.pk, 2_100, "AUTOMATIC"),
    ]
    assert lot_row(lot.pk)["leader_id"] == robot.pk


def test_the_second_chance_choice_is_kept_from_the_first_bid(court):
    lot = factories.lot(court)
    registration = factories.registered_bidder(lot)

    bidding.place_bid(
        lot_id=lot.pk,
        user_id=registration.bidder_id,
        amount_minor=1_000,
        keep_deposit_reserved=True,
    )

    registration.refresh_from_db()
    assert registration.keep_deposit_reserved is True


def assert_lot_record_is_consistent(lot_id: int) -> list[Bid]:
    bids = list(Bid.objects.filter(lot_id=lot_id).order_by("seq"))
    amounts = [b.amount_minor for b in bids]
    assert amounts == sorted(set(amounts)), "accepted amounts strictly increase"
    assert [b.seq for b in bids] == list(range(1, len(bids) + 1)), "sequence is gap-free"
    row = lot_row(lot_id)
    if bids:
        assert row["price_minor"] == bids[-1].amount_minor
        assert row["seq"] == bids[-1].seq
    return bids


@pytest.mark.django_db(transaction=True)
def test_fifty_bidders_in_threads_racing_on_one_lot_keep_every_invariant(court):
    lot = factories.lot(court, opening_minor=1_000)
    registrations = [factories.registered_bidder(lot) for _ in range(50)]
    rounds = 6
    barrier = threading.Barrier(len(registrations))
    answers: list[tuple[str, bidding.Answer]] = []
    submitted: list[str] = []
    lock = threading.Lock()

    def bidder(registration: Registration) -> None:
        rng = random.Random(registration.pk)
        try:
            barrier.wait()
            for _ in range(rounds):
                current = Lot.objects.values_list("price_minor", flat=True).get(pk=lot.pk)
                amount = (current or 900) + 100 * rng.randint(1, 3)
                client_id = uuid.uuid4().hex
                tries = 2 if rng.random() < 0.3 else 1  # some submissions are retried
                for _try in range(tries):
                    answer = bidding.place_bid(
                        lot_id=lot.pk,
                        user_id=registration.bidder_id,
                        amount_minor=amount,
                        client_id=client_id,
                    )
                    with lock:
                        answers.append((client_id, answer))
                with lock:
                    submitted.append(client_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=bidder, args=(r,)) for r in registrations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    bids = assert_lot_record_is_consistent(lot.pk)
    accepted_ids = {cid for cid, a in answers if a.accepted and not a.duplicate}
    assert len(submitted) == 50 * rounds
    assert {b.client_id for b in bids} == accepted_ids, "every acceptance is a bid and vice versa"
    assert len([b for b in bids if b.client_id]) == len(accepted_ids), "no client id twice"
    for client_id, answer in answers:
        if answer.duplicate:
            original = next(b for b in bids if b.client_id == client_id)
            assert answer.seq == original.seq
    assert all(a.code in (None, "below_minimum", "already_leading") for _cid, a in answers)


@pytest.mark.django_db(transaction=True)
def test_fifty_bidders_through_the_batcher_are_decided_in_batches_with_every_invariant(court):
    lot = factories.lot(court, opening_minor=1_000)
    registrations = [factories.registered_bidder(lot) for _ in range(50)]

    async def scenario() -> list[bidding.Answer]:
        async def one(registration: Registration, amount: int) -> bidding.Answer:
            return await batcher.submit(
                lot.pk,
                bidding.Instruction(
                    user_id=registration.bidder_id,
                    received_at=timezone.now(),
                    amount_minor=amount,
                    client_id=uuid.uuid4().hex,
                ),
            )

        answers = []
        for round_number in range(5):
            base = 1_000 + round_number * 10_000
            answers += await asyncio.gather(
                *(one(r, base + 100 * i) for i, r in enumerate(registrations))
            )
        return answers

    answers = run(scenario)

    bids = assert_lot_record_is_consistent(lot.pk)
    assert len(answers) == 250
    assert sum(a.accepted for a in answers) == len(bids)
    assert batcher.batcher_for(lot.pk).batches < 250, "queued bids were decided together"


def _hold_lot_lock(lot_id: int, locked: threading.Event, release: threading.Event) -> None:
    """Another web process's batch, as PostgreSQL sees it: the lot's row lock, held until told."""
    from django.db import transaction

    try:
        with transaction.atomic():
            Lot.objects.select_for_update().get(pk=lot_id)
            locked.set()
            release.wait(20)
    finally:
        connections.close_all()


def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_bids_queued_while_a_batch_waits_for_the_lots_lock_join_it_in_arrival_order(court):
    """A hot lot is locked in turn by every web process. The batch that waits for the lock takes
    what queued meanwhile once it holds it: one transaction, the order of arrival kept, and an
    answer for each caller even when another caller gave up waiting."""
    lot = factories.lot(court, opening_minor=1_000)
    registrations = [factories.registered_bidder(lot) for _ in range(8)]
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lot_lock, args=(lot.pk, locked, release))
    holder.start()
    assert locked.wait(10)

    def instruction(registration: Registration, amount: int) -> bidding.Instruction:
        return bidding.Instruction(
            user_id=registration.bidder_id,
            received_at=timezone.now(),
            amount_minor=amount,
            client_id=uuid.uuid4().hex,
        )

    async def scenario() -> list[bidding.Answer | None]:
        first = asyncio.ensure_future(batcher.submit(lot.pk, instruction(registrations[0], 1_000)))
        for _ in range(200):  # the first batch is waiting for the lot's lock
            if await asyncio.to_thread(_lock_waiters):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the first batch never waited for the lock")
        rest = [
            asyncio.ensure_future(batcher.submit(lot.pk, instruction(r, 1_000 + 100 * i)))
            for i, r in enumerate(registrations[1:], start=1)
        ]
        await asyncio.sleep(0.05)
        rest[2].cancel()  # its bidder went away; it is still decided, and nobody else's answer
        release.set()
        answers: list[bidding.Answer | None] = [await first]
        for task in rest:
            answers.append(None if task.cancelled() else await task)
        return answers

    try:
        answers = run(scenario)
    finally:
        release.set()
        holder.join()

    bids = assert_lot_record_is_consistent(lot.pk)
    assert [b.amount_minor for b in bids] == [1_000 + 100 * i for i in range(8)]
    assert [b.registration_id for b in bids] == [r.pk for r in registrations]
    for i, answer in enumerate(answers):
        if i == 3:
            assert answer is None
            continue
        assert answer is not None
        assert answer.accepted
        assert (answer.seq, answer.amount_minor) == (i + 1, 1_000 + 100 * i)
        assert answer.paddle == registrations[i].paddle
    stats = batcher.batcher_for(lot.pk)
    assert (stats.batches, stats.decided) == (1, 8), "the late arrivals joined the waiting batch"


def test_bids_on_several_lots_decided_in_one_transaction_are_decided_as_each_lot_alone(court):
    auction = factories.auction(court)
    first, second = (factories.lot(court, the_auction=auction) for _ in range(2))
    a, b = factories.registered_bidder(first), factories.registered_bidder(first)
    c = factories.registered_bidder(second)
    now = timezone.now()

    def bid(registration, amount, client_id):
        return bidding.Instruction(
            user_id=registration.bidder_id,
            received_at=now,
            amount_minor=amount,
            client_id=client_id,
        )

    answers, frames = bidding.decide(
        {
            second.pk: [bid(c, 1_000, "c1"), bid(c, 1_100, "c2")],
            first.pk: [bid(a, 1_000, "a1"), bid(b, 1_000, "b1"), bid(b, 1_100, "b2")],
        }
    )

    assert [x.accepted for x in answers[first.pk]] == [True, False, True]
    assert answers[first.pk][1].code == "below_minimum"
    assert [x.accepted for x in answers[second.pk]] == [True, False]
    assert answers[second.pk][1].code == "already_leading"
    assert [x.seq for x in assert_lot_record_is_consistent(first.pk)] == [1, 2]
    assert [x.seq for x in assert_lot_record_is_consistent(second.pk)] == [1]
    assert {f.topic for f in frames} >= {f"lot:{first.pk}", f"lot:{second.pk}"}
    assert AuditRecord.objects.filter(action="lot.bid_accepted").count() == 3


def test_a_batch_takes_the_same_round_trips_whatever_it_holds(court):
    """Three reads and one write per batch: one bid, or twelve over three lots with automatic
    maxima, outbids, a changed registration and refusals."""
    auction = factories.auction(court)
    lots = [factories.lot(court, the_auction=auction) for _ in range(3)]
    bidders = {lot.pk: [factories.registered_bidder(lot) for _ in range(3)] for lot in lots}
    now = timezone.now()

    def bid(registration, amount, client_id, **extra):
        return bidding.Instruction(
            user_id=registration.bidder_id,
            received_at=now,
            amount_minor=amount,
            client_id=client_id,
            **extra,
        )

    def round_trips(groups):
        with CaptureQueriesContext(connection) as queries:
            answers, _frames = bidding.decide(groups)
        return len(queries), answers

    alone = factories.lot(court, the_auction=auction)
    single, _ = round_trips({alone.pk: [bid(factories.registered_bidder(alone), 1_000, "s1")]})
    groups = {}
    for lot in lots:
        a, b, c = bidders[lot.pk]
        groups[lot.pk] = [
            bid(a, 1_000, f"{lot.pk}-1", keep_deposit_reserved=True),
            bidding.Instruction(
                user_id=b.bidder_id, received_at=now, kind="auto", maximum_minor=1_500
            ),
            bid(c, 1_000, f"{lot.pk}-3"),  # below the minimum once the robot has answered
            bid(c, 2_000, f"{lot.pk}-4"),
        ]
    many, answers = round_trips(groups)

    assert many == single
    for lot in lots:
        a, b, c = bidders[lot.pk]
        assert [x.accepted for x in answers[lot.pk]] == [True, True, False, True]
        record = assert_lot_record_is_consistent(lot.pk)
        assert [(x.registration_id, x.amount_minor, x.source) for x in record] == [
            (a.pk, 1_000, "MANUAL"),
            (b.pk, 1_100, "AUTOMATIC"),
            (c.pk, 2_000, "MANUAL"),
        ]
        a.refresh_from_db()
        b.refresh_from_db()
        assert a.keep_deposit_reserved is True
        assert b.auto_max_minor == 1_500
        outbid = Notification.objects.filter(lot=lot, kind=Notification.Kind.OUTBID)
        assert sorted(outbid.values_list("user_id", flat=True)) == sorted(
            [a.bidder_id, b.bidder_id]
        )
        assert (
            AuditRecord.objects.filter(object_id=str(lot.pk), action="lot.bid_accepted").count()
            == 3
        )


@pytest.mark.django_db(transaction=True)
def test_a_bid_does_not_wait_for_a_lock_held_on_its_auction(court):
    lot = factories.lot(court)
    registration = factories.registered_bidder(lot)
    locked, release = threading.Event(), threading.Event()

    def hold_the_auction() -> None:
        from django.db import transaction

        with transaction.atomic():
            list(type(lot.auction).objects.select_for_update().filter(pk=lot.auction_id))
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold_the_auction)
    holder.start()
    locked.wait(10)
    answers: list[bidding.Answer] = []
    bidder = threading.Thread(
        target=lambda: answers.append(
            bidding.place_bid(lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=1_000)
        )
    )
    bidder.start()
    bidder.join(5)
    decided_while_held = bool(answers)
    release.set()
    holder.join()
    bidder.join()

    assert decided_while_held, "the bid waited for the auction's row lock"
    assert answers[0].accepted


SQLITE_BATCH = r"""
import json

import django

django.setup()
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

call_command("migrate", verbosity=0)
from auction.models import Lot, Registration
from auction.bidding import decide as bidding
from bench import data

maker = data.Maker()
now = timezone.now()
a, b, c = maker.users(3)
lots = maker.lots(maker.auction(now - timedelta(hours=1), now + timedelta(days=1)), 2)
maker.register([(lot, user) for lot in lots for user in (a, b, c)])


def bid(user, amount, client_id, **extra):
    return bidding.Instruction(
        user_id=user.pk, received_at=timezone.now(), amount_minor=amount, client_id=client_id,
        **extra,
    )


opening = data.OPENING
answers, frames = bidding.decide({
    lot.pk: [
        bid(a, opening, f"{lot.pk}-1", keep_deposit_reserved=True),
        bidding.Instruction(
            user_id=b.pk, received_at=timezone.now(), kind="auto", maximum_minor=opening + 500
        ),
        bid(c, opening + 1000, f"{lot.pk}-3"),
    ]
    for lot in lots
})
again, _ = bidding.decide({lots[0].pk: [bid(a, opening, f"{lots[0].pk}-1")]})
print(json.dumps({
    "accepted": [[x.accepted for x in answers[lot.pk]] for lot in lots],
    "duplicate": again[lots[0].pk][0].duplicate,
    "bids": [
        [[x.seq, x.amount_minor - opening, x.source] for x in lot.bids.order_by("seq")]
        for lot in lots
    ],
    "prices": [Lot.objects.get(pk=lot.pk).price_minor - opening for lot in lots],
    "kept": Registration.objects.get(lot=lots[0], bidder=a).keep_deposit_reserved,
    "frames": len(frames),
}))
"""


def test_a_batch_is_decided_the_same_on_the_embedded_sqlite(tmp_path):
    """`make run` keeps its data in SQLite: the batch SQL runs there too (statement by statement,
    no row locks: SQLite locks the database)."""
    found = run_json(SQLITE_BATCH, {"SQLITE_PATH": str(tmp_path / "embedded.sqlite3")}, timeout=300)

    assert found["accepted"] == [[True, True, True], [True, True, True]]
    assert found["bids"] == [
        [[1, 0, "MANUAL"], [2, 100, "AUTOMATIC"], [3, 1000, "MANUAL"]],
        [[1, 0, "MANUAL"], [2, 100, "AUTOMATIC"], [3, 1000, "MANUAL"]],
    ]
    assert found["prices"] == [1000, 1000]
    assert found["kept"] is True
    assert found["duplicate"] is True
    assert found["frames"] > 0
