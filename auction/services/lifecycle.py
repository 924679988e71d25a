"""Auctions and lots from draft to close: create, add lots, publish, open, close, withdraw."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from auction import access, events, listeners, locks, metrics, notifications
from auction.bidding import decide as bidding
from auction.bidding import rules as bidding_rules
from auction.bidding.decide import state_of
from auction.errors import AuctionRuleError
from auction.models import Auction, Bid, Lot, Notification, Registration, SaleRules
from auction.services import registration as registrations
from core import audit, bulk_writes, formatting
from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from core.models import AuditRecord
from core.money import Money, card_payable
from core.numbering import next_number
from enforcement import notices as party_notices
from enforcement import selectors as enforcement_selectors
from enforcement import services as enforcement
from enforcement.models import SeizedAsset


def rules_for(court: Any) -> SaleRules:
    rules, _created = SaleRules.objects.get_or_create(court=court)
    return rules


@transaction.atomic
def update_sale_rules(*, actor: User, court_id: int, **values: Any) -> SaleRules:
    """Supervisors edit their court's rules; running sales keep their snapshot."""
    if not access.may_edit_rules(actor, court_id):
        raise PermissionDenied(_("Only supervisors of the court edit its sale rules."))
    rules = locks.sale_rules(court_id)
    before = rules.snapshot()
    if "increments" in values:
        bidding_rules.validate_increments(
            bidding_rules.IncrementBand(int(b["from_minor"]), int(b["increment_minor"]))
            for b in values["increments"]
        )
    for name, value in values.items():
        setattr(rules, name, value)
    rules.updated_by = actor
    rules.save()
    changed_before, changed_after = audit.changes(before, rules.snapshot())
    audit.record(
        actor=actor,
        action="sale_rules.updated",
        obj=rules,
        before=changed_before,
        after=changed_after,
        court_id=court_id,
    )
    return rules


@transaction.atomic
def create_auction(
    *,
    actor: User,
    title_ar: str,
    title_en: str,
    starts_at: datetime,
    ends_at: datetime,
    description_ar: str = "",
    description_en: str = "",
) -> Auction:
    if not actor.is_court_staff or actor.court is None:
        raise PermissionDenied(_("Only court staff create auctions."))
    if ends_at <= starts_at:
        raise DomainError(
            _("The auction must close after it opens."), code="ends_before_start", field="ends_at"
        )
    court = actor.court
    sequence = next_number(f"auction:{court.code}:{starts_at.year}")
    number = f"{court.code}-A-{starts_at.year}-{sequence:04d}"
    auction = Auction(
        court=court,
        number=number,
        title_ar=title_ar,
        title_en=title_en,
        description_ar=description_ar,
        description_en=description_en,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
    )
    if not access.may_manage(actor, auction):
        raise PermissionDenied(_("Only execution staff and supervisors create auctions."))
    auction.save()
    audit.record(
        actor=actor,
        action="auction.created",
        obj=auction,
        court_id=court.pk,
        after=audit.snapshot(auction, ["number", "title_en", "starts_at", "ends_at"]),
    )
    return auction


def appraised_value(asset: Any) -> Money | None:
    appraisal = enforcement_selectors.latest_appraisal(asset)
    return Money(appraisal.value_minor, appraisal.currency) if appraisal else None


def proposed_prices(asset: Any, rules: dict[str, Any], round_number: int = 1) -> tuple[int, int]:
    """(opening, deposit) in minor units from the appraisal and the rules, for a round."""
    appraisal = appraised_value(asset)
    if appraisal is None:
        raise AuctionRuleError(_("The asset has no appraisal."), field="asset")
    opening = appraisal.percent(int(rules["opening_percent_bp"]), rounding="down")
    for _round in range(1, round_number):
        opening = opening.percent(10_000 - int(rules["round_reduction_bp"]), rounding="down")
    deposit = opening.percent(int(rules["deposit_percent_bp"]), rounding="up")
    return max(opening.amount_minor, 1), card_payable(deposit).amount_minor


