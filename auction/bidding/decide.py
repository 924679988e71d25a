"""Deciding bids and automatic maxima: in arrival order under the lots' locks, one commit.

`decide` is the single path every bid takes (WebSocket through the batcher,
HTTP form, tests, benchmarks): in one transaction it locks the lots
(`auction.locks.lots`), reads the instructions' bidders and any earlier
answers to their retries (`store`), checks each bidder (registered, deposit
held, still allowed to bid: `auction.access.account_bar`), lets the rules
decide the instructions in arrival order, writes the accepted bids with
consecutive sequence numbers and the lots (`store.write`), and commits. It
returns each instruction's answer and the frames to publish, which the caller
publishes once it has returned, so nobody hears of a bid that is not durable.

Each instruction carries the moment the server received it (stamped on
arrival, before any wait for the lock). A bid that arrived at or before the
lot's end - re-read under the lock, so an extension is honoured - is decided
even if it waited in a queue.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from django.db import IntegrityError, transaction
from django.utils import timezone

from auction import access, events, locks, notifications
from auction.bidding import budget, frames, rules, store
from auction.bidding.rules import Refusal
from auction.errors import message_for
from auction.models import Bid, Lot, Notification, Registration
from core.models import AuditRecord

_arrivals = itertools.count()


@dataclass(frozen=True)
class Instruction:
    """A bid (`amount_minor`) or an automatic maximum (`maximum_minor`, None to cancel)."""

    user_id: int
    received_at: datetime
    kind: str = "bid"  # "bid" or "auto"
    amount_minor: int | None = None
    maximum_minor: int | None = None
    client_id: str | None = None
    keep_deposit_reserved: bool | None = None
    order: int = field(default_factory=lambda: next(_arrivals))


@dataclass(frozen=True)
class Answer:
    """What one instruction got: accepted bids (its own first) or a refusal."""

    accepted: bool
    seq: int | None = None
    amount_minor: int | None = None
    received_at: datetime | None = None
    paddle: int | None = None
    code: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    is_leading: bool = False
    duplicate: bool = False

    def message(self) -> str:
        """The refusal in the active language (render it where the user's language is on)."""
        return message_for(self.code, self.params) if self.code else ""


def order_key(received_at: datetime, order: int) -> int:
    """A global arrival order: microseconds since the epoch, then the local counter."""
    return int(received_at.timestamp() * 1_000_000) * 1000 + order % 1000


def refused(reason: Refusal, params: dict[str, object] | None = None) -> Answer:
    return Answer(accepted=False, code=reason.value, params=dict(params or {}))


def state_of(
    lot: Lot, autos: Sequence[Registration], rooms: tuple[tuple[int, int], ...] = ()
) -> rules.LotState:
    """The rules' view of a locked lot (with the room each budgeted registration has on it)."""
    sale = lot.auction.rules or {}
    cap = sale.get("soft_close_cap_seconds")
    return rules.LotState(
        is_open=lot.status == Lot.Status.OPEN,
        opening_minor=lot.opening_minor,
        increments=rules.increments_from(sale),
        ends_at=lot.ends_at,
        original_ends_at=lot.original_ends_at,
        soft_close=rules.SoftClose(
            window=timedelta(seconds=int(sale.get("soft_close_window_seconds", 180))),
            extension=timedelta(seconds=int(sale.get("soft_close_extension_seconds", 180))),
            cap=timedelta(seconds=int(cap)) if cap is not None else None,
        ),
        price_minor=lot.price_minor,
        leader_id=lot.leader_id,
        leader_order=lot.leader_order,
        seq=lot.seq,
        bid_count=lot.bid_count,
        auto_bids=tuple(
            rules.AutoBid(r.pk, int(r.auto_max_minor), r.auto_order)
            for r in autos
            if r.auto_max_minor is not None
        ),
        budgets=rooms,
    )


@dataclass
class Budgets:
    """The caps of the budgets a batch touches (locked) and their commitments, kept current as
    the batch decides its lots one after the other."""

    caps: dict[int, int] = field(default_factory=dict)
    commitments: dict[int, dict[int, int]] = field(default_factory=dict)

    def rooms(
        self, lot_id: int, registrations: Sequence[Registration]
    ) -> tuple[tuple[int, int], ...]:
        """The room each budgeted registration's robot has on `lot_id`."""
        return tuple(
            (r.pk, budget.room(self.caps[r.budget_id], self.commitments[r.budget_id], lot_id))
            for r in registrations
            if r.budget_id is not None and r.budget_id in self.caps
        )

    def decided(
        self, lot_id: int, registrations: Sequence[Registration], state: rules.LotState
    ) -> None:
        """Move the commitments on `lot_id` to whoever leads it now, at its price."""
        for registration in registrations:
            if registration.budget_id is not None and registration.budget_id in self.caps:
                self.commitments[registration.budget_id] = budget.after_decision(
                    self.commitments[registration.budget_id],
                    lot_id,
                    leads=registration.pk == state.leader_id,
                    price_minor=state.price_minor,
                )


def _budgets(registrations: Mapping[int, Mapping[int, Registration]]) -> Budgets | None:
    """Lock the budgets of the batch's registrations (after the lots) and read what each has
    committed; None, without a round trip, when no registration is in a budget."""
    ids = {
        r.budget_id
        for by_id in registrations.values()
        for r in by_id.values()
        if r.budget_id is not None
    }
    if not ids:
        return None
    caps = locks.budgets(ids)
    return Budgets(caps=caps, commitments=store.commitments(sorted(caps)))


def _money_params(lot: Lot, params: dict[str, int]) -> dict[str, object]:
    shown: dict[str, object] = {f"{name}_minor": value for name, value in params.items()}
    shown["currency"] = lot.currency
    return shown


def _lot_refusal(state: rules.LotState, instruction: Instruction) -> Refusal | None:
    """The lot's own state comes first: a closed lot is closed for everyone.

    The end is the current one, moved by any earlier bid of the same batch.
    """
    if not state.is_open:
        return Refusal.LOT_NOT_OPEN
    if instruction.received_at > state.ends_at:
        return Refusal.LOT_CLOSED
    return None


def next_minimum_of(lot: Lot) -> int:
    """The lowest amount a manual bid on `lot` may have now (the lot as last read)."""
    return rules.minimum_after(
        rules.increments_from(lot.auction.rules), lot.opening_minor, lot.price_minor
    )


def _eligibility(registration: Registration | None) -> Refusal | None:
    """Registered, an account that may bid (the rule registering applies), deposit held."""
    if registration is None:
        return Refusal.NOT_REGISTERED
    if registration.revoked_at is not None or access.account_bar(registration.bidder) is not None:
        return Refusal.EXCLUDED_PARTY
    if getattr(registration, "_mazad_without_mandate", False):
        return Refusal.POWER_OF_ATTORNEY_INVALID
    if registration.deposit_status != Registration.Deposit.HELD:
        return Refusal.DEPOSIT_NOT_HELD
    return None


class Late(Protocol):
    """Instructions that arrived for a batch's lots while it waited for their locks.

    `decide` takes them once, when it holds the locks; whoever made the batch hands them
    over (the batcher's `Arrivals`), so nothing reaches back into its queue.
    """

    def take(self) -> Mapping[int, Sequence[Instruction]]: ...


@dataclass
class _Writes:
    """What one transaction writes, gathered over its lots, written with one statement a table."""

    bids: list[Bid] = field(default_factory=list)
    lots: list[Lot] = field(default_factory=list)
    audits: list[AuditRecord] = field(default_factory=list)
    notices: list[Notification] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)


