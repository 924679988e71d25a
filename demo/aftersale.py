"""Demo after the hammer: a closed, sold lot whose buyer paid the balance by bank transfer.

After `make run` the finance officer of each court finds a proposed
distribution to prepare (and a second officer or the judge to approve), the
court account holding the money, and in test mode today's bank statement to
reconcile. Created once per court; a second run changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.organisations import Court
from aftersale import services as aftersale
from aftersale.models import FinanceRules, Sale
from auction.bidding import decide as bidding
from auction.models import Lot
from auction.services import lifecycle
from auction.services import registration as registrations
from demo import auctions as demo_auctions
from payments import services as payments
from payments.models import Method, Payment

CLOSED_TITLE = ("مزاد مركبات — جلسة مسائية", "Vehicle auction — evening session")
# Riyadh pays out to IBANs from its bank account; Kuwait transfers to provider accounts.
METHOD = {"RYC": FinanceRules.Method.PAYOUT, "KWC": FinanceRules.Method.TRANSFER}


def seed_closed_sale(
    court: Court, staff: Any, supervisor: Any, finance: Any, bidders: list[Any]
) -> bool:
    FinanceRules.objects.get_or_create(
        court=court,
        defaults={"disbursement_method": METHOD.get(court.code, FinanceRules.Method.TRANSFER)},
    )
    if (
        Sale.objects.filter(court=court, lot__auction__title_en=CLOSED_TITLE[1]).exists()
        or len(bidders) < 2
    ):
        return False
    assets = demo_auctions._assets(court, staff, supervisor, "VEHICLE", 1)
    if not assets:
        return False
    now = timezone.now()
    auction = lifecycle.create_auction(
        actor=staff,
        title_ar=CLOSED_TITLE[0],
        title_en=CLOSED_TITLE[1],
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=1),
    )
    lot = lifecycle.add_lot(actor=staff, auction_id=auction.pk, asset_id=assets[0].pk)
    lifecycle.publish_auction(actor=staff, auction_id=auction.pk, now=now - timedelta(days=60))
    lifecycle.open_lot(lot_id=lot.pk, now=now)
    for bidder in bidders[:2]:
        registration = registrations.register_for_lot(
            user=bidder, lot_id=lot.pk, method=Method.BANK_TRANSFER
        )
        payment = Payment.objects.get(public_id=registration.deposit_reference)
        payments.confirm_bank_transfer(
            actor=finance, payment=payment, note="وصل مبلغ التأمين إلى حساب المحكمة بحوالة بنكية"
        )
    runner_up, winner = bidders[1], bidders[0]
    bidding.place_bid(
        lot_id=lot.pk,
        user_id=runner_up.pk,
        amount_minor=lot.opening_minor,
        keep_deposit_reserved=True,
    )
    bidding.place_bid(
        lot_id=lot.pk, user_id=winner.pk, amount_minor=lot.opening_minor + lot.opening_minor // 10
    )
    ended = now - timedelta(minutes=30)
    Lot.objects.filter(pk=lot.pk).update(ends_at=ended, original_ends_at=ended)
    lifecycle.close_lot(lot_id=lot.pk, now=now)
    sale = Sale.objects.get(lot=lot, status=Sale.Status.AWAITING_PAYMENT)
    payment = aftersale.start_balance_payment(
        buyer=winner, sale_id=sale.pk, method=Method.BANK_TRANSFER
    )
    payments.confirm_bank_transfer(
        actor=finance, payment=payment, note="باقي الثمن وصل إلى حساب المحكمة بحوالة بنكية"
    )
    return True
