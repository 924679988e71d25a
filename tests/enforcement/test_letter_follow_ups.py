"""Overdue letters followed up by the clock: reminders to the agency at set intervals, then the
court's judges; once per step even with two passes racing; the overdue figures per agency."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.organisations import Agency
from core.models import AuditRecord
from enforcement import services
from enforcement import settlement_selectors as selectors
from enforcement.models import AgencyLetter, LetterFollowUp
from enforcement.services.followups import follow_up
from notifications import delivery
from tests.conftest import make_user
from tests.enforcement.conftest import open_file

RIYADH = ZoneInfo("Asia/Riyadh")


def at(day: date) -> datetime:
    return datetime.combine(day, time(9), RIYADH)


def letter_due(staff: Any, agency: Agency, due_on: date) -> AgencyLetter:
    file = open_file(staff)
    return services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind="INQUIRY",
        language="ar",
        due_on=due_on,
    )


@pytest.fixture
def mailing_agency(db: None) -> Agency:
    return Agency.objects.create(
        code="SA-BANK-1",
        kind="BANK",
        country="SA",
        name_ar="البنك الأهلي",
        name_en="National Bank",
        email="letters@bank.example",
    )


@pytest.mark.django_db
def test_an_unanswered_letter_is_reminded_at_each_interval_then_escalated_once(
    court, staff, mailing_agency, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.LETTER_REMINDER_INTERVAL_DAYS = 5
    settings.LETTER_ESCALATE_AFTER_REMINDERS = 2
    judge = make_user("SUPERVISOR", court=court, preferred_language="ar")
    due = datetime.now(RIYADH).date() + timedelta(days=1)
    letter = letter_due(staff, mailing_agency, due)

    sent = []
    with django_capture_on_commit_callbacks(execute=True):
        for offset in (0, 1, 2, 5, 6, 6, 11, 30, 60):
            sent.append(services.run_letter_follow_ups(at(due + timedelta(days=offset))))
    delivery.deliver_due(timezone.now())  # the outbox's pass sends what the follow-ups wrote

    assert sent == [0, 1, 0, 0, 1, 0, 1, 0, 0]
    steps = list(LetterFollowUp.objects.filter(letter=letter).values_list("step", "kind"))
    assert steps == [(1, "REMINDER"), (2, "REMINDER"), (3, "ESCALATION")]
    assert [message.to for message in mailoutbox] == [
        ["letters@bank.example"],
        ["letters@bank.example"],
        [judge.email],
    ]
    assert letter.number in mailoutbox[0].subject
    assert "بلا رد" in mailoutbox[2].subject  # the judge reads Arabic
    assert (
        AuditRecord.objects.filter(action="letter.escalated", object_id=str(letter.pk)).count() == 1
    )


@pytest.mark.django_db
def test_an_answered_letter_is_not_followed_up(court, staff, mailing_agency, mailoutbox):
    due = datetime.now(RIYADH).date() + timedelta(days=1)
    letter = letter_due(staff, mailing_agency, due)
    agency_user = make_user("AGENCY", agency=mailing_agency)
    services.answer_letter(actor=agency_user, letter_id=letter.pk, answer="Seized in our records.")

    assert services.run_letter_follow_ups(at(due + timedelta(days=20))) == 0
    assert not LetterFollowUp.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_clock_passes_racing_send_each_step_once(court, mailing_agency):
    staff = make_user("EXECUTION_STAFF", court=court)
    due = datetime.now(RIYADH).date() + timedelta(days=1)
    letters = [letter_due(staff, mailing_agency, due) for _ in range(5)]
    now = at(due + timedelta(days=1))
    barrier = threading.Barrier(2)
    counts: list[int] = []
    failures: list[BaseException] = []

    def clock_pass() -> None:
        try:
            barrier.wait()
            counts.append(services.run_letter_follow_ups(now))
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clock_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert sum(counts) == len(letters)
    assert LetterFollowUp.objects.count() == len(letters)
    assert AuditRecord.objects.filter(action="letter.reminded").count() == len(letters)


@pytest.mark.django_db
def test_the_overdue_dashboard_counts_dates_and_the_median_answer_time(
    client, court, staff, mailing_agency, agency
):
    today = datetime.now(RIYADH).date()
    sent_at = datetime.now(RIYADH) - timedelta(days=30)
    answered_after = [timedelta(hours=2), timedelta(days=1), timedelta(days=4), timedelta(days=10)]
    for took in answered_after:
        letter = letter_due(staff, mailing_agency, today + timedelta(days=5))
        AgencyLetter.objects.filter(pk=letter.pk).update(
            sent_at=sent_at,
            status="ANSWERED",
            answer="Done",
            answered_at=sent_at + took,
            answered_by=staff,
            acknowledged_at=sent_at,
            acknowledged_by=staff,
        )
    for days_late in (3, 9):
        letter_due(staff, mailing_agency, today + timedelta(days=1))
        AgencyLetter.objects.filter(pk=AgencyLetter.objects.latest("pk").pk).update(
            due_on=today - timedelta(days=days_late)
        )
    late = letter_due(staff, agency, today + timedelta(days=1))
    AgencyLetter.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=1))

    rows = {row.agency_id: row for row in selectors.overdue_by_agency(staff)}

    bank = rows[mailing_agency.pk]
    assert (bank.overdue, bank.oldest_due_on, bank.answered) == (2, today - timedelta(days=9), 4)
    assert bank.median_answer == (timedelta(days=1) + timedelta(days=4)) / 2
    assert (rows[agency.pk].overdue, rows[agency.pk].median_answer) == (1, None)
    client.force_login(staff)
    english = client.get("/workspace/letters/overdue/").content.decode()
    type(staff).objects.filter(pk=staff.pk).update(preferred_language="ar")
    arabic = client.get("/workspace/letters/overdue/").content.decode()
    assert "National Bank" in english
    assert "البنك الأهلي" in arabic
    assert "الخطابات المتأخرة حسب الجهة" in arabic


@pytest.mark.django_db
def test_a_pass_locks_only_the_letters_with_a_step_due(court, staff, mailing_agency, settings):
    """An archive of letters escalated long ago, or reminded and not yet due again, costs the
    pass nothing: it reads the letters with a step due on an index and locks only those."""
    settings.LETTER_REMINDER_INTERVAL_DAYS = 7
    settings.LETTER_ESCALATE_AFTER_REMINDERS = 2
    today = datetime.now(RIYADH).date()
    now = at(today)

    def overdue_by(days: int) -> AgencyLetter:
        letter = letter_due(staff, mailing_agency, today + timedelta(days=1))
        AgencyLetter.objects.filter(pk=letter.pk).update(due_on=today - timedelta(days=days))
        return letter

    escalated = overdue_by(60)
    reminded = overdue_by(3)
    due_now = overdue_by(1)
    # Their steps sent on earlier days: all three of the one, the first of the other.
    for day in (today - timedelta(days=59), today - timedelta(days=52), today - timedelta(days=45)):
        follow_up(letter_id=escalated.pk, now=at(day))
    follow_up(letter_id=reminded.pk, now=at(today - timedelta(days=2)))
    assert AgencyLetter.objects.get(pk=escalated.pk).follow_up_steps == 3
    assert AgencyLetter.objects.get(pk=reminded.pk).follow_up_steps == 1

    with CaptureQueriesContext(connection) as queries:
        assert services.run_letter_follow_ups(now) == 1
    locked = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locked) == 1
    steps = LetterFollowUp.objects.filter(letter=due_now).values_list("step", "kind")
    assert list(steps) == [(1, "REMINDER")]
    assert AgencyLetter.objects.get(pk=due_now.pk).follow_up_steps == 1
    assert services.run_letter_follow_ups(now) == 0

    # The rows are the record: a count that lags them is put right, and nothing is sent twice.
    AgencyLetter.objects.filter(pk=reminded.pk).update(follow_up_steps=0)
    assert services.run_letter_follow_ups(now) == 0
    assert AgencyLetter.objects.get(pk=reminded.pk).follow_up_steps == 1
    assert LetterFollowUp.objects.filter(letter=reminded).count() == 1
