"""Who may see or do what after the sale: finance staff of the court, buyers, debtors."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.access import has_capability
from accounts.roles import Capability, Role
from core.errors import NotFound, PermissionDenied
from enforcement.models import EnforcementFile, FileParty


def _own_court(user: Any, court_id: int) -> bool:
    return bool(user.is_authenticated and user.court_id is not None and user.court_id == court_id)


def require(user: Any, capability: str, court_id: int) -> None:
    """PermissionDenied without the capability; NotFound for another court's record."""
    if not has_capability(user, capability):
        raise PermissionDenied()
    if not _own_court(user, court_id):
        raise NotFound()


def may_view_finance(user: Any) -> bool:
    return has_capability(user, Capability.VIEW_LEDGER) and user.court_id is not None


def may_prepare(user: Any) -> bool:
    return has_capability(user, Capability.PREPARE_DISBURSEMENTS)


def may_approve(user: Any) -> bool:
    return has_capability(user, Capability.APPROVE_DISBURSEMENTS)


def is_supervisor(user: Any) -> bool:
    return bool(user.role == Role.SUPERVISOR)


def debtor_links(user: Any) -> QuerySet[FileParty]:
    """The files on which `user` is a debtor: linked to the party, or the same verified identity."""
    if not user.is_authenticated:
        return FileParty.objects.none()
    same_identity = Q(party__id_number=user.id_number, party__id_country=user.id_country)
    if not getattr(user, "is_verified", False):
        same_identity = Q(pk__in=[])
    return FileParty.objects.filter(role=FileParty.Role.DEBTOR).filter(
        Q(party__user=user) | same_identity
    )


def files_as_debtor(user: Any) -> QuerySet[EnforcementFile]:
    return EnforcementFile.objects.filter(
        pk__in=debtor_links(user).values("file_id")
    ).select_related("court")
