"""Cancelling a whole auction: staff propose it with a reason, a judge (a supervisor) approves.

The approval closes every scheduled or open lot as cancelled, refunds every held
deposit through payments core, puts the assets back to "approved for sale" and
tells the lots' watchers at once (`lot_withdrawn` with the outcome
`AUCTION_CANCELLED`). It is refused while any lot of the auction is sold: a sale
is undone only by annulling it (`aftersale.services.annulment`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from auction import access, events, locks
from auction.errors import AuctionRuleError
from auction.models import Auction, Lot
from auction.services import lifecycle
from auction.services import registration as registrations
from core import audit
from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from enforcement import services as enforcement

CANCELLABLE = (Auction.Status.DRAFT, Auction.Status.PUBLISHED, Auction.Status.LIVE)
OPEN_STATES = (Lot.Status.SCHEDULED, Lot.Status.OPEN)
MAX_REASON = 2_000


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Give the reason for the cancellation."), code="required", field="reason"
        )
    if len(reason) > MAX_REASON:
        raise DomainError(
            _("The reason is at most %(limit)s characters."),
            code="too_long",
            field="reason",
            params={"limit": MAX_REASON},
        )
    return reason


def _refuse_if_sold(auction_id: int) -> None:
    if Lot.objects.filter(auction_id=auction_id, status=Lot.Status.SOLD).exists():
        raise AuctionRuleError(
            _(
                "A lot of this auction is already sold: an auction with a sold lot cannot be "
                "cancelled. Annul that sale first."
            ),
            code="auction_has_sold_lot",
            field="auction",
        )


@transaction.atomic
def propose_cancellation(*, actor: User, auction_id: int, reason: str) -> Auction:
    """Staff ask a judge to cancel the auction. Raises NotFound (not theirs), InvalidTransition
    (closed or cancelled already), AuctionRuleError `auction_has_sold_lot`, DomainError on the
    reason. Proposing again replaces the reason."""
    reason = _clean_reason(reason)
    auction = locks.auction(auction_id)
    if not access.may_manage(actor, auction):
        raise NotFound(_("No such auction."))
    if auction.status not in CANCELLABLE:
        raise InvalidTransition(_("Only an auction that has not closed can be cancelled."))
    _refuse_if_sold(auction.pk)
    before = audit.snapshot(auction, ["cancellation_reason", "cancellation_proposed_by"])
    auction.cancellation_reason = reason
    auction.cancellation_proposed_by, auction.cancellation_proposed_at = actor, timezone.now()
    auction.save(
        update_fields=[
            "cancellation_reason",
            "cancellation_proposed_by",
            "cancellation_proposed_at",
        ]
    )
    audit.record(
        actor=actor,
        action="auction.cancellation_proposed",
        obj=auction,
        court_id=auction.court_id,
        before=before,
        after={"cancellation_reason": reason},
        note=reason,
    )
    return auction


@transaction.atomic
def withdraw_cancellation_proposal(*, actor: User, auction_id: int) -> Auction:
    """Staff or a judge drop a proposal that was not approved."""
    auction = locks.auction(auction_id)
    if not access.may_manage(actor, auction):
        raise NotFound(_("No such auction."))
    if auction.cancellation_proposed_at is None or auction.status == Auction.Status.CANCELLED:
        raise InvalidTransition(_("No cancellation of this auction is waiting for a decision."))
    reason = auction.cancellation_reason
    auction.cancellation_reason, auction.cancellation_proposed_by = "", None
    auction.cancellation_proposed_at = None
    auction.save(
        update_fields=[
            "cancellation_reason",
            "cancellation_proposed_by",
            "cancellation_proposed_at",
        ]
    )
    audit.record(
        actor=actor,
        action="auction.cancellation_withdrawn",
        obj=auction,
        court_id=auction.court_id,
        before={"cancellation_reason": reason},
        after={"cancellation_reason": ""},
    )
    return auction


@transaction.atomic
def approve_cancellation(*, actor: User, auction_id: int) -> Auction:
    """A judge of the court approves the proposed cancellation; see the module's docstring.

    Locks every lot of the auction (ascending id), then the auction, as a withdrawal does
    (docs/concurrency.md, "The global order"): a bid or the clock's close holding a lot is
    either seen done here (a lot sold by it refuses the cancellation) or finds the lot
    cancelled. Raises NotFound, PermissionDenied (not a judge, or the proposer),
    InvalidTransition (nothing proposed, or closed), AuctionRuleError `auction_has_sold_lot`.
    """
    lot_ids = list(Lot.objects.filter(auction_id=auction_id).order_by("pk").values_list("pk"))
    lots = locks.lots([pk for (pk,) in lot_ids])
    auction = locks.auction(auction_id)
    if not access.may_manage(actor, auction) and not access.may_annul(actor, auction):
        raise NotFound(_("No such auction."))
    if not access.may_annul(actor, auction):
        raise PermissionDenied(_("Only a judge of the court approves a cancellation."))
    if auction.status not in CANCELLABLE or auction.cancellation_proposed_at is None:
        raise InvalidTransition(_("No cancellation of this auction is waiting for a decision."))
    if auction.cancellation_proposed_by_id == actor.pk:
        raise PermissionDenied(
            _("Another judge approves a cancellation you proposed."), code="same_person"
        )
    if any(lot.status == Lot.Status.SOLD for lot in lots):
        _refuse_if_sold(auction.pk)
    now = timezone.now()
    frames = [_cancel_lot(lot, auction, actor, now) for lot in lots if lot.status in OPEN_STATES]
    for lot in lots:
        if lot.status == Lot.Status.UNSOLD and lot.settled_at is None:
            lifecycle.settle_lot(lot_id=lot.pk)  # its deposits go back now, not at the next tick
    before = auction.status
    auction.status, auction.cancelled_by, auction.cancelled_at = (
        Auction.Status.CANCELLED,
        actor,
        now,
    )
    auction.save(update_fields=["status", "cancelled_by", "cancelled_at"])
    audit.record(
        actor=actor,
        action="auction.cancelled",
        obj=auction,
        court_id=auction.court_id,
        before={"status": before},
        after={"status": auction.status, "lots_cancelled": len(frames)},
        note=auction.cancellation_reason,
    )
    events.publish_after_commit(frames)
    return auction


def _cancel_lot(lot: Lot, auction: Auction, actor: User, now: object) -> events.Frame:
    before = lot.status
    lot.status, lot.outcome = Lot.Status.WITHDRAWN, Lot.Outcome.AUCTION_CANCELLED
    lot.withdrawn_reason = auction.cancellation_reason
    lot.closed_at = lot.settled_at = now  # type: ignore[assignment]
    lot.save(update_fields=["status", "outcome", "withdrawn_reason", "closed_at", "settled_at"])
    for registration in locks.registrations_of(lot):
        registrations.refund_deposit(registration, reason="auction cancelled")
    if auction.status != Auction.Status.DRAFT:  # a draft's assets were never listed
        enforcement.mark_withdrawn(actor=actor, asset_id=lot.asset_id, note=auction.number)
    audit.record(
        actor=actor,
        action="lot.cancelled",
        obj=lot,
        court_id=auction.court_id,
        before={"status": before},
        after={"status": lot.status, "outcome": lot.outcome},
        note=auction.cancellation_reason,
    )
    return events.withdrawn_frame(lot)
