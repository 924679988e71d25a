"""The bidding rules, exhaustively: examples for each rule, Hypothesis over random sequences."""

from __future__ import annotations

import ast
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auction.bidding import rules
from auction.bidding.rules import (
    IncrementBand,
    LotState,
    ManualBid,
    Outcome,
    Refusal,
    SetAutoBid,
    SoftClose,
    Source,
)

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
BANDS = (IncrementBand(0, 50), IncrementBand(1_000, 100), IncrementBand(10_000, 500))


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


def manual(registration: int, amount: int, order: int, at: datetime = START) -> ManualBid:
    return ManualBid(registration, amount, at, order)


def auto(registration: int, maximum: int | None, order: int, at: datetime = START) -> SetAutoBid:
    return SetAutoBid(registration, maximum, at, order)


def amounts(decision) -> list[tuple[int, int, str]]:
    return [(b.registration_id, b.amount_minor, b.source.value) for b in decision.bids]


def test_the_first_bid_is_at_least_the_opening_price():
    state, refused = rules.place_manual(lot(), manual(1, 499, 1))
    state, accepted = rules.place_manual(state, manual(1, 500, 2))

    assert refused.refusal == Refusal.BELOW_MINIMUM
    assert refused.params == {"minimum": 500}
    assert amounts(accepted) == [(1, 500, "MANUAL")]
    assert state.price_minor == 500
    assert state.seq == 1


def test_later_bids_need_the_increment_of_the_price_band():
    state = lot(price_minor=900, leader_id=1, seq=3, bid_count=3)
    assert rules.next_minimum(state) == 950
    state = replace(state, price_minor=1_000)
    assert rules.next_minimum(state) == 1_100
    state = replace(state, price_minor=12_000)
    assert rules.next_minimum(state) == 12_500


def test_the_leader_cannot_bid_against_themselves():
    state = lot(price_minor=900, leader_id=1, seq=1, bid_count=1)

    after, decision = rules.place_manual(state, manual(1, 1_500, 2))

    assert decision.refusal == Refusal.ALREADY_LEADING
    assert after == state


def test_a_bid_after_the_end_is_refused_and_one_exactly_at_the_end_counts():
    state = lot()

    late_state, late = rules.place_manual(
        state, manual(1, 500, 1, at=END + timedelta(microseconds=1))
    )
    _, on_time = rules.place_manual(state, manual(1, 500, 1, at=END))

    assert late.refusal == Refusal.LOT_CLOSED
    assert late_state == state
    assert not on_time.is_refused


def test_an_automatic_bid_answers_with_the_least_amount_that_keeps_it_leading():
    state, _ = rules.set_automatic(lot(), auto(2, 2_000, 1))
    assert state.price_minor == 500
    assert state.leader_id == 2

    state, decision = rules.place_manual(state, manual(1, 700, 2))

    assert amounts(decision) == [(1, 700, "MANUAL"), (2, 750, "AUTOMATIC")]
    assert (state.leader_id, state.price_minor) == (2, 750)


def test_between_two_maxima_the_higher_wins_one_increment_above_the_lower():
    state, _ = rules.set_automatic(lot(), auto(1, 800, 1))

    state, decision = rules.set_automatic(state, auto(2, 2_000, 2))

    assert amounts(decision) == [(1, 800, "AUTOMATIC"), (2, 850, "AUTOMATIC")]
    assert (state.leader_id, state.price_minor) == (2, 850)


def test_the_winning_maximum_is_capped_at_its_own_value():
    state, _ = rules.set_automatic(lot(), auto(1, 800, 1))

    state, decision = rules.set_automatic(state, auto(2, 820, 2))

    assert amounts(decision) == [(1, 800, "AUTOMATIC"), (2, 820, "AUTOMATIC")]


def test_the_earlier_of_two_equal_maxima_wins():
    state, _ = rules.set_automatic(lot(), auto(1, 900, 1))

    state, decision = rules.set_automatic(state, auto(2, 900, 2))

    assert amounts(decision) == [(1, 900, "AUTOMATIC")]
    assert (state.leader_id, state.price_minor) == (1, 900)


def test_a_manual_bid_equal_to_a_maximum_takes_the_lead():
    state, _ = rules.set_automatic(lot(), auto(2, 900, 1))

    state, decision = rules.place_manual(state, manual(1, 900, 2))

    assert amounts(decision) == [(1, 900, "MANUAL")]
    assert state.leader_id == 1


