"""The auction's paths take a lot before what it owns (docs/concurrency.md, "The global order").

Each test holds a lot as a settlement, a withdrawal or the clock would, lets another path
run into that lock, then takes what the holder takes next: had the other path locked it
already, the two would deadlock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from auction import clock, locks
from auction.models import Lot, Outage, Registration
from auction.services import lifecycle
from auction.services import registration as registrations
from tests.auction import factories
from tests.harness.lock_waits import (
    elsewhere,
    outcome_of,
    until_it_waits,
    with_lock_timeout,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_deposit_confirmed_while_its_lot_is_held_waits_for_the_lot_before_its_registration(
    court,
):
    lot = factories.lot(court)
    registration = factories.registered_bidder(lot, held=False)
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        locks.lot(lot.pk)  # a settlement or a withdrawal has the lot...
        confirming = elsewhere(
            lambda: registrations.deposit_received(registration_id=registration.pk),
            outcomes,
            "deposit confirmed",
        )
        until_it_waits(confirming)
        # ...and goes on to lock the lot's registrations, as `lifecycle._settle` does.
        outcomes["registrations locked"] = outcome_of(
            with_lock_timeout(lambda: list(lot.registrations.select_for_update().order_by("pk")))
        )
    confirming.join(timeout=60)

    assert outcomes == {"registrations locked": "ok", "deposit confirmed": "ok"}
    registration.refresh_from_db()
    assert registration.deposit_status == Registration.Deposit.HELD


def test_outage_compensation_leaves_the_auction_row_to_a_withdrawal_of_its_next_lot(court):
    now = timezone.now()
    the_auction = factories.auction(court)
    first = factories.lot(court, the_auction=the_auction, ends_at=now + timedelta(seconds=60))
    second = factories.lot(court, the_auction=the_auction, ends_at=now + timedelta(seconds=60))
    Outage.objects.create(
        started_at=now - timedelta(minutes=5), ended_at=now - timedelta(minutes=1)
    )
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        locks.lot(second.pk)  # a withdrawal of the second lot has begun...
        compensating = elsewhere(lambda: clock.compensate_outages(now), outcomes, "compensation")
        until_it_waits(compensating)
        # ...and ends by locking the auction (`lifecycle._close_auction_if_done`).
        outcomes["withdrawal"] = outcome_of(
            with_lock_timeout(
                lambda: lifecycle.withdraw_lot(actor=None, lot_id=second.pk, reason="court order")
            )
        )
    compensating.join(timeout=60)

    assert outcomes == {"withdrawal": "ok", "compensation": "ok"}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.ends_at > now + timedelta(seconds=60)
    assert second.status == Lot.Status.WITHDRAWN
