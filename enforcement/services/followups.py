"""Following up letters the agencies leave unanswered: reminders, then the court's judges."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.organisations import Court
from accounts.roles import Role
from core import audit
from enforcement import instalments, locks, notices
from enforcement.models import AgencyLetter, LetterFollowUp

logger = logging.getLogger(__name__)


def run_letter_follow_ups(now: datetime) -> int:
    """The clock's pass: the next due step of every unanswered overdue letter, each in its own
    transaction. Letters of every subject are covered: the rule reads only the due date and
    the status.

    Only the letters with a step due are read, on an index: step k + 1 is due once the letter
    is `1 + k × interval` days overdue (`instalments.follow_up_steps_due`), so for each count of
    steps sent the due date must be that far back from the day in the letter's court. An
    archive of letters escalated long ago, or reminded and not yet due again, costs the pass
    nothing.
    """
    interval = settings.LETTER_REMINDER_INTERVAL_DAYS
    courts: dict[str, list[int]] = {}
    for court_id, zone in Court.objects.values_list("pk", "time_zone"):
        courts.setdefault(zone, []).append(court_id)
    due = Q(pk__in=[])
    for zone, court_ids in courts.items():
        today = timezone.localtime(now, ZoneInfo(zone)).date()
        for sent in range(settings.LETTER_ESCALATE_AFTER_REMINDERS + 1):
            due |= Q(
                court_id__in=court_ids,
                follow_up_steps=sent,
                due_on__lte=today - timedelta(days=1 + sent * interval),
            )
    candidates = AgencyLetter.objects.exclude(status=AgencyLetter.Status.ANSWERED).filter(due)
    done = 0
    for letter_id in candidates.order_by("due_on", "pk").values_list("pk", flat=True):
        try:
            done += 1 if follow_up(letter_id=letter_id, now=now) else 0
        except Exception:
            logger.exception("a letter follow-up failed; it is tried again on the next pass")
    return done


@transaction.atomic
def follow_up(*, letter_id: int, now: datetime) -> bool:
    """Send the letter's next follow-up step if it is due; whether one was sent.

    Under the letter's lock, and each step is a unique row, so two clock passes racing over
    the same letter send it once.
    """
    letter = locks.lock_letter(letter_id)
    if letter.status == AgencyLetter.Status.ANSWERED:
        return False
    letter = AgencyLetter.objects.select_related("court", "agency", "file").get(pk=letter.pk)
    today = timezone.localtime(now, ZoneInfo(letter.court.time_zone)).date()
    reminders = settings.LETTER_ESCALATE_AFTER_REMINDERS
    due_steps = instalments.follow_up_steps_due(
        due_on=letter.due_on,
        today=today,
        interval_days=settings.LETTER_REMINDER_INTERVAL_DAYS,
        reminders=reminders,
    )
    sent = LetterFollowUp.objects.filter(letter=letter).count()
    if letter.follow_up_steps != sent:  # the rows are the record
        AgencyLetter.objects.filter(pk=letter.pk).update(follow_up_steps=sent)
    if sent >= due_steps:
        return False
    step = sent + 1
    if step <= reminders:
        recipients = [letter.agency.email] if letter.agency.email else []
        kind = LetterFollowUp.Kind.REMINDER
        notices.letter_reminder(agency=letter.agency, letter=letter, step=step)
    else:
        judges = list(
            User.objects.filter(court_id=letter.court_id, role=Role.SUPERVISOR, is_active=True)
        )
        recipients = [judge.email for judge in judges if judge.email]
        kind = LetterFollowUp.Kind.ESCALATION
        notices.letter_escalated(judges, letter=letter, reminders=reminders)
    LetterFollowUp.objects.create(
        letter=letter, step=step, kind=kind, sent_at=now, recipients=", ".join(recipients)
    )
    AgencyLetter.objects.filter(pk=letter.pk).update(follow_up_steps=step)
    audit.record(
        actor=None,
        action="letter.reminded" if kind == LetterFollowUp.Kind.REMINDER else "letter.escalated",
        obj=letter,
        after={"step": step, "recipients": recipients},
        court_id=letter.court_id,
    )
    return True
