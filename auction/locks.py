"""Every row lock of the auction app: its `FOR UPDATE`s and its `SKIP LOCKED` claims.

Bids, the clock, closes, withdrawals and deposits serialise on the lot row, and
all of them take it through `lots` (or `lot`, one of them): one statement, the
lots' rows only (`FOR UPDATE OF`), each read with its auction, in ascending id
(docs/concurrency.md, "The global order"). What a locked lot owns (its
registrations, its auction) is locked after it, by the functions below it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from django.db import connection

from auction.bidding import store
from auction.models import (
    Auction,
    Bid,
    Budget,
    Heartbeat,
    InspectionSlot,
    Lot,
    Notification,
    Outage,
    Question,
    Registration,
    RoundProposal,
    SaleRules,
    SearchAlert,
    ViewingBooking,
    Watch,
)
from core import bulk_writes
from core.locks import lock_one

LOT_FIELDS = bulk_writes.fields(Lot)
AUCTION_FIELDS = bulk_writes.fields(Auction)


# --- lots (rank 6) ------------------------------------------------------------------------------


def lots(lot_ids: Sequence[int], *, skip_locked: bool = False) -> list[Lot]:
    """Lock the lots' rows (not their auctions') in ascending id, each read with its auction.

    One statement in SQL made once from the models (the bid batch sends it for every batch).
    An unknown lot is left out; with `skip_locked`, so is a lot another transaction holds.
    """
    if not lot_ids:
        return []
    sql = (
        f"SELECT {store.select_list('l', LOT_FIELDS)}, {store.select_list('a', AUCTION_FIELDS)} "
        f'FROM "{Lot._meta.db_table}" l '
        f'JOIN "{Auction._meta.db_table}" a ON a."id" = l."auction_id" '
        f'WHERE l."id" IN ({store.marks(len(lot_ids))}) ORDER BY l."id"'
    )
    if connection.features.has_select_for_update_of:  # SQLite (embedded) locks the database
        sql += " FOR UPDATE OF l"
        if skip_locked:
            sql += " SKIP LOCKED"
    found: list[Lot] = store.with_related(
        sql, list(lot_ids), (Lot, LOT_FIELDS), "auction", AUCTION_FIELDS
    )
    return found


def lot(lot_id: int) -> Lot:
    """Lock one lot (inside a transaction) and return it freshly read, with its auction.

    Raises Lot.DoesNotExist for an unknown lot.
    """
    found = lots([lot_id])
    if not found:
        raise Lot.DoesNotExist(f"no lot {lot_id}")
    return found[0]


def lot_unless_held(lot_id: int) -> bool:
    """Lock one lot unless another transaction holds it (SKIP LOCKED); whether it was locked."""
    return bool(lots([lot_id], skip_locked=True))


def claim_due_lots(ends_before: datetime, excluding: Collection[int], limit: int) -> list[Lot]:
    """Claim up to `limit` open lots that ended at or before `ends_before`, earliest end first,
    skipping those another transaction holds; each read with its auction and its leader."""
    return list(
        Lot.objects.select_related("auction", "leader")
        .select_for_update(skip_locked=True, of=("self",))
        .filter(status=Lot.Status.OPEN, ends_at__lte=ends_before)
        .exclude(pk__in=excluding)
        .order_by("ends_at", "pk")[:limit]
    )


def open_lots_ending_since(moment: datetime) -> list[Lot]:
    """Lock the open lots that end at or after `moment`, ascending id, with their auctions
    (read, not locked: holding an auction's row while waiting for its next lot could deadlock
    against a withdrawal, which holds that lot and then locks the auction)."""
    return list(
        Lot.objects.select_for_update(of=("self",))
        .select_related("auction")
        .filter(status=Lot.Status.OPEN, ends_at__gte=moment)
        .order_by("pk")
    )


# --- what a locked lot owns (rank 7) ------------------------------------------------------------


def registrations_of(lot: Lot, *, keep: int | None = None) -> list[Registration]:
    """Lock the registrations of a locked lot, ascending id (all but the registration `keep`)."""
    registrations = lot.registrations.all() if keep is None else lot.registrations.exclude(pk=keep)
    return list(registrations.select_for_update().order_by("pk"))


def registration(registration_id: int) -> Registration:
    """Lock one registration (its own row; its lot must be locked first), with its lot and
    the lot's auction."""
    return (
        Registration.objects.select_related("lot__auction")
        .select_for_update(of=("self",))
        .get(pk=registration_id)
    )


def auction(auction_id: int) -> Auction:
    return lock_one(Auction.objects.filter(pk=auction_id))


# --- leaves and claims --------------------------------------------------------------------------


def inspection_slot(slot_id: int) -> InspectionSlot:
    """Lock one viewing time (a leaf after the registration): bookings of it wait in turn."""
    return lock_one(InspectionSlot.objects.filter(pk=slot_id))


