"""Next rounds: staff propose to offer an unsold lot's asset again, a judge approves.

An unsold lot (no bid, the reserve not met, or every buyer defaulted) whose asset is
still unsold and whose rounds are not used up is listed in the workspace with the opening
price the court's rule gives its next round (`lifecycle.next_round_opening`, from the rules
the lot was sold under). Execution staff propose it for a later draft auction of the
court; a supervisor (the execution judge) approves, which adds the next round's lot to
that auction with its history (`Lot.previous_lot`, `Lot.round`), or rejects it with a
reason. One proposal may await the judge per lot.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import has_capability
from accounts.models import User
from accounts.roles import Capability
from auction import access, locks
from auction.errors import AuctionRuleError
from auction.models import Auction, Lot, RoundProposal
from auction.services import lifecycle
from core import audit
from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from core.money import Money
from enforcement.models import SeizedAsset


@dataclass(frozen=True)
class Unsold:
    """An unsold lot that may go to a next round, with what the rule proposes for it."""

    lot: Lot
    next_round: int
    opening: Money
    share_bp: int | None  # the opening as basis points of the appraisal, when there is one
    appraisal: Money | None
    history: list[Lot]  # the earlier rounds, the latest first
    proposal: RoundProposal | None


def history(lot: Lot) -> list[Lot]:
    """The rounds before `lot`, the latest first."""
    earlier: list[Lot] = []
    current = lot.previous_lot
    while current is not None and len(earlier) < 20:
        earlier.append(current)
        current = current.previous_lot
    return earlier


def unsold_lots(*, court_id: int | None) -> list[Unsold]:
    """The court's unsold lots whose asset awaits a next round, newest close first."""
    if court_id is None:
        return []
    lots = (
        Lot.objects.filter(
            auction__court_id=court_id,
            status=Lot.Status.UNSOLD,
            asset__status=SeizedAsset.Status.UNSOLD,
        )
        .exclude(next_rounds__isnull=False)
        .select_related("auction", "asset", "asset__file", "previous_lot__auction")
        .order_by("-closed_at", "-pk")[:200]
    )
    pending = {
        p.lot_id: p
        for p in RoundProposal.objects.filter(
            lot__in=lots, status=RoundProposal.Status.PROPOSED
        ).select_related("auction", "proposed_by")
    }
    found = []
    for lot in lots:
        if not lifecycle.rounds_left(lot):
            continue
        opening = lifecycle.next_round_opening(lot)
        appraisal = lifecycle.appraised_value(lot.asset)
        share = (
            opening * 10_000 // appraisal.amount_minor
            if appraisal is not None and appraisal.amount_minor > 0
            else None
        )
        found.append(
            Unsold(
                lot=lot,
                next_round=lot.round + 1,
                opening=Money(opening, lot.currency),
                share_bp=share,
                appraisal=appraisal,
                history=[lot, *history(lot)],
                proposal=pending.get(lot.pk),
            )
        )
    return found


def target_auctions(*, court_id: int | None) -> list[Auction]:
    """Draft auctions of the court a next round may go to."""
    if court_id is None:
        return []
    return list(
        Auction.objects.filter(court_id=court_id, status=Auction.Status.DRAFT).order_by(
            "starts_at", "pk"
        )
    )


def pending_proposals(*, court_id: int | None) -> list[RoundProposal]:
    if court_id is None:
        return []
    return list(
        RoundProposal.objects.filter(
            lot__auction__court_id=court_id, status=RoundProposal.Status.PROPOSED
        )
        .select_related("lot__asset", "lot__auction", "auction", "proposed_by")
        .order_by("proposed_at", "pk")
    )


