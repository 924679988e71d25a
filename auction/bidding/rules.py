"""The bidding rules as pure functions of a lot's state: no database, no clock, no I/O.

`auction.bidding.decide` locks the lot, builds a `LotState` from it, asks
these rules, and writes back what they decided. They also yield what the
frames and notices only format: each accepted bid's next minimum
(`Accepted.next_minimum_minor`) and who lost the lead (`lost_the_lead`).
Everything here is deterministic, so it is tested exhaustively with
Hypothesis (tests/auction/bidding/test_rules.py). Nothing here imports Django.

Rules
-----
* The first bid is at least the opening price; each later one at least the
  current price plus the increment of its price band.
* A manual bid from the current leader is refused (they would bid against
  themselves; an automatic maximum serves that wish).
* Automatic bids are robots that bid like people, strictly above the current
  price: after every accepted bid the best two "ceilings" (the leader's own
  maximum or current price, and every other registration's maximum above the
  price) are compared. The higher ceiling wins at one increment above the
  lower, capped at its own maximum; between equal ceilings the earlier one
  wins. The runner-up's ceiling is recorded as its last automatic bid when it
  lies strictly between the old price and the new one, so the record shows
  what the price was fought up to. A manual bid equal to someone's maximum
  takes the lead: a robot can only bid above the price.
* Budgets: a robot whose lot is in the bidder's budget bids up to the lower of its
  maximum and the room the budget leaves (`AutoBid.ceiling`); a manual bid is the
  bidder's own choice and is never limited by it.
* Soft close: an accepted bid that arrives within the window before the end
  moves the end to `extension` after its arrival (never earlier than it was),
  up to `extension_cap` beyond the original end when a cap is set.
* A bid is decided against the end read under the lot's lock, using the
  moment the server received it; one that arrived at or before the end counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Refusal(StrEnum):
    """Why a bid was refused. Each value is a documented error code with a translated message."""

    LOT_NOT_OPEN = "lot_not_open"
    LOT_CLOSED = "lot_closed"
    BELOW_MINIMUM = "below_minimum"
    ALREADY_LEADING = "already_leading"
    NOT_REGISTERED = "not_registered"
    DEPOSIT_NOT_HELD = "deposit_not_held"
    EXCLUDED_PARTY = "excluded_party"
    POWER_OF_ATTORNEY_INVALID = "power_of_attorney_invalid"
    RATE_LIMITED = "rate_limited"  # refused before the lot is read (the consumer's bid limit)
    DUPLICATE = "duplicate"
    INVALID_AMOUNT = "invalid_amount"
    MAXIMUM_TOO_LOW = "maximum_too_low"


class Source(StrEnum):
    MANUAL = "MANUAL"
    AUTOMATIC = "AUTOMATIC"


@dataclass(frozen=True, slots=True)
class IncrementBand:
    """From `from_minor` (inclusive) upwards the increment is `increment_minor`."""

    from_minor: int
    increment_minor: int


@dataclass(frozen=True, slots=True)
class AutoBid:
    registration_id: int
    maximum_minor: int
    order: int  # arrival order of the instruction that set it: lower is earlier


@dataclass(frozen=True, slots=True)
class SoftClose:
    window: timedelta
    extension: timedelta
    cap: timedelta | None = None  # total extension allowed beyond the original end


@dataclass(frozen=True, slots=True)
class LotState:
    is_open: bool
    opening_minor: int
    increments: tuple[IncrementBand, ...]
    ends_at: datetime
    original_ends_at: datetime
    soft_close: SoftClose
    price_minor: int | None = None
    leader_id: int | None = None
    leader_order: int = 0  # when the leader's ceiling was set (their bid or their maximum)
    seq: int = 0
    bid_count: int = 0
    auto_bids: tuple[AutoBid, ...] = ()
    # Per registration whose lot is in the bidder's budget: the most its robot may commit on
    # this lot (the cap less what the bidder leads or won on the budget's other lots,
    # `auction.bidding.budget.room`). Registrations not named here have no budget.
    budgets: tuple[tuple[int, int], ...] = ()

    def auto_of(self, registration_id: int) -> AutoBid | None:
        return next((a for a in self.auto_bids if a.registration_id == registration_id), None)

    def ceiling(self, auto: AutoBid) -> int:
        """How high a robot bids: its maximum, or less when its budget leaves less room."""
        for registration_id, room in self.budgets:
            if registration_id == auto.registration_id:
                return min(auto.maximum_minor, room)
        return auto.maximum_minor


@dataclass(frozen=True, slots=True)
class ManualBid:
    registration_id: int
    amount_minor: int
    received_at: datetime
    order: int


@dataclass(frozen=True, slots=True)
class SetAutoBid:
    """Set, raise or lower (never below the price) a registration's maximum; None cancels it."""

    registration_id: int
    maximum_minor: int | None
    received_at: datetime
    order: int


