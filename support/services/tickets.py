"""The support desk's verbs: open, answer, ask, resolve, reopen, rate; each one audited.

    ticket = open_ticket(requester=user, kind="COMPLAINT", topic="DEPOSIT",
                         subject="My deposit was not refunded", body="...",
                         link=Link("REGISTRATION", registration.pk))
    reply(actor=staff, ticket_id=ticket.pk, body="The refund was sent today.")
    resolve(actor=staff, ticket_id=ticket.pk, body="Refunded; receipt RFD-...")
    rate(requester=user, ticket_id=ticket.pk, score=5, comment="Quick, thank you")

Every message is written with an audit record of the same transaction (the
text in its note, the state before and after); the requester and the team
hear about it after commit (support.events).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.organisations import Court
from core import audit
from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from core.numbering import next_number
from core.uploads import validate_document
from support import access, engine, events, locks, selectors
from support.models import Attachment, Kind, LinkKind, Message, Rating, Status, Ticket, Topic

SUBJECT_MAX = 150
BODY_MAX = 5000
COMMENT_MAX = 2000
MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
TICKET_FIELDS = (
    "status",
    "first_response_at",
    "first_response_minutes",
    "information_requested_at",
    "waiting_minutes",
    "resolution_due_at",
    "resolved_at",
    "resolved_by",
    "resolution_minutes",
    "reopened_count",
)


@dataclass(frozen=True)
class Link:
    """What a ticket is about: one of the requester's own records."""

    kind: str
    pk: int


def _text(value: str, field: str, maximum: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("This field is required."), code="required", field=field)
    if len(value) > maximum:
        raise DomainError(
            _("Keep this to %(maximum)s characters at most."),
            code="too_long",
            field=field,
            params={"maximum": maximum},
        )
    return value


