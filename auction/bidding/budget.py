"""Budgets across lots as pure functions: no database, no clock, no I/O.

A bidder may cap what they spend across lots they chose ("at most X across
these lots"). What the bidder has committed on a lot of the budget is the
price they lead it at while it is open, or the price they won it at; a lot
they do not lead, or that closed unsold, commits nothing. An automatic bid on
one of the lots may raise the bidder's price there only as far as the room
the budget leaves: the cap less what is committed on the budget's other lots
(`room`). So at every moment

    sum of the commitments <= cap

holds for whatever the robots bid (`rules.LotState.ceiling` applies the room).
A manual bid is the bidder's own decision and is not limited: it may take the
commitments beyond the cap, after which the robots of the budget bid no more
until the room comes back (the bidder is outbid somewhere, or a lot closes
unsold). `auction.bidding.decide` reads the commitments under the budget's
lock, after the lots' locks, so two batches on two lots of one budget are
decided one after the other. Checked with Hypothesis in
tests/auction/bidding/test_budget.py.
"""

from __future__ import annotations

from collections.abc import Mapping


def committed(commitments: Mapping[int, int], *, except_lot: int | None = None) -> int:
    """What the bidder has committed on the budget's lots (leading or won), but `except_lot`."""
    return sum(amount for lot_id, amount in commitments.items() if lot_id != except_lot)


def room(cap_minor: int, commitments: Mapping[int, int], lot_id: int) -> int:
    """The most an automatic bid on `lot_id` may commit: the cap less the other lots' share."""
    return max(cap_minor - committed(commitments, except_lot=lot_id), 0)


def remaining(cap_minor: int, commitments: Mapping[int, int]) -> int:
    """What is left of the cap after every commitment (never below zero)."""
    return max(cap_minor - committed(commitments), 0)


def after_decision(
    commitments: Mapping[int, int], lot_id: int, leads: bool, price_minor: int | None
) -> dict[int, int]:
    """The commitments once a decision on `lot_id` left the bidder leading it (or not)."""
    updated = {k: v for k, v in commitments.items() if k != lot_id}
    if leads and price_minor is not None:
        updated[lot_id] = price_minor
    return updated
