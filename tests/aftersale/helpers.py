"""A sold lot, its buyer paying, and finance staff of the court: the after-sale test data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aftersale.models import Sale
from auction.bidding import decide as bidding
from auction.services import lifecycle
from core.money import Money
from enforcement.models import FileParty
from payments import services as payments
from payments.models import Method, Payment
from tests.auction import factories
from tests.conftest import make_user
from tests.payments.conftest import intent_object, make_event, post_event, work


def file_with(court: Any, *, claim: int, costs: int = 0, applicants: int = 1) -> Any:
    file = factories.enforcement_file(court)
    type(file).objects.filter(pk=file.pk).update(
        claim_minor=claim, costs_minor=costs, instrument_kind="JUDGMENT"
    )
    file.refresh_from_db()
    for number in range(1, applicants):
        from enforcement.models import Party

        party = Party.objects.create(
            court=court,
            kind="PERSON",
            id_kind="NATIONAL_ID",
            name_ar="طالب",
            name_en=f"Second applicant {number}",
            id_country="SA",
            id_number=f"B{file.pk:06d}{number}",
            email=f"applicant{number}@example.com",
        )
        FileParty.objects.create(file=file, party=party, role="APPLICANT", share=number + 1)
    return file


def deposit_paid(registration: Any, finance: Any, amount: int) -> Payment:
    """The bidder's deposit, paid by bank transfer and confirmed by finance staff."""
    from auction.services import registration as registrations

    payment = payments.collect_payment(
        payer=registration.bidder,
        court=registration.lot.auction.court,
        amount=Money(amount, registration.lot.currency),
        purpose="DEPOSIT",
        reference=registrations.deposit_reference(registration),
        method=Method.BANK_TRANSFER,
        file_number=registration.lot.asset.file.number,
    )
    registration.deposit_reference = str(payment.public_id)
    registration.deposit_status = "PENDING"
    registration.save(update_fields=["deposit_reference", "deposit_status"])
    payments.confirm_bank_transfer(actor=finance, payment=payment, note="Statement line 1")
    registration.refresh_from_db()
    return payment


def sold_lot(
    court: Any,
    finance: Any,
    *,
    file: Any = None,
    price: int = 10_000_000,
    deposit: int = 800_000,
    reserved: int = 0,
    rules: dict | None = None,
) -> Sale:
    """A lot won at `price` (bidders with deposits paid; `reserved` runners-up kept theirs)."""
    asset = factories.approved_asset(court, file=file)
    lot = factories.lot(court, opening_minor=1_000, deposit_minor=deposit, asset=asset, rules=rules)
    bidders = [factories.registered_bidder(lot, held=False) for _ in range(reserved + 1)]
    for registration in bidders:
        deposit_paid(registration, finance, deposit)
    for offset, registration in enumerate(reversed(bidders)):
        bidding.place_bid(
            lot_id=lot.pk,
            user_id=registration.bidder_id,
            amount_minor=price - (len(bidders) - 1 - offset) * 100_000,
            keep_deposit_reserved=True,
        )
    lifecycle.close_lot(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))
    return Sale.objects.get(lot=lot, status=Sale.Status.AWAITING_PAYMENT)


def pay_by_card(client: Any, sale: Sale, stripe: Any) -> Payment:
    from aftersale import services as aftersale

    payment = aftersale.start_balance_payment(buyer=sale.buyer, sale_id=sale.pk, method=Method.CARD)
    work(stripe)
    payment.refresh_from_db()
    payments.confirm_card_payment(payer=sale.buyer, payment=payment, payment_method="pm_card_visa")
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
    return payment


def staff_pair(court: Any) -> tuple[Any, Any]:
    return make_user("FINANCE_STAFF", court=court), make_user("FINANCE_STAFF", court=court)
