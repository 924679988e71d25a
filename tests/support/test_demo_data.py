"""The demo data of `make run` has support tickets in every state, once, and a report to show."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from support.models import Message, Rating, Ticket
from support.reports import Quarter, quarterly_report

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_support_tickets_once():
    call_command("seed_demo", verbosity=0)
    counts = (Ticket.objects.count(), Message.objects.count(), Rating.objects.count())

    call_command("seed_demo", verbosity=0)

    assert (Ticket.objects.count(), Message.objects.count(), Rating.objects.count()) == counts
    for code in ("RYC", "KWC"):
        tickets = Ticket.objects.filter(court__code=code)
        assert set(tickets.values_list("status", flat=True)) == {
            "OPEN",
            "AWAITING_INFORMATION",
            "RESOLVED",
            "CLOSED",
        }
        assert set(tickets.values_list("team", flat=True)) == {"EXECUTION", "FINANCE"}
        assert tickets.filter(status="OPEN", resolution_due_at__lt=timezone.now()).exists()
        court = tickets.first().court
        report = quarterly_report(court, Quarter.containing(timezone.localdate()))
        assert report.opened > 0
        assert report.satisfaction.count > 0
