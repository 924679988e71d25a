"""Bad input on every support form: a 400 naming the field and the rule, and nothing saved."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditRecord
from support import services
from support.models import Holiday, Message, Rating, ServiceCalendar, ServiceTarget, Ticket
from tests.support.conftest import open_ticket

pytestmark = pytest.mark.django_db


def everything() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Ticket,
            Message,
            Rating,
            ServiceCalendar,
            ServiceTarget,
            Holiday,
            AuditRecord,
        )
    )


def errors_of(response, field_id: str) -> str:
    """The error list rendered next to the field with this id."""
    text = response.content.decode()
    marker = f'id="{field_id}_errors"'
    assert marker in text, f"no errors shown for {field_id}"
    start = text.index(marker)
    return text[start : text.index("</ul>", start)]


GOOD_TICKET = {
    "kind": "COMPLAINT",
    "topic": "DEPOSIT",
    "about": "",
    "subject": "Deposit still held",
    "body": "My deposit for lot 3 was not refunded.",
}


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"subject": ""}, "subject", "This field is required."),
        ({"subject": "x" * 151}, "subject", "at most 150 characters"),
        ({"body": "   "}, "body", "This field is required."),
        ({"body": "x" * 5001}, "body", "at most 5000 characters"),
        ({"kind": "RANT"}, "kind", "Select a valid choice"),
        ({"topic": ""}, "topic", "This field is required."),
        ({"topic": "WEATHER"}, "topic", "Select a valid choice"),
        ({"about": "LOT:999999"}, "about", "Select a valid choice"),
        ({"court": ""}, "court", "Choose the court your ticket is for"),
        ({"court": "999999"}, "court", "Select a valid choice"),
    ],
)
def test_bad_ticket_input_names_the_field_and_saves_nothing(
    client, court, requester, change, field, rule
):
    client.force_login(requester)
    before = everything()

    response = client.post(reverse("support:new"), {**GOOD_TICKET, "court": court.pk, **change})

    assert response.status_code == 400
    assert rule in errors_of(response, f"id_{field}")
    assert everything() == before


def test_a_fake_pdf_attachment_is_refused_with_the_rule(client, court, requester):
    client.force_login(requester)
    before = everything()
    fake = SimpleUploadedFile("slip.pdf", b"just text", content_type="application/pdf")

    response = client.post(
        reverse("support:new"), {**GOOD_TICKET, "court": court.pk, "attachments": [fake]}
    )

    assert response.status_code == 400
    assert "must be a PDF or a JPEG, PNG or WebP image" in errors_of(response, "id_attachments")
    assert everything() == before


def test_a_good_ticket_is_opened(client, court, requester):
    client.force_login(requester)

    response = client.post(reverse("support:new"), {**GOOD_TICKET, "court": court.pk})

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("support:ticket", args=[ticket.number])


@pytest.fixture
def ticket(court, requester):
    return open_ticket(requester, court)


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        ({"body": ""}, "body", "This field is required."),
        ({"body": "x" * 5001}, "body", "at most 5000 characters"),
    ],
)
def test_a_bad_message_from_the_requester_saves_nothing(
    client, requester, ticket, data, field, rule
):
    client.force_login(requester)
    before = everything()

    response = client.post(reverse("support:message", args=[ticket.number]), data)

    assert response.status_code == 400
    assert rule in errors_of(response, f"id_message_{field}")
    assert everything() == before


@pytest.mark.parametrize("action", ["reply", "ask", "resolve"])
def test_a_blank_staff_answer_saves_nothing(client, execution_staff, ticket, action):
    client.force_login(execution_staff)
    before = everything()

    response = client.post(
        reverse("support:answer", args=[ticket.number]), {"action": action, "body": " "}
    )

    assert response.status_code == 400
    assert "This field is required." in errors_of(response, "id_answer_body")
    assert everything() == before


def test_an_unknown_staff_action_saves_nothing(client, execution_staff, ticket):
    client.force_login(execution_staff)
    before = everything()

    response = client.post(
        reverse("support:answer", args=[ticket.number]), {"action": "delete", "body": "Gone"}
    )

    assert response.status_code == 400
    assert everything() == before


@pytest.fixture
def resolved(ticket, execution_staff):
    services.resolve(actor=execution_staff, ticket_id=ticket.pk, body="Refunded.")
    return ticket


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        ({"score": ""}, "score", "This field is required."),
        ({"score": "0"}, "score", "Select a valid choice"),
        ({"score": "6"}, "score", "Select a valid choice"),
        ({"score": "five"}, "score", "Select a valid choice"),
        ({"score": "4", "comment": "x" * 2001}, "comment", "at most 2000 characters"),
    ],
)
def test_a_bad_rating_saves_nothing(client, requester, resolved, data, field, rule):
    client.force_login(requester)
    before = everything()

    response = client.post(reverse("support:rate", args=[resolved.number]), data)

    assert response.status_code == 400
    assert rule in errors_of(response, f"id_rating_{field}")
    assert everything() == before


def test_a_reopen_without_a_reason_saves_nothing(client, requester, resolved):
    client.force_login(requester)
    before = everything()

    response = client.post(reverse("support:reopen", args=[resolved.number]), {"body": ""})

    assert response.status_code == 400
    assert "This field is required." in errors_of(response, "id_reopen_body")
    assert everything() == before


def test_writing_on_a_resolved_ticket_says_to_reopen_it(client, requester, resolved):
    client.force_login(requester)
    before = everything()

    response = client.post(reverse("support:message", args=[resolved.number]), {"body": "Hi"})

    assert response.status_code == 400
    assert "reopen it to write again" in response.content.decode()
    assert everything() == before


CALENDAR = {
    "form": "calendar",
    "calendar-weekend_days": ["4", "5"],
    "calendar-opens_at": "08:00",
    "calendar-closes_at": "16:00",
    "calendar-reopen_days": "7",
}
TARGETS = {
    "form": "targets",
    **{
        f"targets-{kind}_{part}_hours": hours
        for kind, (first, last) in {
            "complaint": ("4", "24"),
            "question": ("4", "16"),
            "suggestion": ("8", "40"),
        }.items()
        for part, hours in (("first_response", first), ("resolution", last))
    },
}
HOLIDAY = {
    "form": "holiday",
    "holiday-name_ar": "عيد الفطر",
    "holiday-name_en": "Eid al-Fitr",
    "holiday-starts_on": "2026-03-19",
    "holiday-ends_on": "2026-03-23",
}


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        (
            {**CALENDAR, "calendar-weekend_days": [str(d) for d in range(7)]},
            "id_calendar-weekend_days",
            "Leave at least one working day",
        ),
        (
            {**CALENDAR, "calendar-weekend_days": ["9"]},
            "id_calendar-weekend_days",
            "Select a valid choice",
        ),
        (
            {**CALENDAR, "calendar-closes_at": "07:00"},
            "id_calendar-closes_at",
            "closing time must be after the opening time",
        ),
        ({**CALENDAR, "calendar-opens_at": "25:00"}, "id_calendar-opens_at", "Enter a valid time"),
        (
            {**CALENDAR, "calendar-reopen_days": "0"},
            "id_calendar-reopen_days",
            "greater than or equal to 1",
        ),
        (
            {**TARGETS, "targets-complaint_resolution_hours": "2"},
            "id_targets-complaint_resolution_hours",
            "cannot be shorter than the first response",
        ),
        (
            {**TARGETS, "targets-question_first_response_hours": "0"},
            "id_targets-question_first_response_hours",
            "greater than or equal to 1",
        ),
        (
            {**TARGETS, "targets-suggestion_resolution_hours": ""},
            "id_targets-suggestion_resolution_hours",
            "This field is required.",
        ),
        ({**HOLIDAY, "holiday-name_en": ""}, "id_holiday-name_en", "This field is required."),
        (
            {**HOLIDAY, "holiday-ends_on": "2026-03-18"},
            "id_holiday-ends_on",
            "cannot be before the first day",
        ),
        (
            {**HOLIDAY, "holiday-ends_on": "2026-05-30"},
            "id_holiday-ends_on",
            "at most 31 days",
        ),
        ({**HOLIDAY, "holiday-starts_on": "19/03"}, "id_holiday-starts_on", "Enter a valid date"),
    ],
)
def test_bad_service_level_settings_save_nothing(client, court_supervisor, data, field, rule):
    client.force_login(court_supervisor)
    before = everything()

    response = client.post(reverse("support:service_levels"), data)

    assert response.status_code == 400
    assert rule in errors_of(response, field)
    assert everything() == before


def test_good_service_level_settings_are_saved_and_audited(client, court, court_supervisor):
    client.force_login(court_supervisor)

    responses = [
        client.post(reverse("support:service_levels"), data)
        for data in (
            {**CALENDAR, "calendar-weekend_days": ["5"], "calendar-closes_at": "15:00"},
            {**TARGETS, "targets-complaint_first_response_hours": "2"},
            HOLIDAY,
        )
    ]

    assert [r.status_code for r in responses] == [302, 302, 302]
    calendar = ServiceCalendar.objects.get(court=court)
    assert (calendar.weekend_days, calendar.closes_at.hour) == ([5], 15)
    assert ServiceTarget.objects.get(court=court, kind="COMPLAINT").first_response_hours == 2
    assert Holiday.objects.get(court=court).name_en == "Eid al-Fitr"
    assert set(AuditRecord.objects.values_list("action", flat=True)) == {
        "service_calendar.updated",
        "service_target.updated",
        "holiday.added",
    }


@pytest.mark.parametrize(
    ("query", "field", "rule"),
    [
        ({"year": "abc", "quarter": "1"}, "id_year", "Enter a whole number"),
        ({"year": "2019", "quarter": "1"}, "id_year", "greater than or equal to 2020"),
        ({"year": "2026", "quarter": "5"}, "id_quarter", "Select a valid choice"),
    ],
)
def test_a_bad_report_quarter_names_the_field(client, court_supervisor, query, field, rule):
    client.force_login(court_supervisor)

    for name in ("support:report", "support:report_csv", "support:report_pdf"):
        response = client.get(reverse(name), {**query, "language": "en"})

        assert response.status_code == 400
        assert rule in errors_of(response, field)
