"""Who may take part in a lot, and who may manage auctions of a court."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.access import has_capability
from accounts.models import User
from accounts.roles import Capability, Role
from auction.models import Auction, Lot


def exclusion_reason(user: User, lot: Lot) -> Any | None:
    """Why `user` may not register for `lot`, or None when they may.

    The debtor and the applicant of the asset's file (matched by identity
    number), and staff and supervisors, never bid; the bidder must be verified.
    """
    if not user.is_active:
        return _("Your account is not active.")
    if user.role != Role.BIDDER:
        return _("Court staff and supervisors may not bid in judicial auctions.")
    if not user.is_verified:
        return _("Verify your identity before registering for a lot.")
    if _is_party_to_the_file(user, lot):
        return _("The debtor and the applicant of this enforcement file may not bid on its assets.")
    return None


def _is_party_to_the_file(user: User, lot: Lot) -> bool:
    from enforcement.models import FileParty

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