def _asset_for_sale(court_id: int, asset_id: int, *, next_round: bool) -> Any:
    """An asset of the court approved for sale (or unsold, for its next round)."""

    allowed = [SeizedAsset.Status.APPROVED_FOR_SALE]
    if next_round:
        allowed.append(SeizedAsset.Status.UNSOLD)
    asset = SeizedAsset.objects.filter(pk=asset_id, court_id=court_id).first()
    if asset is None:
        raise NotFound(_("No such asset."), field="asset")
    if asset.status not in allowed:
        raise AuctionRuleError(
            _("Only an asset approved for sale can be put in an auction."),
            code="asset_not_approved",
            field="asset",
        )
    if Lot.objects.filter(asset=asset, status__in=[Lot.Status.SCHEDULED, Lot.Status.OPEN]).exists():
        raise AuctionRuleError(
            _("This asset is already in an auction."), code="asset_in_auction", field="asset"
        )
    return asset


@transaction.atomic
def add_lot(
    *,
    actor: User,
    auction_id: int,
    asset_id: int,
    opening_minor: int | None = None,
    reserve_minor: int | None = None,
    round_number: int = 1,
    previous_lot: Lot | None = None,
) -> Lot:
    """Put an approved asset into a draft auction as its next lot."""
    auction = locks.auction(auction_id)
    if not access.may_manage(actor, auction):
        raise NotFound(_("No such auction."))
    if auction.status != Auction.Status.DRAFT:
        raise InvalidTransition(_("Lots are added only while the auction is a draft."))
    asset = _asset_for_sale(auction.court_id, asset_id, next_round=previous_lot is not None)
    rules = auction.rules or rules_for(auction.court).snapshot()
    proposed_opening, _deposit = proposed_prices(asset, rules, round_number)
    opening = opening_minor or proposed_opening
    if opening <= 0:
        raise DomainError(
            _("The opening price must be positive."), code="opening_price", field="opening_minor"
        )
    if reserve_minor is not None and reserve_minor < opening:
        raise DomainError(
            _("The reserve cannot be below the opening price."),
            code="reserve_below_opening",
            field="reserve_minor",
        )
    deposit = Money(opening, asset.currency).percent(int(rules["deposit_percent_bp"]))
    number = (auction.lots.aggregate(n=Max("number"))["n"] or 0) + 1
    lot = Lot.objects.create(
        auction=auction,
        asset=asset,
        number=number,
        round=round_number,
        currency=asset.currency,
        opening_minor=opening,
        reserve_minor=reserve_minor,
        deposit_minor=card_payable(deposit).amount_minor,
        starts_at=auction.starts_at,
        ends_at=auction.ends_at,
        original_ends_at=auction.ends_at,
        previous_lot=previous_lot,
    )
    audit.record(
        actor=actor,
        action="lot.added",
        obj=lot,
        court_id=auction.court_id,
        after=audit.snapshot(
            lot,
            [
                "auction",
                "asset",
                "number",
                "round",
                "opening_minor",
                "reserve_minor",
                "deposit_minor",
            ],
        ),
    )
    return lot


def _announce_sale_date(auction: Auction, lot: Lot) -> None:
    """Tell the applicants and debtors of the lot's file when its asset is offered."""
    party_notices.tell_parties(
        file=lot.asset.file,
        kind="sale.scheduled",
        key=f"sale.scheduled:{lot.pk}:{auction.starts_at.isoformat()}",
        params={
            "asset": lot.asset.title,
            "auction": auction.number,
            "starts": lot.starts_at,
            "ends": lot.ends_at,
        },
        url=f"{settings.SITE_URL.rstrip('/')}{reverse('auction:lot', args=[lot.pk])}",
    )


