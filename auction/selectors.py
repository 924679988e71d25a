"""Reads of the auction app: staff lists and boards, the public catalog, a lot's snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from auction.bidding import budget as budget_rules
from auction.bidding import store
from auction.bidding.decide import next_minimum_of
from auction.errors import AuctionRuleError
from auction.models import Auction, Bid, Budget, Lot, Registration
from auction.services import lifecycle
from core.clock import stamp
from core.money import Money
from core.pagination import Key, Keyset
from enforcement.models import SeizedAsset


def auctions_of_court(*, court_id: int | None, status: str = "") -> QuerySet[Auction]:
    if court_id is None:
        return Auction.objects.none()
    auctions = Auction.objects.filter(court_id=court_id).annotate(
        lot_count=Count("lots", distinct=True)
    )
    if status in Auction.Status.values:
        auctions = auctions.filter(status=status)
    return auctions.order_by(*AUCTION_ORDER.order())


# The staff list of a court's auctions, latest start first, by keyset (core/pagination.py).
AUCTION_ORDER = Keyset((Key("starts_at", "datetime"), Key("pk")), descending=True)


def auction_of_court(*, court_id: int | None, auction_id: int) -> Auction | None:
    if court_id is None:
        return None
    return Auction.objects.select_related("court").filter(pk=auction_id, court_id=court_id).first()


def lots_of_auction(*, auction_id: int) -> QuerySet[Lot]:
    return (
        Lot.objects.filter(auction_id=auction_id)
        .select_related("asset", "asset__file", "leader")
        .annotate(registered=Count("registrations", distinct=True))
        .order_by("number")
    )


def assets_ready_for_sale(*, court_id: int) -> list[Any]:

    return list(
        SeizedAsset.objects.filter(
            court_id=court_id, status__in=[SeizedAsset.Status.APPROVED_FOR_SALE]
        )
        .select_related("file")
        .order_by("file__number", "pk")
    )


def proposals(auction: Auction, assets: list[Any]) -> dict[int, tuple[Money, Money]]:
    """The opening price and deposit the rules propose for each asset."""
    rules = auction.rules or lifecycle.rules_for(auction.court).snapshot()
    proposed: dict[int, tuple[Money, Money]] = {}
    for asset in assets:
        try:
            opening, deposit = lifecycle.proposed_prices(asset, rules)
        except AuctionRuleError:  # no appraisal yet: no proposal
            continue
        proposed[asset.pk] = (Money(opening, asset.currency), Money(deposit, asset.currency))
    return proposed


def earliest_start(auction: Auction, now: datetime) -> datetime:
    rules = auction.rules or lifecycle.rules_for(auction.court).snapshot()
    return now + timedelta(days=int(rules["notice_days"]))


@dataclass(frozen=True)
class BoardRow:
    lot: Lot
    leader_paddle: int | None
    registered: int
    held: int


def board(*, auction_id: int) -> list[BoardRow]:
    lots = (
        Lot.objects.filter(auction_id=auction_id)
        .select_related("asset", "leader")
        .annotate(
            registered=Count("registrations", distinct=True),
            held=Count(
                "registrations", filter=Q(registrations__deposit_status="HELD"), distinct=True
            ),
        )
        .order_by("number")
    )
    return [
        BoardRow(lot, lot.leader.paddle if lot.leader else None, lot.registered, lot.held)
        for lot in lots
    ]


def increments_text(bands: list[dict[str, int]], currency: str) -> str:
    lines = []
    for band in bands:
        start = Money(int(band["from_minor"]), currency).to_decimal()
        step = Money(int(band["increment_minor"]), currency).to_decimal()
        lines.append(f"{start} {step}")
    return "\n".join(lines)


def recent_bids(*, lot_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The last bids of a lot as watchers see them: paddle and amount, never a name."""
    bids = (
        Bid.objects.filter(lot_id=lot_id, is_annulled=False)
        .select_related("registration")
        .order_by("-seq")[:limit]
    )
    return [
        {
            "seq": b.seq,
            "paddle": b.registration.paddle,
            "amount_minor": b.amount_minor,
            "source": b.source,
            "received_at": b.received_at,
        }
        for b in bids
    ]


