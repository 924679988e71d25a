"""What the support desk tells people: an e-mail through the outbox and a toast on open pages.

The e-mail is a notice written in the ticket's transaction (the outbox delivers and retries
it); the toast is pushed after commit and may be lost with a page that is not open.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from core.live import users as live_users
from core.transactions import after_commit
from notifications import services as outbox
from notifications.values import Phrase
from support import access
from support.models import Ticket


def ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("support:ticket", args=[ticket.number])


def _headline(ticket: Ticket, headline: Promise, language: str) -> str:
    """`headline` in `language`, its %(number)s and %(subject)s placeholders filled."""
    with translation.override(language or "ar"):
        return str(headline) % {"number": ticket.number, "subject": ticket.subject}


def notify_requester(ticket: Ticket, headline: Promise, message: str = "") -> None:
    """Write the requester's e-mail into the outbox (in this transaction) and toast their
    open pages after commit; both in their language."""
    user = ticket.requester
    url = ticket_url(ticket)
    latest = ticket.messages.order_by("-pk").values_list("pk", flat=True).first()
    outbox.tell(
        key=f"ticket.update:{ticket.pk}:{latest}:{ticket.status}",
        kind="ticket.update",
        to=user,
        params={
            "number": ticket.number,
            "headline": Phrase(headline, {"number": ticket.number, "subject": ticket.subject}),
            "message": message,
        },
        url=url,
        time_zone=ticket.court,
    )
    text = _headline(ticket, headline, user.preferred_language)

    def send() -> None:
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
