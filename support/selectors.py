"""Reads of the support desk: a court's service settings, a user's own records, the queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from auction.models import Lot, Registration
from core.errors import NotFound
from core.pagination import Key, Keyset, KeysetPage, paginate
from enforcement.models import EnforcementFile
from payments.models import Payment
from support import access, engine
from support.models import (
    Holiday,
    Kind,
    LinkKind,
    Message,
    ServiceCalendar,
    ServiceTarget,
    Status,
    Ticket,
)


@dataclass(frozen=True)
class Target:
    kind: str
    first_response_hours: int
    resolution_hours: int

    @property
    def first_response(self) -> timedelta:
        return timedelta(hours=self.first_response_hours)

    @property
    def resolution(self) -> timedelta:
        return timedelta(hours=self.resolution_hours)


@dataclass(frozen=True)
class ServiceSettings:
    """A court's calendar, reopen window and targets (the defaults where it set none)."""

    calendar: engine.Calendar
    reopen_days: int
    targets: dict[str, Target]


def holiday_dates(court_id: int) -> frozenset[date]:
    days: set[date] = set()
    for starts_on, ends_on in Holiday.objects.filter(court_id=court_id).values_list(
        "starts_on", "ends_on"
    ):
        days.update(starts_on + timedelta(days=n) for n in range((ends_on - starts_on).days + 1))
    return frozenset(days)


def service_settings(court: Any) -> ServiceSettings:
    stored = ServiceCalendar.objects.filter(court_id=court.pk).first()
    calendar = engine.Calendar(
        zone=court.time_zone,
        weekend=frozenset(stored.weekend_days) if stored else engine.GULF_WEEKEND,
        opens=stored.opens_at if stored else engine.DEFAULT_OPENS,
        closes=stored.closes_at if stored else engine.DEFAULT_CLOSES,
        holidays=holiday_dates(court.pk),
    )
    targets = {kind: Target(kind, *hours) for kind, hours in engine.DEFAULT_TARGET_HOURS.items()}
    for row in ServiceTarget.objects.filter(court_id=court.pk):
        targets[row.kind] = Target(row.kind, row.first_response_hours, row.resolution_hours)
    reopen_days = stored.reopen_days if stored else engine.DEFAULT_REOPEN_DAYS
    return ServiceSettings(calendar=calendar, reopen_days=reopen_days, targets=targets)


def targets_in_order(settings: ServiceSettings) -> list[tuple[str, Any, Target]]:
    return [(kind, label, settings.targets[kind]) for kind, label in Kind.choices]


# The records a requester may link a ticket to: only their own.


@dataclass(frozen=True)
class LinkOption:
    value: str
    label: str


def _own_lots(user: Any) -> QuerySet[Any]:
    return Lot.objects.filter(registrations__bidder=user).select_related("auction", "asset")


def _own_registrations(user: Any) -> QuerySet[Any]:
    return Registration.objects.filter(bidder=user).select_related("lot__auction", "lot__asset")


def _own_payments(user: Any) -> QuerySet[Any]:
    return Payment.objects.filter(payer=user).select_related("court")


def _own_files(user: Any) -> QuerySet[Any]:
    return EnforcementFile.objects.filter(
        Q(file_parties__party__user=user) | Q(request__submitted_by=user)
    ).distinct()


