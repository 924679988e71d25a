"""The hand-off of late arrivals: what the event loop offers a running batch, and what its bid
thread takes once it holds the locks.

Every instruction offered ends in exactly one place - taken into the batch, given back to the
queue, or refused at once (the loop queues it) - in the order it arrived, and nothing is let in
after the take. Checked over any interleaving (Hypothesis) and with a real thread racing the
offers. The batcher end to end, on PostgreSQL, is in test_decide.py.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from auction.bidding.batcher import Arrivals
from auction.bidding.decide import Instruction

MOMENT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def item(number: int, lot_id: int = 1) -> Any:
    """A queued instruction as the batcher holds it: (lot, instruction, future, request id)."""
    instruction = Instruction(user_id=number, received_at=MOMENT, amount_minor=1_000 + number)
    return (lot_id, instruction, None, f"request-{number}")


def numbers(items: list[Any]) -> list[int]:
    return [queued[1].user_id for queued in items]


@given(
    steps=st.lists(st.sampled_from(["offer", "take", "close"]), max_size=40),
    room=st.integers(0, 6),
    lots=st.lists(st.integers(1, 3), min_size=40, max_size=40),
)
def test_every_arrival_ends_in_one_place_in_order_and_nothing_joins_after_the_take(
    steps, room, lots
):
    arrivals = Arrivals(room)
    refused: list[int] = []
    offered: list[int] = []
    took: dict[int, list[int]] | None = None
    closed: tuple[list[Any], list[Any]] | None = None
    number = 0
    for step in steps:
        if step == "offer":
            number += 1
            offered.append(number)
            if not arrivals.offer(item(number, lots[number - 1])):
                refused.append(number)
        elif step == "take" and closed is None:
            took = {lot_id: [i.user_id for i in group] for lot_id, group in arrivals.take().items()}
        elif step == "close" and closed is None:
            closed = arrivals.close()
    taken, left = closed if closed is not None else arrivals.close()
    let_in = [n for n in offered if n not in refused]

    assert sorted(numbers(taken) + numbers(left) + refused) == offered, "each in one place"
    assert numbers(taken) + numbers(left) == let_in, "in the order they arrived"
    assert not (taken and left), "taken whole, or given back whole"
    assert len(let_in) <= room
    if took is None:
        assert not taken, "nothing is taken unless the bid thread took it"
    else:
        assert took == {
            lot_id: [n for n in numbers(taken) if lots[n - 1] == lot_id]
            for lot_id in {lots[n - 1] for n in numbers(taken)}
        }, "the bid thread got what the loop adds to the batch, by lot, in order"
        took_at = steps.index("take")
        offers_before = steps[:took_at].count("offer")
        assert all(n <= offers_before for n in let_in), "nothing is let in after the take"
    assert arrivals.offer(item(number + 1)) is False, "a closed batch lets nothing in"


def test_a_bid_thread_taking_while_the_loop_offers_splits_the_arrivals_at_one_point():
    """The take is one moment: everything offered before it is in the batch, everything after
    it is refused (and queued), whatever the two threads' timing."""
    for _ in range(50):
        arrivals = Arrivals(10_000)
        started = threading.Event()
        taken: list[dict[int, list[Instruction]]] = []

        def bid_thread(arrivals: Arrivals, started: threading.Event, taken: list[Any]) -> None:
            started.wait()
            taken.append(arrivals.take())

        thread = threading.Thread(target=bid_thread, args=(arrivals, started, taken))
        thread.start()
        accepted: list[bool] = []
        for number in range(1, 2_001):
            if number == 50:
                started.set()
            accepted.append(arrivals.offer(item(number)))
        thread.join()
        joined, left = arrivals.close()

        cut = accepted.index(False) if False in accepted else len(accepted)
        assert all(accepted[:cut]), "one cut"
        assert not any(accepted[cut:]), "never a gap"
        assert numbers(joined) == list(range(1, cut + 1))
        assert [i.user_id for i in taken[0].get(1, [])] == numbers(joined)
        assert left == []
