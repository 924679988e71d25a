"""Demo sales of `make run`: a live auction ending minutes after start-up, and a published one.

The live auction is created afresh whenever no demo lot is still open, so every
`make run` has one to bid on. Its lots end five, seven and nine minutes after
loading; the three demo bidders are registered with their deposits held (paid
by bank transfer and confirmed by the court's finance officer), and two bids
are already in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.organisations import Court
from auction.bidding import decide as bidding
from auction.models import Auction, Lot, SaleRules
from auction.services import lifecycle
from auction.services import registration as registrations
from demo import enforcement as demo_enforcement
from enforcement.models import EnforcementFile, SeizedAsset
from payments import services as payments
from payments.models import Method, Payment

LIVE_TITLE = ("مزاد المركبات الأسبوعي", "Weekly vehicle auction")
UPCOMING_TITLE = ("مزاد العقارات الشهري", "Monthly real estate auction")
LIVE_MINUTES = (5, 7, 9)


def _assets(
    court: Court,
    staff: Any,
    supervisor: Any,
    kind: str,
    count: int,
    property_kinds: tuple[str, ...] = (),
) -> list[Any]:
    """Fresh assets approved for sale, each on a file of its own whose debt matches it."""
    first = EnforcementFile.objects.filter(
        court=court, instrument_reference__startswith=demo_enforcement.SALE_REFERENCE
    ).count()
    return [
        demo_enforcement.open_sale_file(
            court,
            staff,
            supervisor,
            kind=kind,
            number=first + offset,
            property_kind=property_kinds[offset % len(property_kinds)] if property_kinds else "",
        )
        for offset in range(count)
    ]


def court_assets(court: Court) -> list[Any]:

    return list(SeizedAsset.objects.filter(court=court, status="APPROVED_FOR_SALE"))


def _deposit_held(registration: Any, finance: Any) -> None:
    payment = Payment.objects.get(public_id=registration.deposit_reference)
    payments.confirm_bank_transfer(
        actor=finance, payment=payment, note="وصل مبلغ التأمين إلى حساب المحكمة بحوالة بنكية"
    )


def seed_live(court: Court, staff: Any, supervisor: Any, finance: Any, bidders: list[Any]) -> bool:
    now = timezone.now()
    if Lot.objects.filter(
        auction__court=court, status=Lot.Status.OPEN, ends_at__gt=now + timedelta(minutes=2)
    ).exists():
        return False
    rules = SaleRules.objects.get_or_create(court=court)[0]
    starts = now - timedelta(minutes=1)
    auction = lifecycle.create_auction(
        actor=staff,
        title_ar=LIVE_TITLE[0],
        title_en=LIVE_TITLE[1],
        starts_at=starts,
        ends_at=now + timedelta(minutes=max(LIVE_MINUTES)),
    )
    for asset in _assets(court, staff, supervisor, "VEHICLE", len(LIVE_MINUTES)):
        lifecycle.add_lot(actor=staff, auction_id=auction.pk, asset_id=asset.pk)
    # Published as if on time: the demo skips the notice period it could not have waited for.
    lifecycle.publish_auction(
        actor=staff, auction_id=auction.pk, now=starts - timedelta(days=rules.notice_days)
    )
    lots = list(auction.lots.order_by("number"))
    for lot, minutes in zip(lots, LIVE_MINUTES, strict=False):
        ends = now + timedelta(minutes=minutes)
        Lot.objects.filter(pk=lot.pk).update(ends_at=ends, original_ends_at=ends)
        lifecycle.open_lot(lot_id=lot.pk, now=now)
    for lot in lots:
        for bidder in bidders:
            registration = registrations.register_for_lot(
                user=bidder, lot_id=lot.pk, method=Method.BANK_TRANSFER
            )
            _deposit_held(registration, finance)
    for lot, bidder in zip(lots[:2], bidders[1:], strict=False):
        lot.refresh_from_db()
        bidding.place_bid(lot_id=lot.pk, user_id=bidder.pk, amount_minor=lot.opening_minor)
    return True


def seed_upcoming(court: Court, staff: Any, supervisor: Any) -> bool:
    if Auction.objects.filter(
        court=court, title_en=UPCOMING_TITLE[1], status=Auction.Status.PUBLISHED
    ).exists():
        return False
    rules = SaleRules.objects.get_or_create(court=court)[0]
    starts = (timezone.now() + timedelta(days=rules.notice_days + 1)).replace(
        minute=0, second=0, microsecond=0
    )
    auction = lifecycle.create_auction(
        actor=staff,
        title_ar=UPCOMING_TITLE[0],
        title_en=UPCOMING_TITLE[1],
        starts_at=starts,
        ends_at=starts + timedelta(days=2),
    )
    for asset in _assets(court, staff, supervisor, "REAL_ESTATE", 2, ("APARTMENT", "VILLA")):
        lifecycle.add_lot(actor=staff, auction_id=auction.pk, asset_id=asset.pk)
    lifecycle.publish_auction(actor=staff, auction_id=auction.pk)
    return True