def link_options(user: Any) -> list[tuple[str, list[LinkOption]]]:
    """The user's own lots, registrations, payments and files, grouped, newest first."""
    groups: list[tuple[str, list[LinkOption]]] = [
        (
            _("My lots"),
            [
                LinkOption(f"LOT:{lot.pk}", f"{lot.reference} · {lot.asset.title}")
                for lot in _own_lots(user).order_by("-pk")[:50]
            ],
        ),
        (
            _("My registrations"),
            [
                LinkOption(
                    f"REGISTRATION:{reg.pk}",
                    _("Paddle %(paddle)s · %(lot)s · %(deposit)s")
                    % {
                        "paddle": reg.paddle,
                        "lot": reg.lot.reference,
                        "deposit": reg.get_deposit_status_display(),
                    },
                )
                for reg in _own_registrations(user).order_by("-pk")[:50]
            ],
        ),
        (
            _("My payments"),
            [
                LinkOption(
                    f"PAYMENT:{payment.pk}",
                    f"{payment.get_purpose_display()} · {payment.money.format()} · "
                    f"{payment.reference}",
                )
                for payment in _own_payments(user).order_by("-pk")[:50]
            ],
        ),
        (
            _("My enforcement files"),
            [
                LinkOption(f"FILE:{file.pk}", file.number)
                for file in _own_files(user).order_by("-pk")[:50]
            ],
        ),
    ]
    return [(label, options) for label, options in groups if options]