@transaction.atomic
def decide(
    groups: Mapping[int, Sequence[Instruction]], late: Late | None = None
) -> tuple[dict[int, list[Answer]], list[events.Frame]]:
    """Decide the instructions of one or several lots in one transaction and one commit.

    Each lot's instructions are decided in their order, against that lot
    alone: sharing the transaction only saves commits and round trips. The
    lots are locked in ascending id, so two batches never deadlock. Three
    reads, the decisions in memory, one write: the same round trips for any
    batch. Never raises for a refused instruction (each gets its own Answer);
    an unknown lot is left out of the answers; database errors are raised as
    they come. Publish the returned frames once this returns (it has
    committed).

    `late`, when given, is taken once the locks are held: its instructions are
    decided after their lot's own, in the same transaction, and answered after
    them. A hot lot's batch thus holds what queued during the wait rather than
    leaving it for a batch of its own.
    """
    lots = locks.lots(sorted(groups))
    if late is not None:
        arrived = late.take()
        groups = {lot_id: [*group, *arrived.get(lot_id, ())] for lot_id, group in groups.items()}
    registrations = _registrations(lots, groups)
    existing = _earlier_bids(registrations, groups)
    budgets = _budgets(registrations)
    writes = _Writes()
    answers: dict[int, list[Answer]] = {}
    told: list[events.Frame] = []
    for lot in lots:
        answers[lot.pk] = _decide_lot(
            lot, groups[lot.pk], registrations.get(lot.pk, {}), existing, writes, told, budgets
        )
    store.write(
        bids=writes.bids,
        lots=writes.lots,
        lot_fields=LOT_FIELDS,
        registrations=writes.registrations,
        audits=writes.audits,
        notices=writes.notices,
    )
    return answers, told