@transaction.atomic
def publish_auction(*, actor: User, auction_id: int, now: datetime | None = None) -> Auction:
    """Draft → published: snapshot the rules, list the assets, refuse before the notice period."""
    now = now or timezone.now()
    auction = locks.auction(auction_id)
    if not access.may_manage(actor, auction):
        raise NotFound(_("No such auction."))
    if auction.status != Auction.Status.DRAFT:
        raise InvalidTransition(_("Only a draft auction can be published."))
    lots = list(auction.lots.select_related("asset").order_by("number"))
    if not lots:
        raise AuctionRuleError(_("Add at least one lot before publishing."), field="lots")
    rules = rules_for(auction.court).snapshot()
    earliest = now + timedelta(days=int(rules["notice_days"]))
    if auction.starts_at < earliest:
        raise AuctionRuleError(
            _("The notice period requires the auction to open no earlier than %(earliest)s."),
            code="notice_period",
            field="starts_at",
            params={"earliest": formatting.format_moment(earliest, auction.court)},
        )
    for lot in lots:
        enforcement.mark_listed(actor=actor, asset_id=lot.asset_id, note=auction.number)
        _announce_sale_date(auction, lot)
    auction.rules, auction.status, auction.published_at = rules, Auction.Status.PUBLISHED, now
    auction.save(update_fields=["rules", "status", "published_at"])
    audit.record(
        actor=actor,
        action="auction.published",
        obj=auction,
        court_id=auction.court_id,
        before={"status": Auction.Status.DRAFT},
        after={"status": auction.status, "rules": rules},
    )
    return auction


@transaction.atomic
def open_lot(*, lot_id: int, now: datetime) -> Lot | None:
    """Scheduled → open at its start (the clock calls this). Idempotent; None if not due."""
    lot = locks.lot(lot_id)
    if lot.status != Lot.Status.SCHEDULED or lot.starts_at > now:
        return None
    if lot.auction.status not in (Auction.Status.PUBLISHED, Auction.Status.LIVE):
        return None
    lot.status, lot.opened_at = Lot.Status.OPEN, now
    lot.save(update_fields=["status", "opened_at"])
    if lot.auction.status == Auction.Status.PUBLISHED:
        Auction.objects.filter(pk=lot.auction_id).update(status=Auction.Status.LIVE)
    audit.record(
        actor=None,
        action="lot.opened",
        obj=lot,
        court_id=lot.auction.court_id,
        before={"status": Lot.Status.SCHEDULED},
        after={"status": Lot.Status.OPEN},
    )
    events.publish_after_commit([events.opened_frame(lot)])
    return lot


def close_lot(*, lot_id: int, now: datetime) -> Lot | None:
    """Open → sold or unsold once its (possibly extended) end has passed; exactly once.

    Both steps at once: `decide_close`, then `settle_lot`. The clock runs them
    apart, deciding every due lot before settling any, so that a thousand lots
    ending together are each closed (and their watchers told) within a second.
    Returns None when the lot is not due (or was closed already).
    """
    if decide_close(lot_id=lot_id, now=now) is None:
        return None
    return settle_lot(lot_id=lot_id)


@transaction.atomic
def decide_close(*, lot_id: int, now: datetime) -> Lot | None:
    """The close itself: outcome, winner and `lot_closed`, in one short transaction.

    The end is re-read under the lot's lock, so a bid that extended it is
    honoured; from this commit no bid is accepted. What follows from it
    (deposits, the asset, the buyer's balance) is `settle_lot`'s. Returns None
    when the lot is not due (or was closed already).
    """
    decided = decide_locked_closes([locks.lot(lot_id)], now)
    return decided[0] if decided else None


