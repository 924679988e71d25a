"""The e-mails enforcement sends straight after commit (not yet through the outbox): to a
debtor about their settlement, to an agency about an
overdue letter, to the court's judges about a letter still unanswered. One function each.

Each is sent once the transaction commits, in the reader's language, and a failed e-mail never
undoes the change it tells of.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core import formatting, metrics
from core.transactions import after_commit

logger = logging.getLogger(__name__)


def _send(
    recipients: list[str], language: str, subject: Promise, body: Promise, **params: Any
) -> None:
    if not recipients:
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        values = {name: value() if callable(value) else value for name, value in params.items()}
        subject_text, body_text = str(subject) % values, str(body) % values

    def send() -> None:
        try:
            send_mail(subject_text, body_text, None, recipients)
        except Exception:
            metrics.email_failed("enforcement")
            logger.warning("could not send an enforcement notice", exc_info=True)
        else:
            metrics.email_sent("enforcement")

    after_commit(send)


def _language(user: Any) -> str:
    return str(getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE)


def _amount(amount_minor: int, currency: str, court: Any) -> Callable[[], str]:
    return lambda: formatting.format_money(amount_minor, currency)


def _day(day: Any, court: Any) -> Callable[[], str]:
    return lambda: formatting.format_day(day, court)


def instalment_missed(
    user: Any, *, file: Any, amount_minor: int, due_on: Any, resumes_on: Any
) -> None:
    """Tell the debtor an instalment was missed and when enforcement resumes unless it is paid."""
    if user is None or not user.email:
        return
    _send(
        [user.email],
        _language(user),
        _("Instalment missed on file %(file)s"),
        _(
            "The instalment of %(amount)s due on %(due)s on file %(file)s has not been paid. "
            "Unless it is paid by %(resumes)s, the settlement ends and enforcement resumes: "
            "the seized assets may be sold."
        ),
        file=file.number,
        amount=_amount(amount_minor, file.currency, file.court),
        due=_day(due_on, file.court),
        resumes=_day(resumes_on, file.court),
    )


def settlement_decided(user: Any, *, file: Any, approved: bool) -> None:
    """Tell whoever proposed the settlement what the judge decided."""
    if user is None or not user.email:
        return
    subject = (
        _("Your settlement on file %(file)s was approved")
        if approved
        else _("Your settlement on file %(file)s was refused")
    )
    body = (
        _("The judge approved the instalments; enforcement is suspended while they are paid.")
        if approved
        else _("The judge refused the settlement. The reasons are on the file's page.")
    )
    _send([user.email], _language(user), subject, body, file=file.number)


def enforcement_resumed(user: Any, *, file: Any) -> None:
    """Tell the debtor the settlement ended in default and enforcement resumed."""
    if user is None or not user.email:
        return
    _send(
        [user.email],
        _language(user),
        _("Enforcement resumed on file %(file)s"),
        _("An instalment was not paid within the notice period: the settlement has ended."),
        file=file.number,
    )


def letter_reminder(*, agency: Any, letter: Any, step: int) -> None:
    """Remind the agency, at its e-mail address, that the letter is unanswered past its due date."""
    if not agency.email:
        return
    _send(
        [agency.email],
        letter.language,
        _("Reminder %(step)s: letter %(number)s is unanswered"),
        _(
            "Letter %(number)s of %(court)s about file %(file)s was due for an answer on "
            "%(due)s. Please answer it in your inbox or through the API."
        ),
        step=step,
        number=letter.number,
        court=lambda: letter.court.name,
        file=letter.file.number,
        due=_day(letter.due_on, letter.court),
    )


def letter_escalated(judges: Iterable[Any], *, letter: Any, reminders: int) -> None:
    """Tell the court's supervising judges the agency has not answered after its reminders."""
    for judge in judges:
        if not judge.email:
            continue
        _send(
            [judge.email],
            _language(judge),
            _("Letter %(number)s to %(agency)s is still unanswered"),
            _(
                "Letter %(number)s about file %(file)s was due on %(due)s; %(agency)s has not "
                "answered after %(reminders)s reminders."
            ),
            number=letter.number,
            agency=lambda: letter.agency.name,
            file=letter.file.number,
            due=_day(letter.due_on, letter.court),
            reminders=reminders,
        )
