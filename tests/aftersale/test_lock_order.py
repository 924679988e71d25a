"""After-sale paths lock their own rows, and a file's lots before their auctions.

A court's row locked FOR UPDATE would make every row written for the court wait (each bid
writes an audit record that refers to it: docs/concurrency.md, "The rules"), and an auction's
row held while waiting for another of its lots deadlocks against a lot path, which holds its
lot and then locks the auction (docs/concurrency.md, "The global order").
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.organisations import Agency
from aftersale import services as aftersale
from auction import locks
from auction.models import Lot
from core import audit
from enforcement.models import EnforcementFile, Party, SeizureOrder
from payments import services as payments
from tests.aftersale import helpers
from tests.auction import factories
from tests.conftest import make_user
from tests.harness.lock_waits import (
    elsewhere,
    outcome_of,
    until_it_waits,
    with_lock_timeout,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_receiving_seized_funds_and_proposing_their_distribution_leave_the_court_row_free(
    court,
):
    finance = make_user("FINANCE_STAFF", court=court)
    staff = make_user("EXECUTION_STAFF", court=court)
    file = helpers.file_with(court, claim=10_000_000)
    agency = Agency.objects.create(
        code="SA-BANK", kind="BANK", country="SA", name_ar="بنك", name_en="Bank"
    )
    order = SeizureOrder.objects.create(
        file=file,
        kind="BANK_FUNDS",
        agency=agency,
        target_iban="SA4420000001234567891234",
        amount_seized_minor=1_234_567,
        status="EXECUTED",
        requested_by=staff,
        issued_by=staff,
        issued_at=timezone.now(),
        executed_by=staff,
        executed_at=timezone.now(),
    )
    outcomes: dict[str, str] = {}

    def written_for_the_court() -> None:  # what every bid writes: an audit record of the court
        audit.record(actor=None, action="test.court_row", obj=court, court_id=court.pk)

    def the_file() -> None:
        list(EnforcementFile.objects.filter(pk=file.pk).select_for_update())

    def other_connection() -> None:
        outcomes["court row"] = outcome_of(with_lock_timeout(written_for_the_court))
        outcomes["file row"] = outcome_of(with_lock_timeout(the_file))

    with transaction.atomic():
        aftersale.receive_seized_funds(actor=finance, order_id=order.pk, note="Bank letter 55")
        elsewhere(other_connection, outcomes, "other connection").join(timeout=60)

    assert outcomes == {
        "court row": "ok",
        "file row": "LockNotAvailable",
        "other connection": "ok",
    }


def test_a_redemption_locks_every_lot_of_the_file_before_any_auction(court):
    finance = make_user("FINANCE_STAFF", court=court)
    file = helpers.file_with(court, claim=3_000_000)
    the_auction = factories.auction(court)
    first, second = (
        factories.lot(
            court, the_auction=the_auction, asset=factories.approved_asset(court, file=file)
        )
        for _ in range(2)
    )
    debtor = make_user("BIDDER", verified=True)
    Party.objects.filter(file_roles__file=file, file_roles__role="DEBTOR").update(user=debtor)
    payment = aftersale.start_redemption(debtor=debtor, file_id=file.pk, method="BANK_TRANSFER")
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        locks.lot(second.pk)  # a lot path (opening, withdrawing) holds the second lot...
        confirming = elsewhere(
            lambda: payments.confirm_bank_transfer(actor=finance, payment=payment, note="Line 9"),
            outcomes,
            "redemption received",
        )
        until_it_waits(confirming)
        # ...and then locks its auction, as `lifecycle.open_lot` and `withdraw_lot` do.
        outcomes["auction locked"] = outcome_of(
            with_lock_timeout(lambda: locks.auction(the_auction.pk))
        )
    confirming.join(timeout=60)

    assert outcomes == {"auction locked": "ok", "redemption received": "ok"}
    assert set(
        Lot.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {Lot.Status.WITHDRAWN}
