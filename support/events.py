"""What the support desk tells people after commit: an e-mail and a toast on their open pages.

The ticket's thread in the database is the record; these notices only point to
it, so a lost toast or a failed e-mail loses nothing (the failure is logged).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from core import metrics
from core.live import users as live_users
from core.transactions import after_commit
from support import access
from support.models import Ticket

logger = logging.getLogger(__name__)


def ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("support:ticket", args=[ticket.number])


def _email(user: Any, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:
        metrics.email_failed("support")
        logger.warning("could not e-mail user %s", user.pk, exc_info=True)
    else:
        metrics.email_sent("support")


def _headline(ticket: Ticket, headline: Promise, language: str) -> str:
    """`headline` in `language`, its %(number)s and %(subject)s placeholders filled."""
    with translation.override(language or "ar"):
        return str(headline) % {"number": ticket.number, "subject": ticket.subject}


def notify_requester(ticket: Ticket, headline: Promise, message: str = "") -> None:
    """E-mail the requester (in their language) and toast their open pages, after commit."""
    user = ticket.requester
    url = ticket_url(ticket)
    with translation.override(user.preferred_language or "ar"):
        text = _headline(ticket, headline, user.preferred_language)
        subject = f"[{ticket.number}] {text}"
        body = render_to_string(
            "support/email/notice.txt",
            {"user": user, "ticket": ticket, "headline": text, "message": message, "url": url},
        )

    def send() -> None:
        _email(user, subject, body)
        live_users.push_notices([(user.pk, {"text": text, "url": url})])

    after_commit(send)


def notify_team(ticket: Ticket, headline: Promise) -> None:
    """Toast every active member of the ticket's team at its court, after commit."""
    url = ticket_url(ticket)
    members = list(
        access.staff_of_team(court_id=ticket.court_id, team=ticket.team).values_list(
            "pk", "preferred_language"
        )
    )
    texts = [(pk, _headline(ticket, headline, language)) for pk, language in members]

    def send() -> None:
        live_users.push_notices((pk, {"text": text, "url": url}) for pk, text in texts)

    after_commit(send)