@dataclass(frozen=True, slots=True)
class Accepted:
    """One bid written to the record: the manual one or an automatic reply, and the lowest
    manual bid it leaves open to the others."""

    seq: int
    registration_id: int
    amount_minor: int
    source: Source
    next_minimum_minor: int


@dataclass(frozen=True, slots=True)
class Decision:
    """What one instruction did: the bids it wrote (in order) or why it was refused."""

    bids: tuple[Accepted, ...] = ()
    refusal: Refusal | None = None
    params: dict[str, int] = field(default_factory=dict)
    extended_to: datetime | None = None

    @property
    def is_refused(self) -> bool:
        return self.refusal is not None


# The increment table of an auction whose rules name none (a published auction always has
# one: its court's, or the platform's default, in its rules' snapshot).
DEFAULT_INCREMENTS = (IncrementBand(0, 1),)

# A lot closes this long after its end, so that bids that arrived in time but are still
# queued for the lot's lock are decided first.
CLOSE_GRACE = timedelta(milliseconds=500)


def increments_from(rules: Mapping[str, Any] | None) -> tuple[IncrementBand, ...]:
    """The increment table of an auction's rules (`rules["increments"]`), validated."""
    bands = (rules or {}).get("increments")
    if not bands:
        return DEFAULT_INCREMENTS
    return validate_increments(
        IncrementBand(int(b["from_minor"]), int(b["increment_minor"])) for b in bands
    )


def _increment(increments: Sequence[IncrementBand], price_minor: int) -> int:
    increment = increments[0].increment_minor
    for band in increments:
        if price_minor >= band.from_minor:
            increment = band.increment_minor
    return increment


def increment_for(state: LotState, price_minor: int) -> int:
    """The increment of the price band that `price_minor` falls in."""
    return _increment(state.increments, price_minor)


def minimum_after(
    increments: Sequence[IncrementBand], opening_minor: int, price_minor: int | None
) -> int:
    """The lowest amount a manual bid may have at `price_minor` (None: no bid yet)."""
    if price_minor is None:
        return opening_minor
    return price_minor + _increment(increments, price_minor)


def next_minimum(state: LotState) -> int:
    """The lowest amount a manual bid may have now."""
    return minimum_after(state.increments, state.opening_minor, state.price_minor)


def is_within_time(state: LotState, received_at: datetime) -> bool:
    return state.is_open and received_at <= state.ends_at


def extended_end(state: LotState, received_at: datetime) -> datetime | None:
    """The new end if a bid received at `received_at` triggers the soft close, else None."""
    rule = state.soft_close
    if received_at < state.ends_at - rule.window:
        return None
    proposed = received_at + rule.extension
    if rule.cap is not None:
        proposed = min(proposed, state.original_ends_at + rule.cap)
    return proposed if proposed > state.ends_at else None


