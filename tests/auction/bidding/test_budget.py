"""Budgets across lots in the pure engine: examples, then Hypothesis over random bidding."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from auction.bidding import budget, rules
from auction.bidding.rules import IncrementBand, LotState, ManualBid, SetAutoBid, SoftClose, Source

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
BANDS = (IncrementBand(0, 50), IncrementBand(1_000, 100))
BUDGETED = 1  # the registration id of the capped bidder on every lot


def lot(**changes) -> LotState:
    base = LotState(
        is_open=True,
        opening_minor=500,
        increments=BANDS,
        ends_at=END,
        original_ends_at=END,
        soft_close=SoftClose(window=timedelta(minutes=3), extension=timedelta(minutes=3)),
    )
    return replace(base, **changes)


def test_the_room_is_the_cap_less_what_the_other_lots_commit():
    commitments = {10: 3_000, 11: 2_000}

    assert budget.room(10_000, commitments, 10) == 8_000
    assert budget.room(10_000, commitments, 12) == 5_000
    assert budget.room(4_000, commitments, 12) == 0
    assert budget.remaining(10_000, commitments) == 5_000
    assert budget.after_decision(commitments, 10, leads=False, price_minor=3_500) == {11: 2_000}
    assert budget.after_decision(commitments, 12, leads=True, price_minor=700) == {
        10: 3_000,
        11: 2_000,
        12: 700,
    }


def test_a_robot_stops_at_its_budget_room_below_its_maximum():
    state = lot(
        auto_bids=(rules.AutoBid(BUDGETED, 5_000, 1),),
        budgets=((BUDGETED, 1_200),),
    )

    state, decision = rules.place_manual(state, ManualBid(2, 1_200, START, 2))

    assert [(b.registration_id, b.amount_minor) for b in decision.bids] == [(2, 1_200)]
    assert state.leader_id == 2
    state, decision = rules.place_manual(state, ManualBid(3, 600, START, 3))
    assert decision.refusal == rules.Refusal.BELOW_MINIMUM  # nothing changed in between


def test_a_robot_outbids_up_to_the_room_and_the_budget_does_not_limit_a_manual_bid():
    state = lot(
        auto_bids=(rules.AutoBid(BUDGETED, 5_000, 1),),
        budgets=((BUDGETED, 1_000),),
    )

    state, decision = rules.place_manual(state, ManualBid(2, 800, START, 2))
    assert [(b.registration_id, b.amount_minor) for b in decision.bids] == [
        (2, 800),
        (BUDGETED, 850),
    ]
    state, decision = rules.place_manual(state, ManualBid(2, 1_000, START, 3))
    assert state.leader_id == 2  # the robot's room is 1,000: a tie keeps the manual bid
    state, decision = rules.place_manual(state, ManualBid(BUDGETED, 3_000, START, 4))
    assert decision.bids[0].amount_minor == 3_000
    assert state.leader_id == BUDGETED


def test_a_new_robot_set_in_the_same_batch_is_limited_too():
    state = lot(price_minor=600, leader_id=2, seq=1, bid_count=1, budgets=((BUDGETED, 700),))

    state, decision = rules.set_automatic(state, SetAutoBid(BUDGETED, 9_000, START, 5))

    assert [(b.registration_id, b.amount_minor) for b in decision.bids] == [(BUDGETED, 650)]
    state, decision = rules.place_manual(state, ManualBid(2, 700, START, 6))
    assert state.leader_id == 2
    assert not [b for b in decision.bids if b.registration_id == 1]


step = st.tuples(
    st.integers(min_value=0, max_value=3),  # the lot
    st.integers(min_value=2, max_value=4),  # another bidder
    st.integers(min_value=0, max_value=40),  # how many increments above the minimum
)


@settings(max_examples=400, deadline=None)
@given(
    cap=st.integers(min_value=500, max_value=20_000),
    maxima=st.lists(st.integers(min_value=500, max_value=15_000), min_size=4, max_size=4),
    steps=st.lists(step, min_size=1, max_size=60),
    raise_at=st.integers(min_value=0, max_value=60),
)
def test_automatic_bids_never_commit_the_bidder_beyond_the_cap_across_lots(
    cap, maxima, steps, raise_at
):
    """Four lots share one budget; the other bidders bid by hand on random lots in random
    order, each lot decided with the room its other lots leave (as `decide` reads it under
    the budget's lock). After every decision the capped bidder leads for at most the cap, and
    no automatic bid of theirs ever went beyond the room it was decided with."""
    lots = {
        index: lot(auto_bids=(rules.AutoBid(BUDGETED, maxima[index], 0),)) for index in range(4)
    }
    commitments: dict[int, int] = {}
    order = 1
    for position, (index, bidder, increments) in enumerate(steps):
        state = lots[index]
        room = budget.room(cap, commitments, index)
        state = replace(state, budgets=((BUDGETED, room),))
        if position == raise_at:  # the bidder raises a maximum mid-way: still capped
            state, _decision = rules.set_automatic(
                state, SetAutoBid(BUDGETED, maxima[index] * 2, START, order)
            )
            order += 1
        amount = rules.next_minimum(state) + increments * 50
        state, decision = rules.place_manual(state, ManualBid(bidder, amount, START, order))
        order += 1
        for accepted in decision.bids:
            if accepted.registration_id == BUDGETED:
                assert accepted.source == Source.AUTOMATIC
                assert accepted.amount_minor <= room
        lots[index] = state
        commitments = budget.after_decision(
            commitments, index, leads=state.leader_id == BUDGETED, price_minor=state.price_minor
        )
        assert budget.committed(commitments) <= cap
        assert budget.remaining(cap, commitments) == cap - budget.committed(commitments)


@settings(max_examples=300, deadline=None)
@given(
    maximum=st.integers(min_value=500, max_value=10_000),
    room=st.integers(min_value=0, max_value=10_000),
    bids=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=30),
)
def test_without_a_budget_a_room_as_large_as_the_maximum_changes_nothing(maximum, room, bids):
    """A room at or above the maximum decides exactly as no budget does (the cap only ever
    lowers a robot's ceiling)."""
    plain = lot(auto_bids=(rules.AutoBid(BUDGETED, maximum, 0),))
    capped = replace(plain, budgets=((BUDGETED, maximum + room),))
    for order, increments in enumerate(bids, start=1):
        bid = ManualBid(2 + order % 2, rules.next_minimum(plain) + increments * 50, START, order)
        plain, first = rules.place_manual(plain, bid)
        capped, second = rules.place_manual(capped, bid)
        assert first.bids == second.bids
        assert first.refusal == second.refusal