def test_a_maximum_below_the_next_minimum_is_refused():
    state = lot(price_minor=900, leader_id=1, seq=1, bid_count=1)

    after, decision = rules.set_automatic(state, auto(2, 920, 2))

    assert decision.refusal == Refusal.MAXIMUM_TOO_LOW
    assert decision.params == {"minimum": 950}
    assert after == state


def test_cancelling_a_maximum_keeps_the_bids_already_made():
    state, _ = rules.set_automatic(lot(), auto(1, 900, 1))

    state, decision = rules.set_automatic(state, auto(1, None, 2))

    assert not decision.bids
    assert state.auto_bids == ()
    assert (state.leader_id, state.price_minor) == (1, 500)


def test_a_bid_in_the_soft_close_window_moves_the_end():
    state = lot()
    at = END - timedelta(minutes=1)

    state, decision = rules.place_manual(state, manual(1, 500, 1, at=at))

    assert decision.extended_to == at + timedelta(minutes=3)
    assert state.ends_at == at + timedelta(minutes=3)


def test_a_bid_before_the_window_does_not_move_the_end():
    state, decision = rules.place_manual(lot(), manual(1, 500, 1, at=END - timedelta(minutes=4)))

    assert decision.extended_to is None
    assert state.ends_at == END


def test_the_extension_stops_at_the_cap():
    rule = SoftClose(timedelta(minutes=3), timedelta(minutes=3), cap=timedelta(minutes=5))
    state = lot(soft_close=rule, ends_at=END + timedelta(minutes=4))

    state, decision = rules.place_manual(state, manual(1, 500, 1, at=END + timedelta(minutes=3)))

    assert state.ends_at == END + timedelta(minutes=5)
    assert decision.extended_to == END + timedelta(minutes=5)


def test_close_result_follows_the_reserve():
    sold = lot(price_minor=2_000, leader_id=1, seq=4, bid_count=4)

    assert rules.close_result(sold, reserve_minor=None) == Outcome.SOLD
    assert rules.close_result(sold, reserve_minor=2_000) == Outcome.SOLD
    assert rules.close_result(sold, reserve_minor=2_001) == Outcome.UNSOLD_RESERVE_NOT_MET
    assert rules.close_result(lot(), reserve_minor=None) == Outcome.UNSOLD_NO_BIDS


def test_a_closed_lot_refuses_everything():
    state = lot(is_open=False)

    assert rules.place_manual(state, manual(1, 500, 1))[1].refusal == Refusal.LOT_NOT_OPEN
    assert rules.set_automatic(state, auto(1, 900, 1))[1].refusal == Refusal.LOT_NOT_OPEN


@pytest.mark.parametrize(
    "bands",
    [
        (),
        (IncrementBand(10, 5),),
        (IncrementBand(0, 0),),
        (IncrementBand(0, 5), IncrementBand(0, 6)),
    ],
)
def test_bad_increment_tables_are_refused(bands):
    with pytest.raises(ValueError, match=r"increment|band"):
        rules.validate_increments(bands)


# --- Hypothesis: random sequences of manual and automatic instructions ---------------------

REGISTRATIONS = st.integers(min_value=1, max_value=5)


@st.composite
def instructions(draw):
    count = draw(st.integers(min_value=1, max_value=40))
    items = []
    clock = START
    for order in range(1, count + 1):
        clock += timedelta(seconds=draw(st.integers(min_value=0, max_value=600)))
        registration = draw(REGISTRATIONS)
        if draw(st.booleans()):
            amount = draw(st.integers(min_value=-10, max_value=20_000))
            items.append(ManualBid(registration, amount, clock, order))
        else:
            maximum = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=20_000)))
            items.append(SetAutoBid(registration, maximum, clock, order))
    return items


CAPS = st.one_of(
    st.none(), st.integers(min_value=0, max_value=30).map(lambda m: timedelta(minutes=m))
)