def decide_locked_closes(lots: list[Lot], now: datetime) -> list[Lot]:
    """Decide the due ones of lots already locked by the caller's transaction (with their
    auctions and leaders read); returns them.

    The clock claims several due lots at once: their closes, audit records and the winners'
    notices are written with one statement a table, in one round trip.
    """
    decided: list[Lot] = []
    records: list[AuditRecord] = []
    notices: list[Notification] = []
    frames: list[events.Frame] = []
    for lot in lots:
        if lot.status != Lot.Status.OPEN or now <= lot.ends_at + bidding_rules.CLOSE_GRACE:
            continue
        outcome = bidding_rules.close_result(state_of(lot, []), lot.reserve_minor)
        lot.status = Lot.Status.SOLD if outcome == bidding_rules.Outcome.SOLD else Lot.Status.UNSOLD
        lot.outcome, lot.closed_at = outcome.value, now
        winner: Registration | None = lot.leader if lot.status == Lot.Status.SOLD else None
        records.append(
            audit.build(
                actor=None,
                action="lot.closed",
                obj=lot,
                court_id=lot.auction.court_id,
                before={"status": Lot.Status.OPEN},
                after={
                    "status": lot.status,
                    "outcome": lot.outcome,
                    "price_minor": lot.price_minor,
                    "winner": winner.paddle if winner else None,
                },
            )
        )
        frames.append(events.closed_frame(lot, winner.paddle if winner else None))
        if winner is not None:
            notices += notifications.notices(
                lot, [winner.bidder_id], Notification.Kind.WON, lot.price_minor
            )
            frames.append(
                events.personal(lot, winner.bidder_id, "you_won", price_minor=lot.price_minor)
            )
        decided.append(lot)
    bulk_writes.execute(
        [
            *bulk_writes.update(Lot, decided, ["status", "outcome", "closed_at"]),
            *bulk_writes.insert(AuditRecord, records),
            *bulk_writes.insert(Notification, notices),
        ]
    )
    events.publish_after_commit(frames)
    if decided:
        transaction.on_commit(lambda: metrics.observe_closes(decided))
    return decided


@transaction.atomic
def settle_lot(*, lot_id: int) -> Lot | None:
    """What a decided close entails, once: deposits, the asset, the buyer's balance.

    The winner's deposit is applied; the others are refunded unless the bidder
    chose to keep theirs reserved (refunded once the winner pays). Idempotent:
    a lot settled already (or not closed) is returned as it is, or None if it
    is not closed.
    """
    lot = locks.lot(lot_id)
    if lot.status not in (Lot.Status.SOLD, Lot.Status.UNSOLD):
        return None
    if lot.settled_at is None:
        _settle(lot)
    return lot


def _settle(lot: Lot) -> None:
    """Settle a decided close (the lot is locked)."""
    winner: Registration | None = lot.leader if lot.status == Lot.Status.SOLD else None
    for registration in locks.registrations_of(lot):
        if winner is not None and registration.pk == winner.pk:
            registrations.apply_deposit(registration)
        elif not registration.keep_deposit_reserved or winner is None:
            registrations.refund_deposit(registration, reason="outbid at the close")
    if lot.status == Lot.Status.SOLD:
        enforcement.mark_sold(actor=None, asset_id=lot.asset_id, note=lot.reference)
        assert winner is not None
        listeners.lot_sold(lot, winner)
    else:
        enforcement.mark_unsold(actor=None, asset_id=lot.asset_id, note=lot.reference)
    lot.settled_at = timezone.now()
    lot.save(update_fields=["settled_at"])
    _close_auction_if_done(lot.auction_id)
    transaction.on_commit(lambda: metrics.observe_settlement(lot))


def _close_auction_if_done(auction_id: int) -> None:
    # Lot locks leave the auction's row alone, so the last two lots closing at once could each
    # see the other still open: the auction's lock makes the second see the first's close.
    locks.auction(auction_id)
    open_states = [Lot.Status.SCHEDULED, Lot.Status.OPEN]
    if not Lot.objects.filter(auction_id=auction_id, status__in=open_states).exists():
        Auction.objects.filter(
            pk=auction_id, status__in=[Auction.Status.PUBLISHED, Auction.Status.LIVE]
        ).update(status=Auction.Status.CLOSED)


