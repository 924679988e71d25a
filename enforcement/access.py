"""Who may see or do what in enforcement.

Court staff see only their own court's records, agency users only the letters
sent to their agency, applicants only their own requests. Objects outside a
user's reach are "not found", exactly like objects that do not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts import mandates
from accounts.access import has_capability
from accounts.roles import Capability
from core.errors import NotFound, PermissionDenied
from enforcement.engine import ASSET_PUBLIC
from enforcement.models import (
    AgencyLetter,
    AssetImport,
    EnforcementFile,
    EnforcementRequest,
    FileParty,
    Party,
    SeizedAsset,
    SeizureOrder,
)


def court_id_of(user: Any) -> int | None:
    """The court whose records `user` works on, or None."""
    if user.is_authenticated and user.is_active and user.is_court_staff:
        return int(user.court_id) if user.court_id is not None else None
    return None


NO_COURT = 0  # no court has this primary key, so filtering by it finds nothing


def _own_court(user: Any) -> int:
    return court_id_of(user) or NO_COURT


def require(user: Any, capability: str) -> None:
    """Raise PermissionDenied unless `user` holds `capability`."""
    if not has_capability(user, capability):
        raise PermissionDenied(_("Your role does not allow this."))


def require_same_court(user: Any, court_id: int) -> None:
    """Raise NotFound (never "forbidden") when the record belongs to another court."""
    if court_id_of(user) != court_id:
        raise NotFound(_("Not found."))


def files_for(user: Any) -> QuerySet[EnforcementFile]:
    if not has_capability(user, Capability.VIEW_FILES):
        return EnforcementFile.objects.none()
    return EnforcementFile.objects.filter(court_id=_own_court(user))


def parties_for(user: Any) -> QuerySet[Party]:
    if not has_capability(user, Capability.VIEW_FILES):
        return Party.objects.none()
    return Party.objects.filter(court_id=_own_court(user))


def assets_for(user: Any) -> QuerySet[SeizedAsset]:
    if not has_capability(user, Capability.VIEW_FILES):
        return SeizedAsset.objects.none()
    return SeizedAsset.objects.filter(court_id=_own_court(user))


def orders_for(user: Any) -> QuerySet[SeizureOrder]:
    if not has_capability(user, Capability.VIEW_FILES):
        return SeizureOrder.objects.none()
    return SeizureOrder.objects.filter(file__court_id=_own_court(user))


def letters_for(user: Any) -> QuerySet[AgencyLetter]:
    """Court staff: their court's letters. Agency users: the letters sent to their agency."""
    if has_capability(user, Capability.ANSWER_LETTERS) and user.agency_id is not None:
        return AgencyLetter.objects.filter(agency_id=user.agency_id)
    if has_capability(user, Capability.VIEW_FILES):
        return AgencyLetter.objects.filter(court_id=_own_court(user))
    return AgencyLetter.objects.none()


def letters_scope(user: Any) -> str | None:
    """Whose letters `letters_for` shows `user`, as a name (`letters:court:3`), or None."""
    if has_capability(user, Capability.ANSWER_LETTERS) and user.agency_id is not None:
        return f"letters:agency:{user.agency_id}"
    if has_capability(user, Capability.VIEW_FILES):
        return f"letters:court:{_own_court(user)}"
    return None


def letter_scopes(letter: AgencyLetter) -> list[str]:
    """The `letters_scope` names whose lists show `letter`."""
    return [f"letters:court:{letter.court_id}", f"letters:agency:{letter.agency_id}"]


def requests_for(user: Any) -> QuerySet[EnforcementRequest]:
    """Staff who manage files: their court's requests. Applicants: their own."""
    if has_capability(user, Capability.MANAGE_FILES):
        return EnforcementRequest.objects.filter(court_id=_own_court(user))
    if has_capability(user, Capability.FILE_REQUESTS):
        return EnforcementRequest.objects.filter(submitted_by_id=user.pk)
    return EnforcementRequest.objects.none()


def imports_for(user: Any) -> QuerySet[AssetImport]:
    if not has_capability(user, Capability.MANAGE_FILES):
        return AssetImport.objects.none()
    return AssetImport.objects.filter(court_id=_own_court(user))


def may_see_asset_photos(user: Any, asset: SeizedAsset) -> bool:
    """Staff of the asset's court always; anyone once the asset is on public sale."""
    if asset.status in ASSET_PUBLIC:
        return True
    return has_capability(user, Capability.VIEW_FILES) and court_id_of(user) == asset.court_id


def debtor_links(user: Any) -> QuerySet[FileParty]:
    """The debtor roles that are `user`'s: a party linked to the account; for a verified user,
    a person with the same national ID, or a company they represent today (approved power of
    attorney) with the same commercial registration number."""
    if not (user.is_authenticated and user.is_active):
        return FileParty.objects.none()
    match = Q(party__user_id=user.pk)
    if user.is_verified and user.id_number:
        match |= Q(party__id_country=user.id_country, party__id_number=user.id_number) & ~Q(
            party__id_kind=Party.IdKind.COMMERCIAL_REGISTRATION
        )
        for mandate in mandates.valid_mandates(user):
            match |= Q(
                party__id_kind=Party.IdKind.COMMERCIAL_REGISTRATION,
                party__id_country=mandate.company.registration_country,
                party__id_number=mandate.company.registration_number,
            )
    return FileParty.objects.filter(role=FileParty.Role.DEBTOR).filter(match)


def files_as_debtor(user: Any) -> QuerySet[EnforcementFile]:
    """The files on which `user` (or a company they represent) is the debtor."""
    return EnforcementFile.objects.filter(pk__in=debtor_links(user).values("file_id"))
