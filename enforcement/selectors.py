"""Reads of enforcement records, always through what the user may see (enforcement.access)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.organisations import Court
from core import audit
from core.errors import NotFound
from core.models import AuditRecord
from core.money import Money
from core.pagination import Key, Keyset
from enforcement import access
from enforcement import history as labels
from enforcement.models import AgencyLetter, Appraisal, EnforcementFile, FileParty, SeizedAsset


def balance_owed(file: EnforcementFile) -> Money:
    """Claim + costs − what the applicants have been paid (never below zero)."""
    return file.balance_owed()


def court_today(court: Court) -> date:
    return timezone.localtime(timezone.now(), ZoneInfo(court.time_zone)).date()


def _missing() -> NotFound:
    return NotFound(_("Not found."))


def search_files(
    user: Any, *, query: str = "", status: str = "", mine: bool = False
) -> QuerySet[EnforcementFile]:
    """The user's court's files, matching number, party name or ID; newest first."""
    files = access.files_for(user).select_related("assigned_to")
    term = query.strip()
    if term:
        parties = FileParty.objects.filter(file=OuterRef("pk")).filter(
            Q(party__name_ar__icontains=term)
            | Q(party__name_en__icontains=term)
            | Q(party__id_number__icontains=term)
        )
        files = files.filter(Q(number__icontains=term) | Exists(parties))
    if status in EnforcementFile.Status.values:
        files = files.filter(status=status)
    if mine:
        files = files.filter(assigned_to_id=user.pk)
    return files.order_by(*FILE_ORDER.order())


# The files list, newest first, by keyset (core/pagination.py) on (court, opened_at, id).
FILE_ORDER = Keyset((Key("opened_at", "datetime"), Key("pk")), descending=True)


def get_file(user: Any, file_id: int) -> EnforcementFile:
    file = (
        access.files_for(user)
        .select_related("court", "assigned_to", "opened_by")
        .filter(pk=file_id)
        .first()
    )
    if file is None:
        raise _missing()
    return file


def parties_by_role(file: EnforcementFile) -> dict[str, list[Any]]:
    roles: dict[str, list[Any]] = {FileParty.Role.APPLICANT: [], FileParty.Role.DEBTOR: []}
    for link in file.file_parties.select_related("party").order_by("pk"):
        roles[link.role].append(link.party)
    return roles


def get_asset(user: Any, asset_id: int) -> SeizedAsset:
    asset = (
        access.assets_for(user)
        .select_related("file", "court", "registered_by", "approved_by", "order")
        .filter(pk=asset_id)
        .first()
    )
    if asset is None:
        raise _missing()
    return asset


def latest_appraisal(asset: SeizedAsset) -> Appraisal | None:
    return asset.appraisals.order_by("-recorded_at", "-pk").first()


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: str
    actor: str
    status_before: str | None
    status_after: str | None
    note: str

    @property
    def label(self) -> Any:
        return labels.action_label(self.action)

    @property
    def status_before_label(self) -> Any:
        return labels.status_label(self.status_before)

    @property
    def status_after_label(self) -> Any:
        return labels.status_label(self.status_after)


def history(obj: Any) -> list[HistoryEntry]:
    """The audit trail of one record, oldest first."""
    records = AuditRecord.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("at", "pk")
    return [
        HistoryEntry(
            at=record.at,
            action=record.action,
            actor=str(_("the platform"))
            if record.actor_label == audit.SYSTEM
            else record.actor_label,
            status_before=(record.before or {}).get("status"),
            status_after=(record.after or {}).get("status"),
            note=record.note,
        )
        for record in records
    ]


def _with_overdue(letters: QuerySet[AgencyLetter]) -> QuerySet[AgencyLetter]:
    today = timezone.localdate()
    return letters.annotate(
        is_overdue=Case(
            When(~Q(status=AgencyLetter.Status.ANSWERED) & Q(due_on__lt=today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def letters_overdue_first(
    user: Any, *, status: str = "", file_id: int | None = None
) -> QuerySet[AgencyLetter]:
    """Letters the user may see: overdue first, then by due date."""
    letters = _with_overdue(access.letters_for(user)).select_related("agency", "file", "court")
    if status in AgencyLetter.Status.values:
        letters = letters.filter(status=status)
    elif status == "OPEN":
        letters = letters.exclude(status=AgencyLetter.Status.ANSWERED)
    if file_id is not None:
        letters = letters.filter(file_id=file_id)
    return letters.order_by("-is_overdue", "due_on", "pk")


LETTER_ORDER = Keyset((Key("due_on", "date"), Key("pk")))


def letters_overdue_first_segments(user: Any, *, status: str = "") -> list[QuerySet[AgencyLetter]]:
    """`letters_overdue_first` as two keyset segments (core/pagination.py), each by due date.

    The overdue ones, then the others: each is read from the due-date index, wherever the
    page is.
    """
    letters = letters_overdue_first(user, status=status)
    overdue = ~Q(status=AgencyLetter.Status.ANSWERED) & Q(due_on__lt=timezone.localdate())
    return [letters.filter(overdue), letters.exclude(overdue)]


def get_letter(user: Any, letter_id: int) -> AgencyLetter:
    letter = (
        _with_overdue(access.letters_for(user))
        .select_related("agency", "file", "court", "asset", "order")
        .filter(pk=letter_id)
        .first()
    )
    if letter is None:
        raise _missing()
    return letter


def get_letter_by_number(user: Any, number: str) -> AgencyLetter:
    letter = (
        _with_overdue(access.letters_for(user))
        .select_related("agency", "file", "court", "asset", "order")
        .filter(number=number)
        .first()
    )
    if letter is None:
        raise _missing()
    return letter


def overdue_count(user: Any) -> int:
    return (
        access.letters_for(user)
        .exclude(status=AgencyLetter.Status.ANSWERED)
        .filter(due_on__lt=timezone.localdate())
        .count()
    )


def assets_awaiting_approval(user: Any) -> QuerySet[SeizedAsset]:
    return (
        access.assets_for(user)
        .filter(status=SeizedAsset.Status.APPRAISED)
        .exclude(registered_by_id=user.pk)
    )
