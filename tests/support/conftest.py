"""Support desk fixtures: requesters with their own records, staff of each team, a ticket helper."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.conftest import make_user

RIYADH = ZoneInfo("Asia/Riyadh")


def riyadh(*args: int) -> datetime:
    return datetime(*args, tzinfo=RIYADH)


@pytest.fixture
def requester(db: None) -> Any:
    return make_user("BIDDER", verified=True, full_name="Sara Al-Harbi")


@pytest.fixture
def other_requester(db: None) -> Any:
    return make_user("BIDDER", verified=True, full_name="Omar Al-Qahtani")


@pytest.fixture
def execution_staff(court: Any) -> Any:
    return make_user("EXECUTION_STAFF", court=court, full_name="Saad Al-Amri")


@pytest.fixture
def finance_staff(court: Any) -> Any:
    return make_user("FINANCE_STAFF", court=court, full_name="Mona Al-Dosari")


@pytest.fixture
def court_supervisor(court: Any) -> Any:
    return make_user("SUPERVISOR", court=court, full_name="Judge Nasser Al-Fahad")


def open_ticket(requester: Any, court: Any, **fields: Any) -> Any:
    from support import services

    values: dict[str, Any] = {
        "kind": "COMPLAINT",
        "topic": "DEPOSIT",
        "subject": "My deposit was not refunded",
        "body": "The auction closed a week ago and my deposit is still held.",
        "court_id": court.pk if court is not None else None,
    }
    values.update(fields)
    return services.open_ticket(requester=requester, **values)


def png(name: str = "receipt.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (11, 92, 75)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name: str = "statement.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf")


def state(ticket: Any) -> tuple[Any, ...]:
    """What a refusal must leave unchanged: the ticket's row, its thread and the audit trail."""
    from core.models import AuditRecord
    from support.models import Attachment, Message, Rating, Ticket

    ticket = Ticket.objects.get(pk=ticket.pk)
    return (
        ticket.status,
        ticket.first_response_at,
        ticket.resolved_at,
        ticket.updated_at,
        ticket.reopened_count,
        Message.objects.filter(ticket=ticket).count(),
        Attachment.objects.filter(message__ticket=ticket).count(),
        Rating.objects.filter(ticket=ticket).count(),
        AuditRecord.objects.count(),
    )