def _choice(value: str, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise DomainError(_("Choose one of the options."), code="invalid_choice", field=field)
    return value


def _check_attachments(uploads: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    """Each upload with its content type; refuses more than three, or anything but PDF/images."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise DomainError(
            _("Attach at most %(count)s files."),
            code="too_many_attachments",
            field="attachments",
            params={"count": MAX_ATTACHMENTS},
        )
    checked = []
    for upload in uploads:
        try:
            checked.append((upload, validate_document(upload, max_bytes=MAX_ATTACHMENT_BYTES)))
        except ValidationError as error:
            raise DomainError(
                error.messages[0], code=error.code or "attachment", field="attachments"
            ) from error
    return checked


def _write_message(
    ticket: Ticket,
    *,
    author: Any,
    action: str,
    body: str,
    uploads: list[tuple[UploadedFile, str]],
    at: datetime,
) -> Message:
    message = Message.objects.create(
        ticket=ticket,
        author=author,
        is_from_staff=author.pk != ticket.requester_id,
        action=action,
        body=body,
        created_at=at,
    )
    for upload, content_type in uploads:
        name = os.path.basename(upload.name or "attachment")[-100:] or "attachment"
        attachment = Attachment(
            message=message,
            original_name=name,
            content_type=content_type,
            size_bytes=upload.size or 0,
        )
        attachment.document.save(name, upload, save=False)
        attachment.save()
    ticket.updated_at = at
    return message


def _audit(
    ticket: Ticket,
    *,
    actor: Any,
    message: Message | None,
    before: dict[str, Any] | None,
    action: str,
) -> None:
    after = audit.snapshot(ticket, TICKET_FIELDS)
    if message is not None:
        after["message"] = message.pk
        after["attachments"] = [a.original_name for a in message.attachments.all()]
    audit.record(
        actor=actor,
        action=f"ticket.{action}",
        obj=ticket,
        before=before,
        after=after,
        court_id=ticket.court_id,
        note=message.body if message is not None else "",
    )


def _court_for(requester: Any, court_id: int | None, link: Link | None) -> tuple[Court, Any]:
    if link is not None:
        record, court = selectors.own_linked_record(requester, link.kind, link.pk)
        return court, record
    court = Court.objects.filter(pk=court_id).first() if court_id else None
    if court is None:
        raise DomainError(
            _("Choose the court your ticket is for, or what it is about."),
            code="court_required",
            field="court",
        )
    return court, None


def _number(court: Court, at: datetime) -> str:
    year = at.astimezone(selectors.service_settings(court).calendar.tz).year
    return f"{court.code}-T-{year}-{next_number(f'ticket:{court.code}:{year}'):06d}"


@transaction.atomic
def open_ticket(
    *,
    requester: Any,
    kind: str,
    topic: str,
    subject: str,
    body: str,
    court_id: int | None = None,
    link: Link | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> Ticket:
    """Open a ticket, routed to the team of its topic at the court of what it is about.

    The court comes from the linked record (which must be the requester's own)
    or, without one, from `court_id`. Raises PermissionDenied for users who do
    not open tickets, NotFound (field "about") for a record not their own, and
    DomainError naming the field for bad input.
    """
    if not access.may_open_tickets(requester):
        raise PermissionDenied(_("Your role does not allow this."))
    kind = _choice(kind, Kind, "kind")
    topic = _choice(topic, Topic, "topic")
    subject = _text(subject, "subject", SUBJECT_MAX)
    body = _text(body, "body", BODY_MAX)
    uploads = _check_attachments(attachments)
    court, record = _court_for(requester, court_id, link)
    settings = selectors.service_settings(court)
    target = settings.targets[kind]
    now = timezone.now()
    ticket = Ticket(
        number=_number(court, now),
        court=court,
        requester=requester,
        kind=kind,
        topic=topic,
        team=engine.team_for(topic),
        subject=subject,
        opened_at=now,
        updated_at=now,
        first_response_target_minutes=target.first_response_hours * 60,
        resolution_target_minutes=target.resolution_hours * 60,
        first_response_due_at=engine.add_working_time(
            settings.calendar, now, target.first_response
        ),
        resolution_due_at=engine.add_working_time(settings.calendar, now, target.resolution),
    )
    if link is not None:
        ticket.link_kind = link.kind
        setattr(ticket, LinkKind(link.kind).name.lower(), record)
    ticket.save()
    message = _write_message(
        ticket, author=requester, action=Message.Action.OPENED, body=body, uploads=uploads, at=now
    )
    _audit(ticket, actor=requester, message=message, before=None, action="opened")
    events.notify_requester(
        ticket, _("We received your ticket %(number)s: “%(subject)s”."), message=body
    )
    events.notify_team(ticket, _("New ticket %(number)s: %(subject)s"))
    return ticket


def _locked_for_staff(actor: Any, ticket_id: int) -> Ticket:
    ticket = locks.lock_ticket(ticket_id)
    if not access.may_answer(actor, ticket):
        if access.is_requester(actor, ticket):
            raise PermissionDenied(_("Only the court's staff can do this."))
        raise NotFound()
    return ticket


def _locked_for_requester(requester: Any, ticket_id: int) -> Ticket:
    ticket = locks.lock_ticket(ticket_id)
    if not access.is_requester(requester, ticket):
        raise NotFound()
    return ticket


def _require_pending(ticket: Ticket) -> None:
    if not ticket.is_pending:
        raise InvalidTransition(
            _("Not possible while the ticket is “%(status)s”."),
            field="status",
            params={"status": ticket.get_status_display()},
        )


def _working_minutes(ticket: Ticket, start: datetime, end: datetime) -> int:
    calendar = selectors.service_settings(ticket.court).calendar
    return engine.whole_minutes(engine.working_time(calendar, start, end))


def _mark_first_response(ticket: Ticket, at: datetime) -> None:
    if ticket.first_response_at is None:
        ticket.first_response_at = at
        ticket.first_response_minutes = _working_minutes(ticket, ticket.opened_at, at)


def _end_waiting(ticket: Ticket, at: datetime) -> None:
    """Stop the clock that ran while the requester owed information; move the resolution due."""
    if ticket.information_requested_at is None:
        return
    ticket.waiting_minutes += _working_minutes(ticket, ticket.information_requested_at, at)
    ticket.information_requested_at = None
    calendar = selectors.service_settings(ticket.court).calendar
    ticket.resolution_due_at = engine.add_working_time(
        calendar,
        ticket.opened_at,
        timedelta(minutes=ticket.resolution_target_minutes + ticket.waiting_minutes),
    )


def _staff_message(
    *,
    actor: Any,
    ticket_id: int,
    body: str,
    attachments: Sequence[UploadedFile],
    action: str,
) -> tuple[Ticket, Message, dict[str, Any]]:
    body = _text(body, "body", BODY_MAX)
    uploads = _check_attachments(attachments)
    ticket = _locked_for_staff(actor, ticket_id)
    _require_pending(ticket)
    before = audit.snapshot(ticket, TICKET_FIELDS)
    now = timezone.now()
    _mark_first_response(ticket, now)
    message = _write_message(
        ticket, author=actor, action=action, body=body, uploads=uploads, at=now
    )
    return ticket, message, before


@transaction.atomic
def reply(
    *, actor: Any, ticket_id: int, body: str, attachments: Sequence[UploadedFile] = ()
) -> Message:
    """Staff answer without closing the ticket. Raises NotFound outside their court or team."""
    ticket, message, before = _staff_message(
        actor=actor,
        ticket_id=ticket_id,
        body=body,
        attachments=attachments,
        action=Message.Action.REPLIED,
    )
    ticket.save()
    _audit(ticket, actor=actor, message=message, before=before, action="replied")
    events.notify_requester(ticket, _("The court replied to your ticket %(number)s."), body)
    return message


@transaction.atomic
def request_information(
    *, actor: Any, ticket_id: int, body: str, attachments: Sequence[UploadedFile] = ()
) -> Message:
    """Staff ask the requester for information; the resolution clock stops until they answer."""
    ticket, message, before = _staff_message(
        actor=actor,
        ticket_id=ticket_id,
        body=body,
        attachments=attachments,
        action=Message.Action.INFORMATION_REQUESTED,
    )
    if ticket.status == Status.OPEN:
        ticket.status = Status.AWAITING_INFORMATION
        ticket.information_requested_at = message.created_at
    ticket.save()
    _audit(ticket, actor=actor, message=message, before=before, action="information_requested")
    events.notify_requester(
        ticket, _("The court needs more information on your ticket %(number)s."), body
    )
    return message


@transaction.atomic
def resolve(
    *, actor: Any, ticket_id: int, body: str, attachments: Sequence[UploadedFile] = ()
) -> Message:
    """Staff resolve the ticket with a final answer; the requester may then rate or reopen it."""
    ticket, message, before = _staff_message(
        actor=actor,
        ticket_id=ticket_id,
        body=body,
        attachments=attachments,
        action=Message.Action.RESOLVED,
    )
    now = message.created_at
    _end_waiting(ticket, now)
    ticket.status = Status.RESOLVED
    ticket.resolved_at, ticket.resolved_by = now, actor
    elapsed = _working_minutes(ticket, ticket.opened_at, now)
    ticket.resolution_minutes = max(0, elapsed - ticket.waiting_minutes)
    ticket.save()
    _audit(ticket, actor=actor, message=message, before=before, action="resolved")
    events.notify_requester(
        ticket,
        _("Your ticket %(number)s was resolved. Please tell us how we did."),
        body,
    )
    return message


@transaction.atomic
def add_message(
    *, requester: Any, ticket_id: int, body: str, attachments: Sequence[UploadedFile] = ()
) -> Message:
    """The requester writes on a pending ticket; when it awaited their information, it reopens."""
    body = _text(body, "body", BODY_MAX)
    uploads = _check_attachments(attachments)
    ticket = _locked_for_requester(requester, ticket_id)
    if not ticket.is_pending:
        raise InvalidTransition(
            _("This ticket is resolved; reopen it to write again."), field="status"
        )
    before = audit.snapshot(ticket, TICKET_FIELDS)
    now = timezone.now()
    giving = ticket.status == Status.AWAITING_INFORMATION
    action = Message.Action.INFORMATION_GIVEN if giving else Message.Action.COMMENTED
    message = _write_message(
        ticket, author=requester, action=action, body=body, uploads=uploads, at=now
    )
    if giving:
        _end_waiting(ticket, now)
        ticket.status = Status.OPEN
    ticket.save()
    _audit(ticket, actor=requester, message=message, before=before, action=action.lower())
    events.notify_team(ticket, _("%(number)s: the requester wrote again."))
    return message


@transaction.atomic
def reopen(
    *, requester: Any, ticket_id: int, body: str, attachments: Sequence[UploadedFile] = ()
) -> Message:
    """The requester reopens a resolved, unrated ticket within the court's reopen window."""
    body = _text(body, "body", BODY_MAX)
    uploads = _check_attachments(attachments)
    ticket = _locked_for_requester(requester, ticket_id)
    settings = selectors.service_settings(ticket.court)
    if ticket.status != Status.RESOLVED:
        raise InvalidTransition(
            _("Not possible while the ticket is “%(status)s”."),
            field="status",
            params={"status": ticket.get_status_display()},
        )
    if not selectors.may_reopen(ticket, settings):
        raise InvalidTransition(
            _("A resolved ticket can be reopened within %(days)s days; please open a new one."),
            code="reopen_window_passed",
            field="status",
            params={"days": settings.reopen_days},
        )
    before = audit.snapshot(ticket, TICKET_FIELDS)
    now = timezone.now()
    message = _write_message(
        ticket,
        author=requester,
        action=Message.Action.REOPENED,
        body=body,
        uploads=uploads,
        at=now,
    )
    ticket.status = Status.OPEN
    ticket.resolved_at = ticket.resolved_by = ticket.resolution_minutes = None
    ticket.reopened_count += 1
    ticket.save()
    _audit(ticket, actor=requester, message=message, before=before, action="reopened")
    events.notify_team(ticket, _("%(number)s was reopened by the requester."))
    return message


@transaction.atomic
def rate(*, requester: Any, ticket_id: int, score: int | None, comment: str = "") -> Rating:
    """The requester rates a resolved ticket from 1 to 5; the rating closes it for good."""
    ticket = _locked_for_requester(requester, ticket_id)
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError(_("Choose a rating from 1 to 5."), code="rating_range", field="score")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError(
            _("Keep this to %(maximum)s characters at most."),
            code="too_long",
            field="comment",
            params={"maximum": COMMENT_MAX},
        )
    if ticket.status != Status.RESOLVED:
        raise InvalidTransition(
            _("Only a resolved ticket can be rated, once."), code="not_ratable", field="status"
        )
    before = audit.snapshot(ticket, TICKET_FIELDS)
    now = timezone.now()
    rating = Rating.objects.create(ticket=ticket, score=score, comment=comment, rated_at=now)
    ticket.status = Status.CLOSED
    ticket.updated_at = now
    ticket.save()
    audit.record(
        actor=requester,
        action="ticket.rated",
        obj=ticket,
        before=before,
        after={**audit.snapshot(ticket, TICKET_FIELDS), "score": score},
        court_id=ticket.court_id,
        note=comment,
    )
    events.notify_team(ticket, _("%(number)s was rated by the requester."))
    return rating
