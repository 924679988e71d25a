"""Default at the deadline: forfeiture, the second-chance offer accepted or refused, reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersale import services as aftersale
from aftersale.models import Sale
from aftersale.services import deadlines, sales
from auction.models import Lot, Registration
from core.errors import InvalidTransition, NotFound
from core.models import AuditRecord
from payments import ledger
from payments.models import AccountPurpose, Payment
from payments.services import PaymentRefused
from tests.aftersale import helpers
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def forfeited(court) -> int:
    account = ledger.account(court=court, purpose=AccountPurpose.FORFEITED_DEPOSITS, currency="SAR")
    return -ledger.balance(account).amount_minor


def test_a_reminder_goes_out_before_the_deadline_once_per_threshold(court, mailoutbox):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance)
    early = sale.due_at - timedelta(days=3)

    assert deadlines.run(early) == 0
    assert deadlines.run(sale.due_at - timedelta(days=2)) == 1
    assert deadlines.run(sale.due_at - timedelta(days=2)) == 0
    assert deadlines.run(sale.due_at - timedelta(hours=5)) == 1

    sale.refresh_from_db()
    assert sale.reminders_sent == 2
    assert sale.status == Sale.Status.AWAITING_PAYMENT


def test_unpaid_at_the_deadline_the_deposit_is_forfeited_and_the_next_bidder_accepts_and_pays(
    client, court, stripe
):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, price=5_000_000, deposit=400_000, reserved=1)
    runner_up = Registration.objects.filter(lot=sale.lot).exclude(pk=sale.registration_id).get()
    aftersale.start_balance_payment(buyer=sale.buyer, sale_id=sale.pk, method="BANK_TRANSFER")

    assert aftersale.default_sale(sale_id=sale.pk, now=sale.due_at - timedelta(seconds=1)) is None
    deadlines.run(sale.due_at)

    sale.refresh_from_db()
    sale.registration.refresh_from_db()
    assert sale.status == Sale.Status.DEFAULTED
    assert sale.payment.status == "CANCELED"
    assert sale.registration.deposit_status == Registration.Deposit.FORFEITED
    assert forfeited(court) == 400_000
    offer = Sale.objects.get(registration=runner_up)
    assert (offer.kind, offer.status, offer.price_minor) == ("SECOND_CHANCE", "OFFERED", 4_900_000)
    assert offer.balance_minor == 4_900_000 + offer.premium_minor + offer.vat_minor - 400_000

    aftersale.accept_offer(
        buyer=offer.buyer, sale_id=offer.pk, now=offer.offer_expires_at - timedelta(hours=1)
    )
    helpers.pay_by_card(client, Sale.objects.get(pk=offer.pk), stripe)

    offer.refresh_from_db()
    runner_up.refresh_from_db()
    assert offer.status == Sale.Status.PAID
    assert runner_up.deposit_status == Registration.Deposit.APPLIED
    assert offer.certificate is not None
    assert Lot.objects.get(pk=sale.lot_id).status == Lot.Status.SOLD
    assert AuditRecord.objects.filter(action="sale.defaulted").count() == 1


def test_the_next_bidder_refuses_and_the_lot_goes_back_for_a_further_round(court):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, reserved=1)
    deadlines.run(sale.due_at + timedelta(minutes=1))
    offer = Sale.objects.get(lot=sale.lot, kind="SECOND_CHANCE")
    stranger = make_user("BIDDER", verified=True)

    with pytest.raises(NotFound):
        aftersale.decline_offer(buyer=stranger, sale_id=offer.pk, now=offer.created_at)
    aftersale.decline_offer(buyer=offer.buyer, sale_id=offer.pk, now=offer.created_at)

    offer.refresh_from_db()
    offer.registration.refresh_from_db()
    lot = Lot.objects.get(pk=sale.lot_id)
    assert offer.status == Sale.Status.DECLINED
    assert offer.registration.deposit_status == Registration.Deposit.REFUNDED
    assert (lot.status, lot.outcome) == (Lot.Status.UNSOLD, Lot.Outcome.BUYER_DEFAULTED)
    assert lot.asset.status == "UNSOLD"
    with pytest.raises(InvalidTransition):
        aftersale.accept_offer(buyer=offer.buyer, sale_id=offer.pk, now=offer.created_at)


def test_an_offer_not_accepted_in_time_expires_and_cannot_be_accepted_late(court):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, reserved=1)
    deadlines.run(sale.due_at)
    offer = Sale.objects.get(lot=sale.lot, kind="SECOND_CHANCE")
    late = offer.offer_expires_at + timedelta(seconds=1)

    with pytest.raises(sales.SaleRefused) as raised:
        aftersale.accept_offer(buyer=offer.buyer, sale_id=offer.pk, now=late)
    assert raised.value.code == "offer_expired"
    offer.refresh_from_db()
    assert offer.status == Sale.Status.OFFERED
    deadlines.run(late)

    offer.refresh_from_db()
    assert offer.status == Sale.Status.EXPIRED
    assert Lot.objects.get(pk=sale.lot_id).status == Lot.Status.UNSOLD


def test_a_card_above_the_maximum_is_refused_for_the_balance_and_changes_nothing(court):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, price=200_000_000)
    before = Payment.objects.count()

    with pytest.raises(PaymentRefused) as raised:
        aftersale.start_balance_payment(buyer=sale.buyer, sale_id=sale.pk, method="CARD")

    assert raised.value.code == "card_maximum"
    assert sales.methods_for(sale) == ["BANK_TRANSFER"]
    assert Payment.objects.count() == before
    sale.refresh_from_db()
    assert sale.payment is None