def _registrations(
    lots: list[Lot], groups: Mapping[int, Sequence[Instruction]]
) -> dict[int, dict[int, Registration]]:
    """Per lot and registration id: the instructions' bidders, every automatic maximum, and the
    current leader (who may lose the lead). One query for all the lots."""
    found: dict[int, dict[int, Registration]] = {}
    for registration in store.registrations(
        [lot.leader_id for lot in lots if lot.leader_id is not None],
        {lot.pk: {i.user_id for i in groups[lot.pk]} for lot in lots},
    ):
        found.setdefault(registration.lot_id, {})[registration.pk] = registration
    _mark_without_mandate([r for rs in found.values() for r in rs.values() if r.company_id])
    return found


def _mark_without_mandate(for_companies: list[Registration]) -> None:
    """Mark the company registrations whose representative's power of attorney is no longer
    approved and unexpired: they bid no more, automatic maxima included. One query, and
    none when no company bids."""
    if not for_companies:
        return
    valid = store.valid_mandates({(r.bidder_id, r.company_id) for r in for_companies})
    for registration in for_companies:
        if (registration.bidder_id, registration.company_id) not in valid:
            registration._mazad_without_mandate = True  # type: ignore[attr-defined]


def _earlier_bids(
    registrations: dict[int, dict[int, Registration]],
    groups: Mapping[int, Sequence[Instruction]],
) -> dict[tuple[int, str], Bid]:
    """Bids already recorded under these bids' client ids (retries), in one query."""
    keys: set[tuple[int, str]] = set()
    for lot_id, instructions in groups.items():
        by_bidder = {r.bidder_id: r.pk for r in registrations.get(lot_id, {}).values()}
        for instruction in instructions:
            registration_id = by_bidder.get(instruction.user_id)
            if registration_id is not None and instruction.client_id and instruction.kind == "bid":
                keys.add((registration_id, instruction.client_id))
    return {
        (bid.registration_id, bid.client_id): bid
        for bid in store.earlier_bids(sorted(keys))
        if bid.client_id
    }