@transaction.atomic
def withdraw_lot(*, actor: User | None, lot_id: int, reason: str) -> Lot:
    """A court order or the debtor's payment stops the sale: every deposit is refunded."""
    if not reason.strip():
        raise DomainError(_("Give the reason for the withdrawal."), code="required", field="reason")
    lot = locks.lot(lot_id)
    if actor is not None and not access.may_manage(actor, lot.auction):
        raise NotFound(_("No such lot."))
    if lot.status not in (Lot.Status.SCHEDULED, Lot.Status.OPEN):
        raise InvalidTransition(_("Only a scheduled or open lot can be withdrawn."))
    before = lot.status
    lot.status, lot.outcome = Lot.Status.WITHDRAWN, Lot.Outcome.WITHDRAWN
    lot.withdrawn_reason, lot.closed_at = reason.strip(), timezone.now()
    lot.settled_at = lot.closed_at  # refunds and the asset are settled in this transaction
    lot.save(update_fields=["status", "outcome", "withdrawn_reason", "closed_at", "settled_at"])
    for registration in locks.registrations_of(lot):
        registrations.refund_deposit(registration, reason="lot withdrawn")
    if lot.auction.status != Auction.Status.DRAFT:  # a draft's asset was never listed
        enforcement.mark_withdrawn(actor=actor, asset_id=lot.asset_id, note=lot.withdrawn_reason)
    audit.record(
        actor=actor,
        action="lot.withdrawn",
        obj=lot,
        court_id=lot.auction.court_id,
        before={"status": before},
        after={"status": lot.status},
        note=lot.withdrawn_reason,
    )
    events.publish_after_commit([events.withdrawn_frame(lot)])
    _close_auction_if_done(lot.auction_id)
    return lot


def next_round_opening(lot: Lot, rules: dict[str, Any] | None = None) -> int:
    """The opening price of `lot`'s asset in its next round, by the rule the lot was sold under.

    The rule is the court's, snapshotted with the auction: the next round's share of the
    appraisal (`round_opening_bp`, from round 2 on) when it names one and the asset has an
    appraisal; otherwise the lot's own opening less `round_reduction_bp`.
    """
    rules = rules if rules is not None else (lot.auction.rules or {})
    shares = [int(bp) for bp in rules.get("round_opening_bp") or []]
    index = lot.round + 1 - 2  # round 2 is the first entry
    if 0 <= index < len(shares):
        appraisal = appraised_value(lot.asset)
        if appraisal is not None:
            return max(appraisal.percent(shares[index], rounding="down").amount_minor, 1)
    reduced = Money(lot.opening_minor, lot.currency).percent(
        10_000 - int(rules.get("round_reduction_bp", 0)), rounding="down"
    )
    return max(reduced.amount_minor, 1)


def rounds_left(lot: Lot) -> bool:
    return lot.round + 1 <= int((lot.auction.rules or {}).get("max_rounds", 1))


@transaction.atomic
def start_next_round(
    *, actor: User, lot_id: int, auction_id: int, opening_minor: int | None = None
) -> Lot:
    """Offer an unsold asset again in a later draft auction at the next round's opening price
    (the rule's, `next_round_opening`, unless the judge approved another)."""
    lot = locks.lot(lot_id)
    if not access.may_manage(actor, lot.auction):
        raise NotFound(_("No such lot."))
    if lot.status != Lot.Status.UNSOLD:
        raise InvalidTransition(_("Only an unsold lot goes to a further round."))
    if lot.settled_at is None:  # closed a moment ago: its asset is released here, not later
        _settle(lot)
    if not rounds_left(lot):
        raise AuctionRuleError(_("The rounds for this asset have run out."), code="no_more_rounds")
    target = Auction.objects.filter(pk=auction_id, court_id=lot.auction.court_id).first()
    if target is None:
        raise NotFound(_("No such auction."), field="auction")
    if target.starts_at <= lot.auction.ends_at:
        raise AuctionRuleError(
            _("The next round must be in a later auction."),
            code="next_round_not_later",
            field="auction",
        )
    return add_lot(
        actor=actor,
        auction_id=auction_id,
        asset_id=lot.asset_id,
        opening_minor=opening_minor or next_round_opening(lot),
        reserve_minor=None,
        round_number=lot.round + 1,
        previous_lot=lot,
    )


