"""The quarterly report's figures against a generated data set, counted again here independently."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from support import services
from support.models import Kind, Rating, Team, Ticket, Topic
from support.reports import Quarter, quarterly_report
from tests.conftest import ARTIFACTS, make_user
from tests.support.conftest import RIYADH, open_ticket, riyadh

pytestmark = pytest.mark.django_db

START = riyadh(2026, 1, 1)  # Q1 2026 in Riyadh: 31 Dec 21:00 UTC to 31 Mar 21:00 UTC
END = riyadh(2026, 4, 1)
TEAM_OF = {"PAYMENT": "FINANCE", "TRANSFER": "FINANCE"}


def make_ticket(court, requester, number, *, opened_at, rng, **fields):
    kind = fields.pop("kind", rng.choice(Kind.values))
    topic = fields.pop("topic", rng.choice(Topic.values))
    values = {
        "number": f"{court.code}-T-{number:06d}",
        "court": court,
        "requester": requester,
        "kind": kind,
        "topic": topic,
        "team": TEAM_OF.get(topic, "EXECUTION"),
        "subject": f"Generated {number}",
        "opened_at": opened_at,
        "updated_at": opened_at,
        "first_response_target_minutes": rng.choice([240, 480]),
        "resolution_target_minutes": rng.choice([960, 1440, 2400]),
        "first_response_due_at": opened_at + timedelta(hours=4),
        "resolution_due_at": opened_at + timedelta(days=3),
    }
    values.update(fields)
    return Ticket.objects.create(**values)


def generated(court, requester, seed):
    """About 120 tickets from mid-November to mid-May, some answered, resolved, rated."""
    rng = random.Random(seed)
    first = riyadh(2025, 11, 15)
    for number in range(1, 121):
        opened_at = first + timedelta(minutes=rng.randrange(0, 180 * 24 * 60))
        fields = {}
        if rng.random() < 0.8:
            fields["first_response_at"] = opened_at + timedelta(hours=rng.randrange(1, 200))
            fields["first_response_minutes"] = rng.randrange(5, 900)
            if rng.random() < 0.75:
                resolved_at = fields["first_response_at"] + timedelta(hours=rng.randrange(0, 300))
                fields.update(
                    status=rng.choice(["RESOLVED", "CLOSED"]),
                    resolved_at=resolved_at,
                    resolution_minutes=rng.randrange(fields["first_response_minutes"], 4000),
                )
            elif rng.random() < 0.5:
                fields.update(
                    status="AWAITING_INFORMATION",
                    information_requested_at=fields["first_response_at"],
                )
        ticket = make_ticket(court, requester, number, opened_at=opened_at, rng=rng, **fields)
        if ticket.status == "CLOSED":
            Rating.objects.create(
                ticket=ticket,
                score=rng.randint(1, 5),
                rated_at=ticket.resolved_at + timedelta(hours=rng.randrange(1, 100)),
            )


def boundaries(court, requester):
    """Tickets on the quarter's edges, in the court's zone."""
    rng = random.Random(0)
    second = timedelta(seconds=1)
    resolved = {"status": "RESOLVED", "resolution_minutes": 60}
    make_ticket(court, requester, 901, opened_at=START, rng=rng)  # first instant: in
    make_ticket(court, requester, 902, opened_at=START - second, rng=rng)  # last of 2025: out
    make_ticket(court, requester, 903, opened_at=END - second, rng=rng)  # 31 March: in
    make_ticket(  # opened in the quarter, resolved at the first instant of the next: open at end
        court,
        requester,
        904,
        opened_at=START + timedelta(days=40),
        rng=rng,
        resolved_at=END,
        **resolved,
    )
    make_ticket(  # opened before, resolved at the first instant: open at start, closed in January
        court,
        requester,
        905,
        opened_at=START - timedelta(days=3),
        rng=rng,
        resolved_at=START,
        **resolved,
    )


def local_month(moment):
    local = moment.astimezone(RIYADH)
    return local.year, local.month


def within(moment):
    return moment is not None and START <= moment < END


def median(values):
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


def share(part, whole):
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), "ROUND_HALF_UP")


def expected_figures(court):
    tickets = list(Ticket.objects.filter(court=court))
    ratings = [r for r in Rating.objects.filter(ticket__court=court) if within(r.rated_at)]
    opened = [t for t in tickets if within(t.opened_at)]
    closed = [t for t in tickets if t.status in ("RESOLVED", "CLOSED") and within(t.resolved_at)]
    responded = [t for t in tickets if within(t.first_response_at)]
    scores = [r.score for r in ratings]
    return {
        "opened_by_month": Counter(local_month(t.opened_at) for t in opened),
        "closed_by_month": Counter(local_month(t.resolved_at) for t in closed),
        "opened": len(opened),
        "closed": len(closed),
        "open_at_start": sum(
            1
            for t in tickets
            if t.opened_at < START and (t.resolved_at is None or t.resolved_at >= START)
        ),
        "open_at_end": sum(
            1
            for t in tickets
            if t.opened_at < END and (t.resolved_at is None or t.resolved_at >= END)
        ),
        "by_kind": Counter(t.kind for t in opened),
        "by_topic": Counter(t.topic for t in opened),
        "by_team": Counter(t.team for t in opened),
        "median_first_response": median([t.first_response_minutes for t in responded]),
        "median_resolution": median([t.resolution_minutes for t in closed]),
        "first_response_within": (
            sum(
                1 for t in responded if t.first_response_minutes <= t.first_response_target_minutes
            ),
            len(responded),
        ),
        "resolution_within": (
            sum(1 for t in closed if t.resolution_minutes <= t.resolution_target_minutes),
            len(closed),
        ),
        "ratings": len(scores),
        "average": (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.01"), "ROUND_HALF_UP")
        if scores
        else None,
        "satisfied": share(sum(1 for s in scores if s >= 4), len(scores)),
        "distribution": {score: scores.count(score) for score in range(1, 6)},
        "team_averages": {
            team: [r.score for r in ratings if r.ticket.team == team] for team in Team.values
        },
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_quarter_is_counted_as_defined(court, other_court, requester, seed):
    generated(court, requester, seed)
    boundaries(court, requester)
    generated(other_court, requester, seed + 100)  # another court's tickets never count
    expected = expected_figures(court)

    report = quarterly_report(court, Quarter(2026, 1))

    assert [(row.year, row.month) for row in report.months] == [(2026, 1), (2026, 2), (2026, 3)]
    assert [row.opened for row in report.months] == [
        expected["opened_by_month"][(2026, m)] for m in (1, 2, 3)
    ]
    assert [row.closed for row in report.months] == [
        expected["closed_by_month"][(2026, m)] for m in (1, 2, 3)
    ]
    assert (report.opened, report.closed) == (expected["opened"], expected["closed"])
    assert (report.open_at_start, report.open_at_end) == (
        expected["open_at_start"],
        expected["open_at_end"],
    )
    assert {row.key: row.opened for row in report.by_kind} == {
        kind: expected["by_kind"][kind] for kind in Kind.values
    }
    assert {row.key: row.opened for row in report.by_topic} == {
        topic: expected["by_topic"][topic] for topic in Topic.values
    }
    assert {row.key: row.opened for row in report.by_team} == {
        team: expected["by_team"][team] for team in Team.values
    }
    assert report.median_first_response_minutes == expected["median_first_response"]
    assert report.median_resolution_minutes == expected["median_resolution"]
    assert (report.first_response.within, report.first_response.total) == expected[
        "first_response_within"
    ]
    assert (report.resolution.within, report.resolution.total) == expected["resolution_within"]
    assert report.satisfaction.count == expected["ratings"]
    assert report.satisfaction.average == expected["average"]
    assert report.satisfaction.satisfied == expected["satisfied"]
    assert report.satisfaction.distribution == expected["distribution"]
    for row in report.by_team:
        scores = expected["team_averages"][row.key]
        assert row.ratings == len(scores)


def test_the_quarters_edges_fall_where_the_court_keeps_its_calendar(court, requester):
    boundaries(court, requester)

    report = quarterly_report(court, Quarter(2026, 1))

    # 901 (1 January 00:00), 903 (31 March 23:59:59) and 904 opened in the quarter.
    assert report.opened == 3
    assert [row.opened for row in report.months] == [1, 1, 1]
    # 905 was open when the quarter began and closed at its first instant.
    assert report.open_at_start == 2  # 902 and 905
    assert report.closed == 1
    assert report.months[0].closed == 1
    # 904 was resolved at the first instant of April: still open at the end, with 901–903.
    assert report.open_at_end == 4


def test_an_empty_quarter_has_no_medians_and_no_shares(court):
    report = quarterly_report(court, Quarter(2026, 2))

    assert (report.opened, report.closed, report.open_at_end) == (0, 0, 0)
    assert report.median_first_response_minutes is None
    assert report.first_response.share is None
    assert report.satisfaction.average is None


def test_a_ticket_answered_through_the_desk_shows_in_the_report(
    court, requester, execution_staff, time_machine
):
    time_machine.move_to(riyadh(2026, 2, 1, 9, 0), tick=False)  # a Sunday
    ticket = open_ticket(requester, court, kind="COMPLAINT", topic="DEPOSIT")
    time_machine.move_to(riyadh(2026, 2, 1, 10, 30), tick=False)
    services.reply(actor=execution_staff, ticket_id=ticket.pk, body="Checking.")
    time_machine.move_to(riyadh(2026, 2, 2, 9, 0), tick=False)
    services.resolve(actor=execution_staff, ticket_id=ticket.pk, body="Refunded.")
    services.rate(requester=requester, ticket_id=ticket.pk, score=4)

    report = quarterly_report(court, Quarter(2026, 1))

    assert (report.opened, report.closed, report.open_at_end) == (1, 1, 0)
    assert report.median_first_response_minutes == 90
    assert report.median_resolution_minutes == 8 * 60  # 7 h on Sunday and 1 h on Monday
    assert (report.first_response.within, report.resolution.within) == (1, 1)
    assert report.satisfaction.average == Decimal("4.00")
    assert report.months[1].opened == 1


def report_for(client, user, name, **query):
    client.force_login(user)
    return client.get(reverse(name), {"year": 2026, "quarter": 1, **query})


def test_the_csv_carries_the_same_figures(client, court, requester, court_supervisor):
    generated(court, requester, 7)
    report = quarterly_report(court, Quarter(2026, 1))

    response = report_for(client, court_supervisor, "support:report_csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="support-RYC-2026-Q1.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    values = {(section, item): value for section, item, value in rows[1:]}
    assert values[("Summary", "Opened")] == str(report.opened)
    assert values[("Summary", "Open at the end")] == str(report.open_at_end)
    assert values[("Summary", "Average rating (1–5)")] == str(report.satisfaction.average)
    assert values[("Opened by month", report.months[2].label)] == str(report.months[2].opened)
    assert values[("Opened by topic", "Security deposit")] == str(
        next(row.opened for row in report.by_topic if row.key == "DEPOSIT")
    )


@pytest.mark.parametrize(("language", "title"), [("en", "quarterly report"), ("ar", "")])
def test_the_pdf_is_printed_in_either_language(
    client, court, requester, court_supervisor, language, title
):
    generated(court, requester, 5)
    report = quarterly_report(court, Quarter(2026, 1))

    response = report_for(client, court_supervisor, "support:report_pdf", language=language)

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"support-report-{language}.pdf").write_bytes(response.content)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert (court.name_en if language == "en" else "2026") in text
    assert title in text
    assert str(report.opened) in text


def test_the_report_page_embeds_the_chart_figures(client, court, requester, court_supervisor):
    generated(court, requester, 9)
    report = quarterly_report(court, Quarter(2026, 1))

    response = report_for(client, court_supervisor, "support:report")

    assert response.status_code == 200
    charts = response.context["charts"]
    assert charts["months"]["opened"] == [row.opened for row in report.months]
    assert charts["satisfaction"]["values"] == [
        report.satisfaction.distribution[s] for s in range(1, 6)
    ]
    assert 'id="report-charts"' in response.text
    assert "vendor/chart.js/chart.umd.min.js" in response.text


def test_the_report_defaults_to_the_current_quarter_of_the_court(
    client, court, court_supervisor, time_machine
):
    time_machine.move_to(datetime(2026, 6, 30, 22, 0, tzinfo=UTC), tick=False)  # 1 July in Riyadh
    client.force_login(court_supervisor)

    response = client.get(reverse("support:report"))

    assert response.context["report"].quarter == Quarter(2026, 3)


def test_staff_of_another_court_never_see_this_courts_figures(
    client, court, other_court, requester
):
    open_ticket(requester, court)
    outsider = make_user("SUPERVISOR", court=other_court)

    response = report_for(client, outsider, "support:report")

    assert response.context["report"].court == other_court
    assert response.context["report"].opened == 0