def own_linked_record(user: Any, kind: str, pk: int) -> tuple[Any, Any]:
    """The user's own record of `kind` and the court it belongs to; NotFound otherwise."""
    lookups: dict[str, tuple[Callable[[Any], QuerySet[Any]], Callable[[Any], Any]]] = {
        LinkKind.LOT: (_own_lots, lambda lot: lot.auction.court),
        LinkKind.REGISTRATION: (_own_registrations, lambda reg: reg.lot.auction.court),
        LinkKind.PAYMENT: (_own_payments, lambda payment: payment.court),
        LinkKind.FILE: (_own_files, lambda file: file.court),
    }
    if kind not in lookups:
        raise NotFound(field="about")
    own, court_of = lookups[kind]
    found = own(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Choose one of your own records."), field="about")
    return found, court_of(found)


# Tickets


def ticket_for(user: Any, number: str) -> Ticket:
    found = (
        access.tickets_for(user)
        .select_related(
            "court",
            "requester",
            "resolved_by",
            "lot__auction",
            "lot__asset",
            "registration__lot__auction",
            "payment",
            "file",
        )
        .filter(number=number)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def thread(ticket: Ticket) -> QuerySet[Message]:
    return ticket.messages.select_related("author").prefetch_related("attachments")


def reopen_deadline(ticket: Ticket, settings: ServiceSettings) -> datetime | None:
    if ticket.status != Status.RESOLVED or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + timedelta(days=settings.reopen_days)


def may_reopen(ticket: Ticket, settings: ServiceSettings, now: datetime | None = None) -> bool:
    deadline = reopen_deadline(ticket, settings)
    return deadline is not None and (now or timezone.now()) <= deadline


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    response_state: str
    resolution_state: str

    @property
    def stands_out(self) -> str:
        """PAST when either target is past, NEAR when either is near, else ''."""
        states = {self.response_state, self.resolution_state}
        for state in (engine.PAST, engine.NEAR):
            if state in states:
                return state
        return ""


def ticket_states(ticket: Ticket, calendar: engine.Calendar, now: datetime) -> tuple[str, str]:
    """The first-response and resolution target states of one ticket at `now`."""
    response = engine.target_state(
        calendar,
        now=now,
        due_at=ticket.first_response_due_at,
        target=timedelta(minutes=ticket.first_response_target_minutes),
        done_at=ticket.first_response_at,
    )
    resolution_due = ticket.resolution_due_at
    if ticket.status == Status.AWAITING_INFORMATION:
        # The resolution clock stops while the requester owes information.
        resolution = engine.ON_TRACK
    else:
        resolution = engine.target_state(
            calendar,
            now=now,
            due_at=resolution_due,
            target=timedelta(minutes=ticket.resolution_target_minutes),
            done_at=ticket.resolved_at if not ticket.is_pending else None,
        )
    return response, resolution


QUEUE_STATUSES = {
    "PENDING": [Status.OPEN, Status.AWAITING_INFORMATION],
    Status.OPEN: [Status.OPEN],
    Status.AWAITING_INFORMATION: [Status.AWAITING_INFORMATION],
    Status.RESOLVED: [Status.RESOLVED, Status.CLOSED],
}


@dataclass(frozen=True)
class QueueFilter:
    status: str = "PENDING"
    team: str = ""
    kind: str = ""
    topic: str = ""
    target: str = ""
    search: str = ""


QUEUE_ORDER = Keyset((Key("resolution_due_at", "datetime"), Key("pk")))
RESOLVED_ORDER = Keyset((Key("resolved_key", "datetime"), Key("pk")), descending=True)
QUEUE_PAGE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _queue_tickets(user: Any, chosen: QueueFilter) -> tuple[QuerySet[Ticket], Keyset]:
    """Staff's tickets for a filter, unordered, and the order the queue reads them in."""
    tickets = access.tickets_for(user).select_related("requester", "court")
    if chosen.status in QUEUE_STATUSES:
        tickets = tickets.filter(status__in=QUEUE_STATUSES[chosen.status])
    for name in ("team", "kind", "topic"):
        value = getattr(chosen, name)
        if value:
            tickets = tickets.filter(**{name: value})
    if chosen.search:
        term = chosen.search.strip()
        tickets = tickets.filter(
            Q(number__icontains=term)
            | Q(subject__icontains=term)
            | Q(requester__full_name__icontains=term)
        )
    if chosen.status == Status.RESOLVED:
        return tickets.annotate(resolved_key=Coalesce("resolved_at", Value(EPOCH))), RESOLVED_ORDER
    return tickets, QUEUE_ORDER


def _stands_out_as(target: str, calendar: Any, now: datetime) -> Callable[[Ticket], bool] | None:
    if target not in (engine.PAST, engine.NEAR):
        return None

    def keep(ticket: Ticket) -> bool:
        return QueueRow(ticket, *ticket_states(ticket, calendar, now)).stands_out == target

    return keep


def queue(
    user: Any, court: Any, chosen: QueueFilter, now: datetime | None = None
) -> list[QueueRow]:
    """Staff's tickets: pending ones by resolution due (most urgent first), with target states.

    Every ticket of the filter, however many (the page reads `queue_page`).
    """
    now = now or timezone.now()
    tickets, order = _queue_tickets(user, chosen)
    calendar = service_settings(court).calendar
    rows = [
        QueueRow(ticket, *ticket_states(ticket, calendar, now))
        for ticket in tickets.order_by(*order.order())
    ]
    if chosen.target in (engine.PAST, engine.NEAR):
        rows = [row for row in rows if row.stands_out == chosen.target]
    return rows


def queue_page(
    user: Any, court: Any, chosen: QueueFilter, query: QueryDict, now: datetime | None = None
) -> tuple[KeysetPage, list[QueueRow]]:
    """One keyset page of the queue (core/pagination.py) and its rows with their target states."""
    now = now or timezone.now()
    tickets, order = _queue_tickets(user, chosen)
    calendar = service_settings(court).calendar
    keep = _stands_out_as(chosen.target, calendar, now)
    page = paginate([tickets], order, query, size=QUEUE_PAGE, keep=keep)
    rows = [QueueRow(ticket, *ticket_states(ticket, calendar, now)) for ticket in page.rows]
    return page, rows


def counts_needing_attention(user: Any, now: datetime | None = None) -> dict[str, int]:
    """How many pending tickets of the user's teams are past or near a target (workspace card)."""
    if not access.is_desk_staff(user):
        return {"pending": 0, "past": 0, "near": 0}
    rows = queue(user, user.court, QueueFilter(), now)
    return {
        "pending": len(rows),
        "past": sum(1 for row in rows if row.stands_out == engine.PAST),
        "near": sum(1 for row in rows if row.stands_out == engine.NEAR),
    }


def tickets_of_requester(user: Any) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(requester_id=user.pk)
        .select_related("court")
        .order_by("-updated_at", "-pk")
    )
