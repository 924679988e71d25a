"""Who may take part in a lot, and who may manage auctions of a court."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts import mandates
from accounts.access import has_capability
from accounts.models import Company, User
from accounts.roles import Capability, Role
from auction.models import Auction, Lot
from enforcement.models import FileParty

_NOT_ACTIVE = _("Your account is not active.")
_NOT_A_BIDDER = _("Court staff and supervisors may not bid in judicial auctions.")
_NOT_VERIFIED = _("Verify your identity before registering for a lot.")
NO_MANDATE = _(
    "You have no approved, unexpired power of attorney for this company: you cannot register "
    "or bid for it."
)


def account_bar(user: User) -> Any | None:
    """Why `user`'s account may not bid on any lot, or None when it may.

    Only an active, verified bidder bids: staff and supervisors never do. Registering
    applies this rule (`exclusion_reason`), and so does every bid, under the lot's lock
    (`auction.bidding.decide`), so an account changed since it registered bids no more.
    """
    if not user.is_active:
        return _NOT_ACTIVE
    if user.role != Role.BIDDER:
        return _NOT_A_BIDDER
    if not user.is_verified:
        return _NOT_VERIFIED
    return None


def exclusion_reason(user: User, lot: Lot) -> Any | None:
    """Why `user` may not register for `lot`, or None when they may.

    The debtor and the applicant of the asset's file (matched by identity
    number), and staff and supervisors, never bid; the bidder must be verified.
    """
    bar = account_bar(user)
    if bar is not None:
        return bar
    if _is_party_to_the_file(user, lot):
        return _("The debtor and the applicant of this enforcement file may not bid on its assets.")
    return None


def company_exclusion_reason(user: User, lot: Lot, company: Company) -> Any | None:
    """Why `user` may not register for `lot` for `company`, or None when they may.

    The representative's own bar applies (`exclusion_reason`); the power of attorney must be
    approved and unexpired; a company that is a party to the asset's file (matched by its
    commercial registration) never bids.
    """
    bar = exclusion_reason(user, lot)
    if bar is not None:
        return bar
    if mandates.valid_mandate(user_id=user.pk, company_id=company.pk) is None:
        return NO_MANDATE
    if _is_company_party(company, lot):
        return _("This company is a party to the enforcement file and may not bid on its assets.")
    return None


def _is_company_party(company: Company, lot: Lot) -> bool:
    return FileParty.objects.filter(
        file_id=lot.asset.file_id,
        party__id_kind="COMMERCIAL_REGISTRATION",
        party__id_country=company.registration_country,
        party__id_number=company.registration_number,
    ).exists()


def _is_party_to_the_file(user: User, lot: Lot) -> bool:

    same_person = Q(party__id_number=user.id_number, party__id_country=user.id_country)
    linked_account = Q(party__user=user)
    return (
        FileParty.objects.filter(file_id=lot.asset.file_id)
        .filter(same_person | linked_account)
        .exists()
    )


def may_manage(user: Any, auction: Auction) -> bool:
    """Execution staff and supervisors of the auction's court."""
    return bool(
        has_capability(user, Capability.MANAGE_AUCTIONS) and user.court_id == auction.court_id
    )


def may_edit_rules(user: Any, court_id: int) -> bool:
    return bool(has_capability(user, Capability.EDIT_SALE_RULES) and user.court_id == court_id)


def may_annul(user: Any, auction: Auction) -> bool:
    return bool(
        has_capability(user, Capability.APPROVE_SALES) and user.court_id == auction.court_id
    )