def _decide_lot(
    lot: Lot,
    instructions: Sequence[Instruction],
    by_id: dict[int, Registration],
    existing: dict[tuple[int, str], Bid],
    writes: _Writes,
    told: list[events.Frame],
    budgets: Budgets | None = None,
) -> list[Answer]:
    """Decide one locked lot's instructions in order, gathering its writes and its frames.

    Over 50 lines: it is the decision loop and its bookkeeping, kept in one place to read.
    """
    registrations = {r.bidder_id: r for r in by_id.values()}
    autos = [
        r
        for r in by_id.values()
        if r.auto_max_minor is not None and not getattr(r, "_mazad_without_mandate", False)
    ]
    rooms = budgets.rooms(lot.pk, list(by_id.values())) if budgets is not None else ()
    state = state_of(lot, autos, rooms)
    answers: list[Answer] = []
    new_bids: list[Bid] = []
    previous_leader = lot.leader_id
    for instruction in instructions:
        registration = registrations.get(instruction.user_id)
        duplicate = _duplicate(registration, instruction, new_bids, existing)
        if duplicate is not None:
            answers.append(duplicate)
            continue
        problem = _lot_refusal(state, instruction) or _eligibility(registration)
        if problem is not None:
            answers.append(refused(problem))
            continue
        assert registration is not None
        state, decision = _apply(state, registration, instruction)
        if decision.is_refused:
            assert decision.refusal is not None
            answers.append(refused(decision.refusal, _money_params(lot, decision.params)))
            continue
        _remember_choices(registration, instruction, state)
        for accepted in decision.bids:
            bidder = by_id[accepted.registration_id]
            new_bids.append(
                Bid(
                    lot=lot,
                    registration=bidder,
                    amount_minor=accepted.amount_minor,
                    seq=accepted.seq,
                    received_at=instruction.received_at,
                    source=accepted.source.value,
                    client_id=instruction.client_id
                    if accepted.source == rules.Source.MANUAL
                    else None,
                )
            )
            told.append(frames.bid_accepted(lot, bidder.paddle, accepted, instruction.received_at))
        if decision.extended_to is not None:
            told.append(
                events.extended_frame(lot, state.seq, decision.extended_to, reason="soft_close")
            )
        answers.append(_answer_for(registration, instruction, decision, state))
    if budgets is not None and new_bids:
        budgets.decided(lot.pk, list(by_id.values()), state)
    writes.registrations += [r for r in by_id.values() if getattr(r, "_mazad_changed", False)]
    if new_bids:
        _apply_to_lot(lot, state)
        writes.lots.append(lot)
        writes.bids += new_bids
        writes.audits += _audit_records(lot, new_bids, by_id)
        leaders = [b.registration_id for b in new_bids]
        lost = rules.lost_the_lead(previous_leader, leaders)
        told.extend(frames.personal(lot, lost, leaders[-1], by_id))
        writes.notices += notifications.notices(
            lot,
            [_bidder_of(r, by_id) for r in lost],
            Notification.Kind.OUTBID,
            lot.price_minor,
        )
    return answers


def _bidder_of(registration_id: int, by_id: dict[int, Registration]) -> int:
    registration = by_id.get(registration_id)
    if registration is not None:
        return registration.bidder_id
    return int(Registration.objects.values_list("bidder_id", flat=True).get(pk=registration_id))


def _apply(
    state: rules.LotState, registration: Registration, instruction: Instruction
) -> tuple[rules.LotState, rules.Decision]:
    order = order_key(instruction.received_at, instruction.order)
    if instruction.kind == "auto":
        return rules.set_automatic(
            state,
            rules.SetAutoBid(
                registration.pk, instruction.maximum_minor, instruction.received_at, order
            ),
        )
    if instruction.amount_minor is None:
        return state, rules.Decision(refusal=Refusal.INVALID_AMOUNT)
    return rules.place_manual(
        state,
        rules.ManualBid(registration.pk, instruction.amount_minor, instruction.received_at, order),
    )


def _remember_choices(
    registration: Registration, instruction: Instruction, state: rules.LotState
) -> None:
    """Keep the bidder's automatic maximum and (at the first bid) their second-chance choice."""
    before = (
        registration.auto_max_minor,
        registration.auto_order,
        registration.keep_deposit_reserved,
    )
    auto = state.auto_of(registration.pk)
    registration.auto_max_minor = auto.maximum_minor if auto else None
    registration.auto_order = auto.order if auto else 0
    if registration.keep_deposit_reserved is None and instruction.keep_deposit_reserved is not None:
        registration.keep_deposit_reserved = instruction.keep_deposit_reserved
    after = (
        registration.auto_max_minor,
        registration.auto_order,
        registration.keep_deposit_reserved,
    )
    if after != before:
        registration._mazad_changed = True  # type: ignore[attr-defined]


def _duplicate(
    registration: Registration | None,
    instruction: Instruction,
    pending: Sequence[Bid],
    existing: dict[tuple[int, str], Bid],
) -> Answer | None:
    """A retried submission (same client id) gets the original answer, never a second bid."""
    if registration is None or not instruction.client_id or instruction.kind != "bid":
        return None
    for bid in pending:
        if bid.registration_id == registration.pk and bid.client_id == instruction.client_id:
            return _accepted(bid, registration, duplicate=True)
    earlier = existing.get((registration.pk, instruction.client_id))
    return _accepted(earlier, registration, duplicate=True) if earlier else None


