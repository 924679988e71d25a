"""Reads of settlements (their schedule and what is due next) and of overdue agency letters."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    Q,
    QuerySet,
)
from django.utils import timezone

from core.money import Money
from enforcement import access
from enforcement.models import AgencyLetter, EnforcementFile, Instalment, Settlement


@dataclass(frozen=True)
class InstalmentRow:
    number: int
    due_on: date
    amount: Money
    is_paid: bool
    is_overdue: bool
    is_late: bool
    paid_at: Any


@dataclass(frozen=True)
class SettlementView:
    settlement: Settlement
    rows: list[InstalmentRow]
    paid: Money
    remaining: Money
    next_due: InstalmentRow | None


def court_today(file: EnforcementFile) -> date:
    return timezone.localtime(timezone.now(), ZoneInfo(file.court.time_zone)).date()


def describe(settlement: Settlement) -> SettlementView:
    """The schedule with each instalment's state, what is paid and remains, and what is next."""
    today = court_today(settlement.file)
    rows = [
        InstalmentRow(
            number=instalment.number,
            due_on=instalment.due_on,
            amount=Money(instalment.amount_minor, settlement.currency),
            is_paid=instalment.paid_at is not None,
            is_overdue=instalment.paid_at is None and instalment.due_on < today,
            is_late=instalment.is_late,
            paid_at=instalment.paid_at,
        )
        for instalment in settlement.instalments.order_by("number")
    ]
    paid = sum(row.amount.amount_minor for row in rows if row.is_paid)
    return SettlementView(
        settlement=settlement,
        rows=rows,
        paid=Money(paid, settlement.currency),
        remaining=Money(settlement.total_minor - paid, settlement.currency),
        next_due=next((row for row in rows if not row.is_paid), None),
    )


def latest_for_file(file: EnforcementFile) -> Settlement | None:
    """The file's settlement awaiting the judge or in force, else its most recent one."""
    settlements = file.settlements.select_related("decided_by", "proposed_by", "file__court")
    live = settlements.filter(status__in=[Settlement.Status.PROPOSED, Settlement.Status.APPROVED])
    return live.first() or settlements.first()


def settlements_for(user: Any) -> QuerySet[Settlement]:
    """The settlements of the files of the user's court."""
    return Settlement.objects.filter(file__in=access.files_for(user)).select_related(
        "file__court", "proposed_by", "decided_by", "court"
    )


def awaiting_decision(user: Any) -> QuerySet[Settlement]:
    return settlements_for(user).filter(status=Settlement.Status.PROPOSED).order_by("proposed_at")


def instalments_of(settlement: Settlement) -> QuerySet[Instalment]:
    return settlement.instalments.order_by("number")


class MedianSeconds(Aggregate):
    """PostgreSQL's median of a duration, in seconds (`percentile_cont(0.5)`)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s))"
    output_field = FloatField()


@dataclass(frozen=True)
class AgencyFollowUp:
    agency_id: int
    agency: Any
    overdue: int
    oldest_due_on: date | None
    median_answer: timedelta | None
    answered: int

    @property
    def median_seconds(self) -> float | None:
        return self.median_answer.total_seconds() if self.median_answer is not None else None


def overdue_by_agency(user: Any) -> list[AgencyFollowUp]:
    """Per agency the court writes to: letters overdue, the oldest due date among them, and the
    median time agencies took to answer (answered letters), all computed by the database."""
    today = timezone.localdate()
    letters = access.letters_for(user)
    overdue = ~Q(status=AgencyLetter.Status.ANSWERED) & Q(due_on__lt=today)
    answered = Q(status=AgencyLetter.Status.ANSWERED, answered_at__isnull=False)
    took = ExpressionWrapper(F("answered_at") - F("sent_at"), output_field=DurationField())
    figures: dict[str, Any] = {
        "overdue": Count("pk", filter=overdue),
        "oldest": Min("due_on", filter=overdue),
        "answered": Count("pk", filter=answered),
    }
    on_postgres = connection.vendor == "postgresql"
    if on_postgres:
        figures["median"] = MedianSeconds(took, filter=answered)
    rows = list(letters.values("agency_id").annotate(**figures).order_by("-overdue", "oldest"))
    from accounts.organisations import Agency

    agencies = Agency.objects.in_bulk([row["agency_id"] for row in rows])
    result = []
    for row in rows:
        if on_postgres:
            median = row["median"]
        else:  # the embedded SQLite has no percentile_cont: the same median, read in Python
            spans = letters.filter(answered, agency_id=row["agency_id"]).values_list(
                "sent_at", "answered_at"
            )
            seconds = [(end - start).total_seconds() for start, end in spans if end and start]
            median = statistics.median(seconds) if seconds else None
        result.append(
            AgencyFollowUp(
                agency_id=row["agency_id"],
                agency=agencies[row["agency_id"]],
                overdue=row["overdue"],
                oldest_due_on=row["oldest"],
                median_answer=timedelta(seconds=median) if median is not None else None,
                answered=row["answered"],
            )
        )
    return result