@settings(max_examples=400, deadline=None)
@given(instructions(), CAPS)
def test_invariants_hold_over_any_sequence_of_instructions(items, cap):
    state = lot(soft_close=SoftClose(timedelta(minutes=3), timedelta(minutes=3), cap=cap))
    all_bids = []
    for instruction in items:
        before = state
        minimum = rules.next_minimum(state)
        state, decision = rules.decide(state, instruction)

        if decision.is_refused:
            assert state == before, "a refusal changes nothing"
            assert not decision.bids
            continue
        for bid in decision.bids:
            all_bids.append(bid)
            if bid.source == Source.AUTOMATIC:
                maximum = state.auto_of(bid.registration_id)
                assert maximum is not None
                assert bid.amount_minor <= maximum.maximum_minor
        if isinstance(instruction, ManualBid):
            assert decision.bids[0].amount_minor == instruction.amount_minor >= minimum
            assert decision.bids[0].source == Source.MANUAL
        # Soft close: the end never goes back, moves only for a bid inside the window, and
        # never beyond the cap.
        assert state.ends_at >= before.ends_at
        if state.ends_at != before.ends_at:
            assert decision.bids
            assert instruction.received_at >= before.ends_at - timedelta(minutes=3)
            assert state.ends_at <= instruction.received_at + timedelta(minutes=3)
        if cap is not None:
            assert state.ends_at <= END + cap
        # Nobody else's maximum is above the price: the leader holds the highest ceiling.
        if state.price_minor is not None:
            for other in state.auto_bids:
                if other.registration_id != state.leader_id:
                    assert other.maximum_minor <= state.price_minor

    amounts_seen = [b.amount_minor for b in all_bids]
    assert amounts_seen == sorted(set(amounts_seen)), "amounts strictly increase"
    assert [b.seq for b in all_bids] == list(range(1, len(all_bids) + 1)), "gap-free sequence"
    assert state.bid_count == len(all_bids)
    if all_bids:
        assert state.price_minor == all_bids[-1].amount_minor
        assert state.leader_id == all_bids[-1].registration_id


@settings(max_examples=200, deadline=None)
@given(instructions())
def test_a_batch_decides_exactly_as_one_instruction_at_a_time(items):
    one_by_one = lot()
    expected = []
    for instruction in items:
        one_by_one, decision = rules.decide(one_by_one, instruction)
        expected.append(decision)

    batched, decisions = rules.decide_batch(lot(), items)

    assert batched == one_by_one
    assert decisions == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(REGISTRATIONS, st.integers(min_value=500, max_value=20_000)),
        min_size=1,
        max_size=5,
        unique_by=lambda t: t[0],
    )
)
def test_with_only_maxima_the_highest_wins_at_one_increment_above_the_second(maxima):
    state = lot()
    standing = []
    for order, (registration, maximum) in enumerate(maxima, start=1):
        minimum = rules.next_minimum(state)
        state, decision = rules.set_automatic(state, auto(registration, maximum, order))
        if decision.is_refused:
            assert maximum < minimum
        else:
            standing.append((maximum, order, registration))

    ranked = sorted(standing, key=lambda x: (-x[0], x[1]))
    winner_max, _, winner = ranked[0]
    assert state.leader_id == winner
    if len(ranked) == 1:
        assert state.price_minor == 500
    else:
        second = ranked[1][0]
        expected = (
            winner_max
            if second == winner_max
            else min(winner_max, second + rules.increment_for(state, second))
        )
        assert state.price_minor == expected


def test_the_rules_import_nothing_but_the_standard_library():
    """Pure: no Django, no database, nothing of ours; the frames and notices only format what
    they yield."""
    tree = ast.parse(Path(rules.__file__).read_text())
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }

    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


@settings(max_examples=200, deadline=None)
@given(instructions())
def test_each_accepted_bid_carries_the_next_minimum_it_leaves(items):
    """The `bid_accepted` frame only formats `next_minimum_minor`: it is the minimum the state
    after the decision asks of the next manual bid, for the last bid of each decision."""
    state = lot()
    for instruction in items:
        state, decision = rules.decide(state, instruction)
        for bid in decision.bids:
            assert bid.next_minimum_minor == bid.amount_minor + rules.increment_for(
                state, bid.amount_minor
            )
        if decision.bids:
            assert decision.bids[-1].next_minimum_minor == rules.next_minimum(state)


def test_an_auction_without_an_increment_table_takes_the_default_and_a_table_is_sorted():
    assert rules.increments_from(None) == rules.DEFAULT_INCREMENTS
    assert rules.increments_from({"increments": []}) == rules.DEFAULT_INCREMENTS
    table = {
        "increments": [
            {"from_minor": 1_000, "increment_minor": 100},
            {"from_minor": 0, "increment_minor": 50},
        ]
    }
    assert rules.increments_from(table) == (IncrementBand(0, 50), IncrementBand(1_000, 100))
    assert rules.minimum_after(rules.increments_from(table), 700, None) == 700
    assert rules.minimum_after(rules.increments_from(table), 700, 950) == 1_000
    assert rules.minimum_after(rules.increments_from(table), 700, 1_000) == 1_100