@transaction.atomic
def propose(
    *, actor: User, lot_id: int, auction_id: int, opening_minor: int | None = None
) -> RoundProposal:
    """Staff propose an unsold lot for a next round in a later draft auction of the court."""
    lot = Lot.objects.select_related("auction", "asset").filter(pk=lot_id).first()
    if lot is None or not access.may_manage(actor, lot.auction):
        raise NotFound(_("No such lot."))
    if lot.status != Lot.Status.UNSOLD or lot.asset.status != SeizedAsset.Status.UNSOLD:
        raise InvalidTransition(_("Only an unsold lot goes to a further round."))
    if lot.next_rounds.exists():
        raise InvalidTransition(_("This lot already went to a further round."))
    if not lifecycle.rounds_left(lot):
        raise AuctionRuleError(_("The rounds for this asset have run out."), code="no_more_rounds")
    target = Auction.objects.filter(pk=auction_id, court_id=lot.auction.court_id).first()
    if target is None:
        raise NotFound(_("No such auction."), field="auction")
    if target.status != Auction.Status.DRAFT:
        raise AuctionRuleError(
            _("A next round goes into a draft auction."), code="next_round_draft", field="auction"
        )
    if target.starts_at <= lot.auction.ends_at:
        raise AuctionRuleError(
            _("The next round must be in a later auction."),
            code="next_round_not_later",
            field="auction",
        )
    if opening_minor is not None and opening_minor <= 0:
        raise DomainError(
            _("The opening price must be positive."), code="opening_price", field="opening"
        )
    if opening_minor is not None and opening_minor > lot.opening_minor:
        # A further round is offered for less, never for more than the round that did not sell.
        raise DomainError(
            _("A next round opens at most at the previous round's opening (%(previous)s)."),
            code="next_round_opening_above",
            field="opening",
            params={"previous": Money(lot.opening_minor, lot.currency).format()},
        )
    try:
        with transaction.atomic():
            proposal = RoundProposal.objects.create(
                lot=lot,
                auction=target,
                round=lot.round + 1,
                opening_minor=opening_minor or lifecycle.next_round_opening(lot),
                proposed_by=actor,
            )
    except IntegrityError:
        raise AuctionRuleError(
            _("This lot already has a proposal awaiting the judge."),
            code="next_round_proposed",
            field="lot",
        ) from None
    audit.record(
        actor=actor,
        action="lot.next_round_proposed",
        obj=lot,
        court_id=lot.auction.court_id,
        after={"auction": target.pk, "round": proposal.round, "opening": proposal.opening_minor},
    )
    return proposal


def may_decide(user: User, court_id: int) -> bool:
    return bool(has_capability(user, Capability.APPROVE_SALES) and user.court_id == court_id)


@transaction.atomic
def decide(*, actor: User, proposal_id: int, approve: bool, note: str = "") -> RoundProposal:
    """The judge approves (the lot is relisted in the proposed auction) or rejects (with a
    reason) a proposal that awaits them."""
    if not has_capability(actor, Capability.APPROVE_SALES) or actor.court_id is None:
        raise PermissionDenied(_("Only the execution judge decides a next round."))
    proposal = locks.round_proposal(proposal_id, actor.court_id)
    if proposal is None:
        raise NotFound(_("No such proposal."))
    if proposal.status != RoundProposal.Status.PROPOSED:
        raise InvalidTransition(_("This proposal was already decided."))
    if not approve and not note.strip():
        raise DomainError(_("Give the reason for the rejection."), code="required", field="note")
    if approve:
        proposal.new_lot = lifecycle.start_next_round(
            actor=actor,
            lot_id=proposal.lot_id,
            auction_id=proposal.auction_id,
            opening_minor=proposal.opening_minor,
        )
    proposal.status = RoundProposal.Status.APPROVED if approve else RoundProposal.Status.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.note = actor, timezone.now(), note.strip()
    proposal.save(update_fields=["status", "decided_by", "decided_at", "note", "new_lot"])
    audit.record(
        actor=actor,
        action=f"lot.next_round_{proposal.status.lower()}",
        obj=proposal.lot,
        court_id=actor.court_id,
        after={"proposal": proposal.pk, "new_lot": proposal.new_lot_id},
        note=proposal.note,
    )
    return proposal
