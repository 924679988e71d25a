"""The demo tickets of `make run`: every state, both teams, a report to show, loaded once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from demo import support as demo_support
from support.models import Message, Rating, Ticket
from support.reports import Quarter, quarterly_report
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_demo_tickets_are_loaded_once_in_every_state(court, execution_staff, finance_staff):
    bidders = [make_user("BIDDER", verified=True) for _ in range(3)]
    made = demo_support.seed_court(court, execution_staff, finance_staff, bidders)
    counts = (Ticket.objects.count(), Message.objects.count(), Rating.objects.count())

    again = demo_support.seed_court(court, execution_staff, finance_staff, bidders)

    assert (made, again) == (len(demo_support.STORIES), 0)
    assert (Ticket.objects.count(), Message.objects.count(), Rating.objects.count()) == counts
    assert set(Ticket.objects.values_list("status", flat=True)) == {
        "OPEN",
        "AWAITING_INFORMATION",
        "RESOLVED",
        "CLOSED",
    }
    assert set(Ticket.objects.values_list("team", flat=True)) == {"EXECUTION", "FINANCE"}
    assert Ticket.objects.filter(status="OPEN", resolution_due_at__lt=timezone.now()).exists()
    this_quarter = Quarter.containing(timezone.localdate())
    report = quarterly_report(court, this_quarter)
    assert report.opened > 0
    # The rated tickets are weeks old: this quarter's or, early in a quarter, the last one's.
    earlier = quarterly_report(court, this_quarter.previous)
    assert report.satisfaction.count + earlier.satisfaction.count > 0