@transaction.atomic
def annul_bid(*, actor: User, lot_id: int, seq: int, reason: str) -> Lot:
    """A supervisor annuls a bid with a written reason; the price is recomputed from the rest.

    Deterministic recomputation (`auction.bidding.decide.recount`): the remaining bids of
    bidders still allowed to bid are the record and the highest of them gives the price and
    the leader; an automatic bid its bidder's budget no longer leaves room for does not
    count. Automatic maxima are kept and compete from that price, each within its budget,
    as after any bid. Watchers are told to resync.
    """
    if not reason.strip():
        raise DomainError(_("Give the reason for the annulment."), code="required", field="reason")
    lot = locks.lot(lot_id)
    if not access.may_annul(actor, lot.auction):
        raise NotFound(_("No such lot."))
    if lot.status != Lot.Status.OPEN:
        raise InvalidTransition(_("Bids are annulled only while the lot is open."))
    bid = Bid.objects.filter(lot=lot, seq=seq, is_annulled=False).first()
    if bid is None:
        raise NotFound(_("No such bid."), field="seq")
    budgets = bidding.budgets_for([lot])  # after the lot, before its registrations
    now = timezone.now()
    bid.is_annulled, bid.annulled_reason = True, reason.strip()
    bid.annulled_by, bid.annulled_at = actor, now
    bid.save(update_fields=["is_annulled", "annulled_reason", "annulled_by", "annulled_at"])
    before = {"price_minor": lot.price_minor, "leader": lot.leader_id}
    told = bidding.recount(lot, budgets, actor_id=actor.pk, now=now)
    audit.record(
        actor=actor,
        action="lot.bid_annulled",
        obj=lot,
        court_id=lot.auction.court_id,
        before=before,
        after={"price_minor": lot.price_minor, "leader": lot.leader_id, "annulled_seq": seq},
        note=bid.annulled_reason,
    )
    events.publish_after_commit([*told, events.resync_frame(lot, "bid_annulled")])
    return lot


@transaction.atomic
def record_sale_failed(*, lot_id: int, reason: str) -> Lot:
    """Sold → unsold when every buyer defaulted; the asset is free for a further round.

    Called by the after-sale side, not by a person. Idempotent.
    """
    lot = locks.lot(lot_id)
    if lot.status == Lot.Status.UNSOLD:
        return lot
    if lot.status != Lot.Status.SOLD:
        raise InvalidTransition(_("Only a sold lot can fail to complete."))
    return _unsold_after_sale(
        lot, outcome=Lot.Outcome.BUYER_DEFAULTED, actor=None, action="lot.sale_failed", note=reason
    )


@transaction.atomic
def record_sale_annulled(*, actor: User, lot_id: int, reason: str) -> Lot:
    """Sold → unsold when a judge annuls the sale; the asset may go to a further round.

    Called by the after-sale side under the sale's lock (which holds the lot). Idempotent.
    """
    lot = locks.lot(lot_id)
    if (lot.status, lot.outcome) == (Lot.Status.UNSOLD, Lot.Outcome.SALE_ANNULLED):
        return lot
    if lot.status != Lot.Status.SOLD:
        raise InvalidTransition(_("Only a sold lot's sale can be annulled."))
    return _unsold_after_sale(
        lot, outcome=Lot.Outcome.SALE_ANNULLED, actor=actor, action="lot.sale_annulled", note=reason
    )


def _unsold_after_sale(
    lot: Lot, *, outcome: str, actor: User | None, action: str, note: str
) -> Lot:
    """A sold lot (locked) becomes unsold with `outcome`; its asset is free for a further round."""
    lot.status, lot.outcome = Lot.Status.UNSOLD, outcome
    lot.save(update_fields=["status", "outcome"])
    enforcement.mark_sale_failed(actor=None, asset_id=lot.asset_id, note=note)
    audit.record(
        actor=actor,
        action=action,
        obj=lot,
        court_id=lot.auction.court_id,
        before={"status": Lot.Status.SOLD},
        after={"status": lot.status, "outcome": lot.outcome},
        note=note,
    )
    return lot