def _ceiling(state: LotState, registration_id: int) -> tuple[int, int]:
    """The leader's ceiling and its time: their maximum if above the price, else the price."""
    assert state.price_minor is not None
    auto = state.auto_of(registration_id)
    if auto is not None and state.ceiling(auto) > state.price_minor:
        return state.ceiling(auto), auto.order
    return state.price_minor, state.leader_order


def _record(
    state: LotState,
    out: list[Accepted],
    registration_id: int,
    amount: int,
    source: Source,
    order: int,
) -> LotState:
    assert state.price_minor is None or amount > state.price_minor, "price must rise"
    seq = state.seq + 1
    following = amount + _increment(state.increments, amount)
    out.append(Accepted(seq, registration_id, amount, source, following))
    return replace(
        state,
        price_minor=amount,
        leader_id=registration_id,
        leader_order=order,
        seq=seq,
        bid_count=state.bid_count + 1,
    )


def resolve_automatic(state: LotState, out: list[Accepted]) -> LotState:
    """Let the automatic maxima compete after a change; returns the settled state."""
    if state.price_minor is None:
        opening = [a for a in state.auto_bids if state.ceiling(a) >= state.opening_minor]
        if not opening:
            return state
        first = min(opening, key=lambda a: (-state.ceiling(a), a.order))
        state = _record(
            state, out, first.registration_id, state.opening_minor, Source.AUTOMATIC, first.order
        )
    assert state.price_minor is not None
    assert state.leader_id is not None
    price = state.price_minor
    leader_ceiling, leader_order = _ceiling(state, state.leader_id)
    contenders = [(leader_ceiling, leader_order, state.leader_id)] + [
        (state.ceiling(a), a.order, a.registration_id)
        for a in state.auto_bids
        if a.registration_id != state.leader_id and state.ceiling(a) > price
    ]
    if len(contenders) == 1:
        return state
    contenders.sort(key=lambda c: (-c[0], c[1]))
    (win_ceiling, win_order, winner), (run_ceiling, run_order, runner) = contenders[:2]
    if win_ceiling > run_ceiling:
        final = min(win_ceiling, run_ceiling + increment_for(state, run_ceiling))
    else:
        final = win_ceiling
    if price < run_ceiling < final:
        state = _record(state, out, runner, run_ceiling, Source.AUTOMATIC, run_order)
    if final > (state.price_minor or 0) or state.leader_id != winner:
        state = _record(state, out, winner, final, Source.AUTOMATIC, win_order)
    return state


def _extend(state: LotState, received_at: datetime) -> tuple[LotState, datetime | None]:
    new_end = extended_end(state, received_at)
    if new_end is None:
        return state, None
    return replace(state, ends_at=new_end), new_end


def place_manual(state: LotState, bid: ManualBid) -> tuple[LotState, Decision]:
    """Decide one manual bid. Refusals leave the state untouched."""
    if not state.is_open:
        return state, Decision(refusal=Refusal.LOT_NOT_OPEN)
    if bid.received_at > state.ends_at:
        return state, Decision(refusal=Refusal.LOT_CLOSED)
    if bid.amount_minor <= 0:
        return state, Decision(refusal=Refusal.INVALID_AMOUNT)
    if state.leader_id == bid.registration_id:
        return state, Decision(refusal=Refusal.ALREADY_LEADING)
    minimum = next_minimum(state)
    if bid.amount_minor < minimum:
        return state, Decision(refusal=Refusal.BELOW_MINIMUM, params={"minimum": minimum})
    out: list[Accepted] = []
    new = _record(state, out, bid.registration_id, bid.amount_minor, Source.MANUAL, bid.order)
    new = resolve_automatic(new, out)
    new, extended = _extend(new, bid.received_at)
    return new, Decision(bids=tuple(out), extended_to=extended)