def bids_after(*, lot_id: int, seq: int, limit: int) -> list[Bid]:
    return list(
        Bid.objects.filter(lot_id=lot_id, seq__gt=seq)
        .select_related("registration")
        .order_by("seq")[:limit]
    )


def registration_of(*, lot_id: int, user_id: int) -> Registration | None:
    return Registration.objects.filter(lot_id=lot_id, bidder_id=user_id).first()


VISIBLE = [Auction.Status.PUBLISHED, Auction.Status.LIVE, Auction.Status.CLOSED]


def _state(lot: Lot) -> dict[str, Any]:

    return {
        "lot": lot.pk,
        "seq": lot.seq,
        "status": lot.status,
        "outcome": lot.outcome,
        "currency": lot.currency,
        "opening_minor": lot.opening_minor,
        "deposit_minor": lot.deposit_minor,
        "price_minor": lot.price_minor,
        "next_minimum_minor": next_minimum_of(lot),
        "bid_count": lot.bid_count,
        "starts_at": lot.starts_at,
        "ends_at": lot.ends_at,
        "leader_paddle": lot.leader.paddle if lot.leader else None,
        "server_time": timezone_now(),
    }


def timezone_now() -> datetime:

    return stamp()


def _you(lot: Lot, user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    registration = registration_of(lot_id=lot.pk, user_id=user_id)
    if registration is None:
        return {"registered": False}
    return {
        "registered": True,
        "paddle": registration.paddle,
        "deposit_status": registration.deposit_status,
        "is_leading": lot.leader_id == registration.pk,
        "has_bid": registration.bids.exists(),
        "auto_max_minor": registration.auto_max_minor,
        "keep_deposit_reserved": registration.keep_deposit_reserved,
        "revoked": registration.revoked_at is not None,
        "budget_remaining_minor": _budget_remaining(registration),
    }


def _budget_remaining(registration: Registration) -> int | None:
    """What is left of the registration's budget, or None when the lot is in no budget."""
    if registration.budget_id is None:
        return None
    cap = Budget.objects.filter(pk=registration.budget_id).values_list("cap_minor", flat=True)
    if not cap:
        return None
    commitments = store.commitments([registration.budget_id])[registration.budget_id]
    return budget_rules.remaining(int(cap[0]), commitments)


def _visible_lot(lot_id: int) -> Lot | None:
    return (
        Lot.objects.select_related("auction", "leader")
        .filter(pk=lot_id, auction__status__in=VISIBLE)
        .first()
    )


def snapshot(*, lot_id: int, user_id: int | None, reason: str = "") -> dict[str, Any] | None:
    """Everything a lot page needs to start: state, last bids, and the viewer's own standing."""
    lot = _visible_lot(lot_id)
    if lot is None:
        return None
    frame = {
        "type": "snapshot",
        **_state(lot),
        "bids": recent_bids(lot_id=lot.pk),
        "you": _you(lot, user_id),
    }
    if reason:
        frame["reason"] = reason
    return frame


def replay(*, lot_id: int, after: int, limit: int, user_id: int | None) -> dict[str, Any]:
    """The bids after `after`, in order, and the lot's state now; a fresh snapshot if too many."""
    lot = _visible_lot(lot_id)
    if lot is None:
        return {
            "type": "error",
            "error": {"code": "not_found", "field": None, "params": {}, "message": "No such lot."},
        }
    if after > lot.seq or lot.seq - after > limit:
        return snapshot(lot_id=lot_id, user_id=user_id, reason="resume_too_old") or {}
    events = [
        {
            "type": "bid_accepted",
            "lot": lot.pk,
            "seq": b.seq,
            "paddle": b.registration.paddle,
            "amount_minor": b.amount_minor,
            "currency": lot.currency,
            "source": b.source,
            "received_at": b.received_at,
            "is_annulled": b.is_annulled,
        }
        for b in bids_after(lot_id=lot.pk, seq=after, limit=limit)
    ]
    return {
        "type": "replay",
        "from_seq": after,
        "events": events,
        "state": _state(lot),
        "you": _you(lot, user_id),
        "seq": lot.seq,
        "lot": lot.pk,
    }


@dataclass(frozen=True)
class ClockLag:
    """How far the clock is behind: lots past their end still open, closes not yet settled.

    Each part: how many lots wait, and the seconds since the oldest of them was due (None when
    none waits). A clock keeping up shows at most a second or two.
    """

    to_close: int
    close_lag_seconds: float | None
    to_settle: int
    settle_lag_seconds: float | None


def clock_lag(now: datetime) -> ClockLag:
    overdue = Lot.objects.filter(status=Lot.Status.OPEN, ends_at__lt=now).aggregate(
        count=Count("pk"), oldest=Min("ends_at")
    )
    unsettled = Lot.objects.filter(
        status__in=[Lot.Status.SOLD, Lot.Status.UNSOLD], settled_at__isnull=True
    ).aggregate(count=Count("pk"), oldest=Min("closed_at"))

    def lag(since: datetime | None) -> float | None:
        return None if since is None else max(0.0, (now - since).total_seconds())

    return ClockLag(
        overdue["count"], lag(overdue["oldest"]), unsettled["count"], lag(unsettled["oldest"])
    )


@dataclass(frozen=True)
class OwnBid:
    seq: int
    amount: Money
    received_at: datetime
    source: str
    is_annulled: bool
    receipt: str | None  # the number of its receipt, once issued


def own_bids(registration: Registration) -> list[OwnBid]:
    """The bidder's own bids on the lot, newest first, with their receipts' numbers."""
    from core.models import Receipt

    bids = list(Bid.objects.filter(registration=registration).order_by("-seq")[:50])
    issued = dict(
        Receipt.objects.filter(
            kind=Receipt.Kind.BID,
            subject_type=Bid._meta.label_lower,
            subject_id__in=[str(b.pk) for b in bids],
        ).values_list("subject_id", "number")
    )
    currency = registration.lot.currency
    return [
        OwnBid(
            b.seq,
            Money(b.amount_minor, currency),
            b.received_at,
            b.get_source_display(),
            b.is_annulled,
            issued.get(str(b.pk)),
        )
        for b in bids
    ]


@dataclass(frozen=True)
class BudgetLine:
    lot: Lot
    committed: Money | None  # what the bidder leads or won it at


@dataclass(frozen=True)
class BudgetStanding:
    budget: Budget
    cap: Money
    committed: Money
    remaining: Money
    lines: list[BudgetLine]


def budget_standing(registration: Registration | None) -> BudgetStanding | None:
    """The registration's budget: its cap, what its lots commit, what remains."""
    if registration is None or registration.budget_id is None:
        return None
    found = Budget.objects.filter(pk=registration.budget_id).first()
    return standing_of(found) if found is not None else None


def standing_of(found: Budget) -> BudgetStanding:
    commitments = store.commitments([found.pk])[found.pk]
    lots = list(
        Lot.objects.filter(registrations__budget=found)
        .select_related("auction", "asset")
        .order_by("ends_at", "pk")
    )
    return BudgetStanding(
        budget=found,
        cap=Money(found.cap_minor, found.currency),
        committed=Money(budget_rules.committed(commitments), found.currency),
        remaining=Money(budget_rules.remaining(found.cap_minor, commitments), found.currency),
        lines=[
            BudgetLine(
                lot,
                Money(commitments[lot.pk], found.currency) if lot.pk in commitments else None,
            )
            for lot in lots
        ],
    )


def budgets_of(user_id: int) -> list[BudgetStanding]:
    return [standing_of(b) for b in Budget.objects.filter(bidder_id=user_id)]
