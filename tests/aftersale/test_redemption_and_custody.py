"""The debtor's redemption, seized bank funds joining custody, and a reversed transfer re-queued."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.organisations import Agency
from aftersale import services as aftersale
from aftersale.models import CustodyItem, Disbursement, Distribution
from aftersale.services.custody import CustodyRefused
from auction.models import Lot, Registration
from core.errors import InvalidTransition, NotFound
from enforcement.models import Party, SeizureOrder
from payments import ledger
from payments import services as payments
from payments.models import AccountPurpose
from tests.aftersale import helpers
from tests.auction import factories
from tests.conftest import make_user
from tests.payments.conftest import make_event, post_event, work

pytestmark = pytest.mark.django_db


def test_the_debtor_pays_the_balance_owed_lots_are_withdrawn_and_the_applicant_is_paid(court):
    finance = make_user("FINANCE_STAFF", court=court)
    file = helpers.file_with(court, claim=3_000_000, costs=100_000)
    lot = factories.lot(court, asset=factories.approved_asset(court, file=file))
    bidder = factories.registered_bidder(lot, held=False)
    helpers.deposit_paid(bidder, finance, 50_000)
    debtor = make_user("BIDDER", verified=True)
    Party.objects.filter(file_roles__file=file, file_roles__role="DEBTOR").update(user=debtor)
    stranger = make_user("BIDDER", verified=True)

    with pytest.raises(NotFound):
        aftersale.start_redemption(debtor=stranger, file_id=file.pk, method="BANK_TRANSFER")
    payment = aftersale.start_redemption(debtor=debtor, file_id=file.pk, method="BANK_TRANSFER")
    assert payment.amount_minor == 3_100_000
    payments.confirm_bank_transfer(actor=finance, payment=payment, note="Statement line 9")

    lot.refresh_from_db()
    bidder.refresh_from_db()
    assert lot.status == Lot.Status.WITHDRAWN
    assert bidder.deposit_status == Registration.Deposit.REFUNDED
    distribution = Distribution.objects.get(file=file)
    assert [(line.step, line.amount_minor) for line in distribution.lines.all()] == [
        ("COSTS", 100_000),
        ("CLAIM", 3_000_000),
    ]
    with pytest.raises(InvalidTransition):
        aftersale.start_redemption(debtor=debtor, file_id=file.pk, method="BANK_TRANSFER")


def test_seized_bank_funds_enter_custody_once_and_join_the_distribution(court):
    finance = make_user("FINANCE_STAFF", court=court)
    file = helpers.file_with(court, claim=10_000_000)
    agency = Agency.objects.create(
        code="SA-BANK", kind="BANK", country="SA", name_ar="بنك", name_en="Bank"
    )
    staff = make_user("EXECUTION_STAFF", court=court)
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

    with pytest.raises(CustodyRefused) as raised:
        aftersale.receive_seized_funds(actor=finance, order_id=order.pk, note="")
    assert raised.value.field == "note"
    assert not CustodyItem.objects.exists()
    aftersale.receive_seized_funds(actor=finance, order_id=order.pk, note="Bank letter 55/2026")
    with pytest.raises(InvalidTransition):
        aftersale.receive_seized_funds(actor=finance, order_id=order.pk, note="Bank letter 55/2026")

    distribution = Distribution.objects.get(file=file)
    assert distribution.total_minor == 1_234_567
    custody = ledger.account(court=court, purpose=AccountPurpose.COURT_CUSTODY, currency="SAR")
    assert ledger.balance(custody).amount_minor == 1_234_567


def test_a_reversed_transfer_goes_back_to_the_queue_with_its_reason_and_is_sent_again(
    client, court, stripe
):
    finance, checker = helpers.staff_pair(court)
    file = helpers.file_with(court, claim=50_000_000)
    sale = helpers.sold_lot(court, finance, file=file)
    helpers.pay_by_card(client, sale, stripe)
    item = Disbursement.objects.get(distribution__file=file)
    aftersale.prepare_disbursement(actor=finance, disbursement_id=item.pk)
    aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)
    work(stripe)
    work(stripe)
    item.refresh_from_db()
    assert item.status == "SENT"
    transit = ledger.account(
        court=court, purpose=AccountPurpose.DISBURSEMENTS_IN_TRANSIT, currency="SAR"
    )
    assert ledger.balance(transit).amount_minor == item.amount_minor

    reversed_transfer = {
        "id": item.provider_id,
        "object": "transfer",
        "amount": item.amount_minor,
        "amount_reversed": item.amount_minor,
        "currency": "sar",
        "metadata": {"mazad_ref": item.reference},
    }
    post_event(client, make_event("transfer.reversed", reversed_transfer))
    work(stripe)

    item.refresh_from_db()
    assert (item.status, item.failure_reason) == ("RETURNED", "transfer.reversed")
    assert ledger.balance(transit).amount_minor == 0
    aftersale.prepare_disbursement(actor=finance, disbursement_id=item.pk)
    aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)
    work(stripe)
    item.refresh_from_db()
    assert (item.status, item.attempt) == ("SENT", 2)
