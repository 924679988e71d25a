"""Demo tickets of `make run`: one court's support desk with tickets in every state this quarter.

Tickets go through the support services (so each has its thread and audit
trail), then their times are moved back into the quarter so the queue has
tickets near and past their targets and the quarterly report has content.
Loaded once per court: a court that already has tickets is left alone.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from support import engine, selectors, services
from support.models import Message, Rating, Ticket

# (kind, topic, subject, body, outcome, days ago, score)
STORIES = [
    (
        "COMPLAINT",
        "DEPOSIT",
        "My deposit was not refunded",
        "The auction closed last week and my deposit is still held. Please refund it.",
        "OPEN",
        0,
        None,
    ),
    (
        "QUESTION",
        "BIDDING",
        "How does the automatic maximum work?",
        "If I set a maximum, will the platform bid the whole amount at once?",
        "AWAITING",
        1,
        None,
    ),
    (
        "QUESTION",
        "PAYMENT",
        "Which IBAN do I pay the balance to?",
        "I won lot 2 and want to pay the balance by bank transfer.",
        "RESOLVED",
        2,
        None,
    ),
    (
        "COMPLAINT",
        "REGISTRATION",
        "Registration refused without a reason",
        "I could not register for a lot although my identity is verified.",
        "OPEN",
        6,
        None,
    ),
    (
        "COMPLAINT",
        "TRANSFER",
        "Transfer of the proceeds is late",
        "The vehicle was sold a month ago and I have not received the amount.",
        "CLOSED",
        20,
        4,
    ),
    (
        "SUGGESTION",
        "LOT",
        "More photos of the vehicles",
        "Please add photos of the engine and the odometer for every vehicle.",
        "CLOSED",
        35,
        5,
    ),
    (
        "QUESTION",
        "FILE",
        "Status of my enforcement file",
        "Is the sale of the seized property scheduled yet?",
        "CLOSED",
        50,
        3,
    ),
    (
        "COMPLAINT",
        "BIDDING",
        "The page froze during the last minute",
        "My bid was not accepted in the final minute.",
        "CLOSED",
        62,
        2,
    ),
    (
        "QUESTION",
        "DEPOSIT",
        "Is the deposit refunded by card?",
        "I paid the deposit by card; will it return to the same card?",
        "CLOSED",
        75,
        5,
    ),
    (
        "COMPLAINT",
        "PAYMENT",
        "Card payment charged twice",
        "My card shows two charges for the same deposit.",
        "CLOSED",
        80,
        4,
    ),
]
ANSWERS = {
    "AWAITING": "Please tell us the lot number so we can look at your bids.",
    "RESOLVED": "The court's IBAN and the creditor reference are on your payment page.",
    "CLOSED": "Thank you; this is now settled. The details are on your account page.",
}


def seed_court(court: Any, staff: Any, finance: Any, bidders: list[Any]) -> int:
    """Open the demo tickets of `court` once; returns how many were made."""
    if Ticket.objects.filter(court=court).exists() or not bidders:
        return 0
    rng = random.Random(court.code)
    now = timezone.now()
    for number, story in enumerate(STORIES):
        kind, topic, subject, body, outcome, days_ago, score = story
        requester = bidders[number % len(bidders)]
        ticket = services.open_ticket(
            requester=requester,
            kind=kind,
            topic=topic,
            subject=subject,
            body=body,
            court_id=court.pk,
        )
        answerer = finance if ticket.team == "FINANCE" else staff
        opened_at = now - timedelta(days=days_ago, hours=rng.randrange(1, 5))
        if outcome == "AWAITING":
            services.request_information(actor=answerer, ticket_id=ticket.pk, body=ANSWERS[outcome])
        elif outcome in ("RESOLVED", "CLOSED"):
            services.resolve(actor=answerer, ticket_id=ticket.pk, body=ANSWERS[outcome])
        if outcome == "CLOSED":
            services.rate(requester=requester, ticket_id=ticket.pk, score=score or 4)
        _move_back(ticket, opened_at, rng, now)
    return len(STORIES)


def _move_back(ticket: Ticket, opened_at: datetime, rng: random.Random, now: datetime) -> None:
    """Give the ticket plausible past times, with its working minutes counted again."""
    ticket.refresh_from_db()
    calendar = selectors.service_settings(ticket.court).calendar
    step = timedelta(hours=rng.randrange(2, 30))
    times = [min(opened_at + n * step, now) for n in range(4)]
    messages = list(Message.objects.filter(ticket=ticket).order_by("pk"))
    for message, at in zip(messages, times, strict=False):
        Message.objects.filter(pk=message.pk).update(created_at=at)
    fields: dict[str, Any] = {
        "opened_at": opened_at,
        "updated_at": times[len(messages) - 1],
        "first_response_due_at": engine.add_working_time(
            calendar, opened_at, timedelta(minutes=ticket.first_response_target_minutes)
        ),
        "resolution_due_at": engine.add_working_time(
            calendar, opened_at, timedelta(minutes=ticket.resolution_target_minutes)
        ),
    }

    def minutes(end: datetime) -> int:
        return engine.whole_minutes(engine.working_time(calendar, opened_at, end))

    if ticket.first_response_at is not None:
        fields.update(first_response_at=times[1], first_response_minutes=minutes(times[1]))
    if ticket.information_requested_at is not None:
        fields["information_requested_at"] = times[1]
    if ticket.resolved_at is not None:
        fields.update(resolved_at=times[1], resolution_minutes=minutes(times[1]))
        Rating.objects.filter(ticket=ticket).update(rated_at=times[2])
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