def _accepted(
    bid: Bid, registration: Registration, *, duplicate: bool = False, leading: bool = False
) -> Answer:
    return Answer(
        accepted=True,
        seq=bid.seq,
        amount_minor=bid.amount_minor,
        received_at=bid.received_at,
        paddle=registration.paddle,
        is_leading=leading,
        duplicate=duplicate,
    )


def _answer_for(
    registration: Registration,
    instruction: Instruction,
    decision: rules.Decision,
    state: rules.LotState,
) -> Answer:
    leading = state.leader_id == registration.pk
    own = next(
        (
            b
            for b in decision.bids
            if b.registration_id == registration.pk
            and (b.source == rules.Source.MANUAL or instruction.kind == "auto")
        ),
        None,
    )
    if own is None:
        # An automatic maximum set without bidding yet (another leads above it is impossible:
        # the rules refuse maxima below the minimum), or a cancellation.
        return Answer(
            accepted=True,
            paddle=registration.paddle,
            is_leading=leading,
            received_at=instruction.received_at,
        )
    return Answer(
        accepted=True,
        seq=own.seq,
        amount_minor=own.amount_minor,
        received_at=instruction.received_at,
        paddle=registration.paddle,
        is_leading=leading,
    )


def _apply_to_lot(lot: Lot, state: rules.LotState) -> None:
    lot.price_minor = state.price_minor
    lot.leader_id = state.leader_id
    lot.leader_order = state.leader_order
    lot.seq = state.seq
    lot.bid_count = state.bid_count
    lot.ends_at = state.ends_at


LOT_FIELDS = ["price_minor", "leader", "leader_order", "seq", "bid_count", "ends_at"]


def _audit_records(
    lot: Lot, new_bids: list[Bid], registrations: dict[int, Registration]
) -> list[AuditRecord]:
    return [
        AuditRecord(
            actor_id=registrations[b.registration_id].bidder_id,
            actor_label=f"paddle {registrations[b.registration_id].paddle}",
            court_id=lot.auction.court_id,
            action="lot.bid_accepted",
            object_type="auction.lot",
            object_id=str(lot.pk),
            after={
                "seq": b.seq,
                "amount_minor": b.amount_minor,
                "source": b.source,
                "received_at": b.received_at.isoformat(),
            },
        )
        for b in new_bids
    ]


def _decide_one(lot_id: int, instruction: Instruction) -> Answer:
    """Decide one instruction on its own, then publish what it changed."""
    answers, told = decide({lot_id: [instruction]})
    if lot_id not in answers:
        raise Lot.DoesNotExist(f"no lot {lot_id}")
    events.publish(told)
    return answers[lot_id][0]


def place_bid(
    *,
    lot_id: int,
    user_id: int,
    amount_minor: int,
    client_id: str | None = None,
    received_at: datetime | None = None,
    keep_deposit_reserved: bool | None = None,
) -> Answer:
    """One manual bid, decided on its own (the batcher groups them on hot lots)."""
    instruction = Instruction(
        user_id=user_id,
        received_at=received_at or timezone.now(),
        amount_minor=amount_minor,
        client_id=client_id,
        keep_deposit_reserved=keep_deposit_reserved,
    )
    try:
        return _decide_one(lot_id, instruction)
    except IntegrityError:  # a concurrent retry of the same client id won the insert
        return _decide_one(lot_id, instruction)


def set_automatic_bid(
    *, lot_id: int, user_id: int, maximum_minor: int | None, received_at: datetime | None = None
) -> Answer:
    """Set, change or cancel (None) the bidder's automatic maximum on a lot."""
    instruction = Instruction(
        user_id=user_id,
        received_at=received_at or timezone.now(),
        kind="auto",
        maximum_minor=maximum_minor,
    )
    return _decide_one(lot_id, instruction)


# --- bids that stop counting ---------------------------------------------------------------------