def claim_viewing_confirmations(limit: int, now: datetime) -> list[int]:
    """Claim held bookings of viewings still to come whose bidder is not yet told of them."""
    return list(
        ViewingBooking.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(confirmed_at__isnull=True, cancelled_at__isnull=True, slot__starts_at__gt=now)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def claim_viewing_reminders(limit: int, now: datetime, ahead: timedelta) -> list[int]:
    """Claim held bookings of viewings starting within `ahead` and not yet reminded."""
    return list(
        ViewingBooking.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            reminded_at__isnull=True,
            cancelled_at__isnull=True,
            slot__starts_at__gt=now,
            slot__starts_at__lte=now + ahead,
        )
        .order_by("slot__starts_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def sale_rules(court_id: int) -> SaleRules:
    """Lock the court's sale rules (a leaf), made on first use."""
    return SaleRules.objects.select_for_update().get_or_create(court_id=court_id)[0]


def heartbeat(name: str, now: datetime) -> tuple[Heartbeat, bool]:
    """Lock the named heartbeat (a leaf), made at `now` on first use; whether it was made."""
    return Heartbeat.objects.select_for_update().get_or_create(name=name, defaults={"beat_at": now})


def claim_outages() -> list[Outage]:
    """Claim the outages not yet compensated, oldest first."""
    return list(
        Outage.objects.select_for_update(skip_locked=True)
        .filter(compensated_at__isnull=True)
        .order_by("started_at")
    )


def claim_watches_closing(ends_before: datetime, limit: int) -> list[Watch]:
    """Claim watches of open lots ending at or before `ends_before` not yet told so (only the
    watches: the lots stay free for the bids and the clock)."""
    return list(
        Watch.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("lot")
        .filter(
            closing_notified_at__isnull=True,
            lot__status=Lot.Status.OPEN,
            lot__ends_at__lte=ends_before,
        )[:limit]
    )


def claim_pending_notices(limit: int) -> list[tuple[int, int, int, str]]:
    """Claim notices not yet pushed, oldest first: (id, user, lot, kind) each."""
    return list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pushed_at__isnull=True)
        .order_by("created_at", "pk")
        .values_list("pk", "user_id", "lot_id", "kind")[:limit]
    )


# --- saved searches' alerts and lot questions (leaves: nothing is locked after them) -------------


def claim_search_alerts(limit: int) -> list[int]:
    """Claim saved-search alerts not yet sent, oldest first (only the alerts' rows)."""
    return list(
        SearchAlert.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(claimed_at__isnull=True)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def question(question_id: int) -> Question:
    """Lock one question's row (answered or rejected once); raises Question.DoesNotExist."""
    return lock_one(Question.objects.filter(pk=question_id))


def claim_question_notices(limit: int) -> list[int]:
    """Claim answered or rejected questions whose asker is not yet told (only their rows)."""
    return list(
        Question.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(notified_at__isnull=True)
        .exclude(status=Question.Status.PENDING)
        .order_by("answered_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- budgets (rank 6b: after every lot of the batch, before what the lots own) ------------------


def budgets(budget_ids: Collection[int]) -> dict[int, int]:
    """Lock the budgets in ascending id; their caps by id (a deleted one is left out).

    The bid batch takes them after its lots, and only when a registration it reads is in a
    budget: two batches on two lots of one budget are then decided one after the other.
    """
    if not budget_ids:
        return {}
    rows = (
        Budget.objects.select_for_update()
        .filter(pk__in=sorted(budget_ids))
        .order_by("pk")
        .values_list("pk", "cap_minor")
    )
    return {pk: int(cap) for pk, cap in rows}


def budget_of(bidder_id: int, budget_id: int) -> Budget | None:
    """The bidder's own budget, locked (editing its cap or its lots), or None."""
    return Budget.objects.select_for_update().filter(pk=budget_id, bidder_id=bidder_id).first()


# --- next rounds ----------------------------------------------------------------------------------


def round_proposal(proposal_id: int, court_id: int) -> RoundProposal | None:
    """A proposal of the court, locked (its own row only), before its lot is locked."""
    return (
        RoundProposal.objects.select_for_update(of=("self",))
        .select_related("lot", "auction")
        .filter(pk=proposal_id, lot__auction__court_id=court_id)
        .first()
    )


# --- bid receipts (a leaf) ----------------------------------------------------------------------


def own_bid(bidder_id: int, lot_id: int, seq: int) -> Bid | None:
    """The bidder's own bid, locked (its row only), with its registration, lot and court.

    Only the bid's receipt is issued under it: nothing else is locked before it in that
    transaction but the receipt's number (a leaf), so it closes no cycle with the lot paths
    (an annulment updates the bid under the lot's lock and waits here at most for one
    receipt).
    """
    return (
        Bid.objects.select_for_update(of=("self",))
        .select_related("registration__bidder", "lot__auction__court", "lot__asset")
        .filter(lot_id=lot_id, seq=seq, registration__bidder_id=bidder_id)
        .first()
    )