def set_automatic(state: LotState, instruction: SetAutoBid) -> tuple[LotState, Decision]:
    """Set, change or cancel a maximum; the robots may bid at once."""
    if not state.is_open:
        return state, Decision(refusal=Refusal.LOT_NOT_OPEN)
    if instruction.received_at > state.ends_at:
        return state, Decision(refusal=Refusal.LOT_CLOSED)
    others = tuple(a for a in state.auto_bids if a.registration_id != instruction.registration_id)
    if instruction.maximum_minor is None:
        return replace(state, auto_bids=others), Decision()
    is_leader = state.leader_id == instruction.registration_id
    floor = (state.price_minor or 0) + 1 if is_leader else next_minimum(state)
    if instruction.maximum_minor < floor:
        return state, Decision(refusal=Refusal.MAXIMUM_TOO_LOW, params={"minimum": floor})
    previous = state.auto_of(instruction.registration_id)
    # Raising keeps the original place in line only for the part already held; a new or
    # raised maximum counts from now, so an earlier equal maximum keeps its priority.
    order = (
        previous.order
        if previous is not None and previous.maximum_minor == instruction.maximum_minor
        else instruction.order
    )
    auto = AutoBid(instruction.registration_id, instruction.maximum_minor, order)
    new = replace(state, auto_bids=(*others, auto))
    out: list[Accepted] = []
    new = resolve_automatic(new, out)
    extended = None
    if out:
        new, extended = _extend(new, instruction.received_at)
    return new, Decision(bids=tuple(out), extended_to=extended)


Instruction = ManualBid | SetAutoBid


def decide(state: LotState, instruction: Instruction) -> tuple[LotState, Decision]:
    if isinstance(instruction, ManualBid):
        return place_manual(state, instruction)
    return set_automatic(state, instruction)


def decide_batch(
    state: LotState, instructions: Sequence[Instruction]
) -> tuple[LotState, list[Decision]]:
    """Decide queued instructions in arrival order under one lock (one commit for all)."""
    decisions: list[Decision] = []
    for instruction in instructions:
        state, decision = decide(state, instruction)
        decisions.append(decision)
    return state, decisions


class Outcome(StrEnum):
    SOLD = "SOLD"
    UNSOLD_NO_BIDS = "UNSOLD_NO_BIDS"
    UNSOLD_RESERVE_NOT_MET = "UNSOLD_RESERVE_NOT_MET"


def close_result(state: LotState, reserve_minor: int | None) -> Outcome:
    """Sold when there is a bid that reaches the (hidden) reserve; unsold otherwise."""
    if state.price_minor is None or state.leader_id is None:
        return Outcome.UNSOLD_NO_BIDS
    if reserve_minor is not None and state.price_minor < reserve_minor:
        return Outcome.UNSOLD_RESERVE_NOT_MET
    return Outcome.SOLD


def is_due_to_close(state: LotState, now: datetime) -> bool:
    return state.is_open and now > state.ends_at


def lost_the_lead(previous_leader: int | None, leaders: Sequence[int]) -> list[int]:
    """Registrations that led at some point of one decision and do not lead at its end.

    `leaders` is the registration that led after each new bid, in order. One rule for the
    page's `outbid` frame and the outbid notice (toast and e-mail), so neither claims an
    outbid that the same decision undid.
    """
    lost, holder = [], previous_leader
    for leader in leaders:
        if holder is not None and leader != holder:
            lost.append(holder)
        holder = leader
    return [r for r in dict.fromkeys(lost) if r != holder]


def validate_increments(bands: Iterable[IncrementBand]) -> tuple[IncrementBand, ...]:
    """Bands sorted by threshold, the first from 0, every increment positive."""
    ordered = tuple(sorted(bands, key=lambda b: b.from_minor))
    if not ordered or ordered[0].from_minor != 0:
        raise ValueError("the increment table must have a band starting at 0")
    if any(b.increment_minor <= 0 for b in ordered):
        raise ValueError("increments must be positive")
    if len({b.from_minor for b in ordered}) != len(ordered):
        raise ValueError("two bands start at the same price")
    return ordered