def budgets_for(lots: Sequence[Lot]) -> Budgets | None:
    """Lock the budgets of the lots' registrations and read their commitments, for `recount`.

    Taken after every lot of the transaction and before any of their registrations
    (docs/concurrency.md, "The global order"); None, without a lock, when no registration of
    the lots is in a budget.
    """
    ids = set(
        Registration.objects.filter(lot__in=[lot.pk for lot in lots], budget__isnull=False)
        .values_list("budget_id", flat=True)
        .distinct()
    )
    if not ids:
        return None
    caps = locks.budgets(ids)
    return Budgets(caps=caps, commitments=store.commitments(sorted(caps)))


def recount(
    lot: Lot, budgets: Budgets | None, *, actor_id: int | None, now: datetime
) -> list[events.Frame]:
    """Price and lead of a locked open lot once some of its bids stopped counting.

    Called after a bid is annulled or a bidder is excluded (their registration revoked), in
    that transaction. The record counts: the bids not annulled whose registration is not
    revoked. The highest of them gives the price and the leader - but an automatic bid above
    what its bidder's budget leaves room for on this lot now (`budget.room`) is annulled as
    well, since no robot may commit beyond the cap (`auction.bidding.budget`). Then the
    automatic maxima compete from that price as after any bid (`rules.resolve_automatic`,
    each robot within its budget's room), and their new bids are written. `budgets` are the
    lots' budgets, locked (`budgets_for`). Returns the frames to publish after the commit
    (the new bids, who lost the lead); the caller adds the `resync` that tells the watchers
    to read the lot again.
    """
    by_id = {r.pk: r for r in Registration.objects.filter(lot=lot).select_related("bidder")}
    _mark_without_mandate([r for r in by_id.values() if r.company_id])
    rooms = dict(budgets.rooms(lot.pk, list(by_id.values()))) if budgets is not None else {}
    counted: Bid | None = None
    for bid in Bid.objects.filter(lot=lot, is_annulled=False).order_by("-amount_minor", "-seq"):
        registration = by_id[bid.registration_id]
        if registration.revoked_at is not None:
            continue
        room = rooms.get(registration.pk)
        if bid.source == Bid.Source.AUTOMATIC and room is not None and bid.amount_minor > room:
            bid.is_annulled, bid.annulled_at, bid.annulled_by_id = True, now, actor_id
            bid.annulled_reason = "automatic bid beyond the bidder's budget"
            bid.save(update_fields=["is_annulled", "annulled_reason", "annulled_by", "annulled_at"])
            continue
        counted = bid
        break
    lot.price_minor = counted.amount_minor if counted else None
    lot.leader_id = counted.registration_id if counted else None
    lot.leader_order = order_key(counted.received_at, counted.seq) if counted else 0
    lot.bid_count = Bid.objects.filter(
        lot=lot, is_annulled=False, registration__revoked_at__isnull=True
    ).count()
    autos = [
        r
        for r in by_id.values()
        if r.auto_max_minor is not None
        and r.revoked_at is None
        and not getattr(r, "_mazad_without_mandate", False)
    ]
    out: list[rules.Accepted] = []
    state = rules.resolve_automatic(state_of(lot, autos, tuple(rooms.items())), out)
    _apply_to_lot(lot, state)
    lot.save(update_fields=LOT_FIELDS)
    new_bids = [
        Bid(
            lot=lot,
            registration=by_id[accepted.registration_id],
            amount_minor=accepted.amount_minor,
            seq=accepted.seq,
            received_at=now,
            source=accepted.source.value,
        )
        for accepted in out
    ]
    told = [frames.bid_accepted(lot, by_id[a.registration_id].paddle, a, now) for a in out]
    if budgets is not None:
        budgets.decided(lot.pk, list(by_id.values()), state)
    if new_bids:
        leaders = [b.registration_id for b in new_bids]
        lost = rules.lost_the_lead(counted.registration_id if counted else None, leaders)
        told.extend(frames.personal(lot, lost, leaders[-1], by_id))
        store.write(
            bids=new_bids,
            lots=[],
            lot_fields=LOT_FIELDS,
            registrations=[],
            audits=_audit_records(lot, new_bids, by_id),
            notices=notifications.notices(
                lot, [by_id[r].bidder_id for r in lost], Notification.Kind.OUTBID, lot.price_minor
            ),
        )
    return told
