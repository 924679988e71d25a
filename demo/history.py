"""Demo history of `make run`: the court's sales of the last months, closed, paid and distributed.

Each past sale is replayed through the services at the times it happened, with
the clock of this process set back (`at`), so the ledger, the audit trail and
every page show a believable past: the finance chart has money in and out on
many days, and the lists of sales, receipts and transfers are full. The bank's
and the payment provider's answers of the past (transfers confirmed, payouts
paid) are recorded as they would have arrived. Created once per court.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from babel.dates import format_date
from django.utils import timezone

from accounts.models import User
from accounts.organisations import Court
from aftersale import services as aftersale
from aftersale.models import Disbursement, Distribution, Sale
from aftersale.services import disbursements
from auction.bidding import decide as bidding
from auction.bidding import rules as bidding_rules
from auction.models import Lot, SaleRules
from auction.services import lifecycle
from auction.services import registration as registrations
from demo import enforcement as demo_enforcement
from enforcement import services as enforcement
from enforcement.models import EnforcementFile
from payments import services as payments
from payments.models import JobStatus, Method, Payment, PaymentJob, Refund, RefundStatus

TITLES = {
    "VEHICLE": ("مزاد مركبات", "Vehicle auction"),
    "REAL_ESTATE": ("مزاد عقارات", "Real estate auction"),
}
# Days before today that each past sale closed, and what was sold (kind, kind of property).
PAST_SALES = [
    (150, "REAL_ESTATE", "APARTMENT"),
    (118, "VEHICLE", ""),
    (92, "REAL_ESTATE", "LAND"),
    (70, "VEHICLE", ""),
    (51, "REAL_ESTATE", "VILLA"),
    (38, "VEHICLE", ""),
    (31, "REAL_ESTATE", "SHOP"),
    (24, "VEHICLE", ""),
    (17, "REAL_ESTATE", "APARTMENT"),
    (11, "VEHICLE", ""),
]
# (The provider's answer, the last step of a sale, comes 8 days after its close: all are past.)
NOTE_RECEIVED = "وصل المبلغ إلى حساب المحكمة بحوالة بنكية"
TRANSFERRED = "نُقلت ملكية المال المبيع إلى المشتري وسُجّل ذلك في سجلاتنا."
NOTE_REFUNDED = "رُد مبلغ التأمين إلى حساب المزايد بحوالة بنكية"
NOTE_CHECKED = "رُوجعت البيانات البنكية للمستفيد ومبلغ الاستحقاق"


@contextlib.contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the services as if it were `moment` (the replay of a past sale, one process only)."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


def seed_court(court: Court, staff: Any, supervisor: Any, finance: Any, bidders: list[Any]) -> int:
    """Replay the court's past sales once; returns how many were made."""
    if EnforcementFile.objects.filter(
        court=court, instrument_reference__startswith=demo_enforcement.PAST_REFERENCE
    ).exists():
        return 0
    if len(bidders) < 2:
        return 0
    now = timezone.now()
    for number, (days_ago, kind, property_kind) in enumerate(PAST_SALES):
        closed_at = (now - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
        rng = random.Random(f"{court.code}-history-{number}")
        _past_sale(
            court,
            staff,
            supervisor,
            finance,
            bidders=rng.sample(bidders, k=min(len(bidders), rng.randrange(2, 5))),
            closed_at=closed_at,
            kind=kind,
            property_kind=property_kind,
            rng=rng,
        )
    return len(PAST_SALES)


def _past_sale(
    court: Court,
    staff: Any,
    supervisor: Any,
    finance: Any,
    *,
    bidders: list[Any],
    closed_at: datetime,
    kind: str,
    property_kind: str,
    rng: random.Random,
) -> None:
    rules = SaleRules.objects.get_or_create(court=court)[0]
    opens_at = closed_at - timedelta(days=2)
    published_at = opens_at - timedelta(days=rules.notice_days + 2)
    with at(published_at - timedelta(days=20)):
        asset = demo_enforcement.open_sale_file(
            court,
            staff,
            supervisor,
            kind=kind,
            number=100 + _count(court),
            property_kind=property_kind,
            reference=demo_enforcement.PAST_REFERENCE,
        )
    with at(published_at):
        title_ar, title_en = TITLES[kind]
        auction = lifecycle.create_auction(
            actor=staff,
            title_ar=f"{title_ar} — {_month(closed_at, 'ar')}",
            title_en=f"{title_en} — {_month(closed_at, 'en')}",
            starts_at=opens_at,
            ends_at=closed_at,
        )
        lot = lifecycle.add_lot(actor=staff, auction_id=auction.pk, asset_id=asset.pk)
        lifecycle.publish_auction(actor=staff, auction_id=auction.pk)
    with at(opens_at):
        lifecycle.open_lot(lot_id=lot.pk, now=opens_at)
    for offset, bidder in enumerate(bidders):
        with at(opens_at + timedelta(hours=1 + offset)):
            registration = registrations.register_for_lot(
                user=bidder, lot_id=lot.pk, method=Method.BANK_TRANSFER
            )
        with at(opens_at + timedelta(hours=3 + offset)):
            payments.confirm_bank_transfer(
                actor=finance,
                payment=Payment.objects.get(public_id=registration.deposit_reference),
                note=NOTE_RECEIVED,
            )
    _bids(lot, bidders, opens_at + timedelta(hours=6), closed_at, rng)
    with at(closed_at + timedelta(minutes=1)):
        lifecycle.close_lot(lot_id=lot.pk, now=closed_at + timedelta(minutes=1))
    sale = Sale.objects.filter(lot=lot).first()
    if sale is not None:
        _paid_and_distributed(sale, finance, supervisor, closed_at)


def _count(court: Court) -> int:
    return EnforcementFile.objects.filter(
        court=court, instrument_reference__startswith=demo_enforcement.PAST_REFERENCE
    ).count()


def _month(moment: datetime, language: str) -> str:
    return format_date(moment, "LLLL y", locale=language)


def _bids(
    lot: Lot, bidders: list[Any], first: datetime, last: datetime, rng: random.Random
) -> None:
    """Bids that climb from the opening price to 90-105 % of the appraisal, the bidders taking
    turns, until the end."""
    appraisal = lifecycle.appraised_value(lot.asset)
    ceiling = appraisal.amount_minor * rng.randrange(90, 106) // 100 if appraisal else 0
    count = rng.randrange(4, 10)
    step = (last - first - timedelta(hours=1)) / count
    for number in range(count):
        lot.refresh_from_db()
        wanted = lot.opening_minor + (ceiling - lot.opening_minor) * (number + 1) // count
        bands = bidding_rules.increments_from(lot.auction.rules)
        amount = bidding_rules.minimum_after(bands, lot.opening_minor, lot.price_minor)
        while amount < wanted:
            amount = bidding_rules.minimum_after(bands, lot.opening_minor, amount)
        with at(first + step * number):
            bidding.place_bid(
                lot_id=lot.pk,
                user_id=bidders[number % len(bidders)].pk,
                amount_minor=amount,
                keep_deposit_reserved=True,
            )


def _paid_and_distributed(sale: Sale, finance: Any, supervisor: Any, closed_at: datetime) -> None:
    """The buyer pays the balance by bank transfer; the proceeds are distributed and paid out."""
    with at(closed_at + timedelta(days=2, hours=3)):
        payment = aftersale.start_balance_payment(
            buyer=sale.buyer, sale_id=sale.pk, method=Method.BANK_TRANSFER
        )
    with at(closed_at + timedelta(days=4, hours=2)):
        payments.confirm_bank_transfer(actor=finance, payment=payment, note=NOTE_RECEIVED)
    _refunds_confirmed(sale.lot, finance, closed_at + timedelta(days=3, hours=5))
    _ownership_transferred(sale, closed_at)
    distribution = Distribution.objects.filter(file=sale.file).order_by("-pk").first()
    if distribution is None:
        return
    items = list(distribution.disbursements.order_by("pk"))
    with at(closed_at + timedelta(days=6, hours=1)):
        for item in items:
            aftersale.prepare_disbursement(
                actor=finance, disbursement_id=item.pk, note=NOTE_CHECKED
            )
    with at(closed_at + timedelta(days=7, hours=4)):
        for item in items:
            aftersale.approve_disbursement(actor=supervisor, disbursement_id=item.pk)
    _provider_answers(items, closed_at + timedelta(days=8, hours=2))


def _refunds_confirmed(lot: Lot, finance: Any, confirmed_at: datetime) -> None:
    """The court's bank returned the deposits of the bidders who did not win."""
    references = lot.registrations.values_list("deposit_reference", flat=True)
    waiting = Refund.objects.filter(
        payment__public_id__in=list(references), status=RefundStatus.AWAITING_BANK
    ).order_by("pk")
    with at(confirmed_at):
        for refund in waiting:
            payments.confirm_bank_refund(actor=finance, refund=refund, note=NOTE_REFUNDED)


def _ownership_transferred(sale: Sale, closed_at: datetime) -> None:
    """The registry acknowledges the letter asking it to transfer the asset, then answers it;
    the letter of the latest sale is still being handled."""

    sale.refresh_from_db()
    letter = sale.ownership_letter
    agent = User.objects.filter(agency=letter.agency).first() if letter is not None else None
    if letter is None or agent is None:
        return
    with at(closed_at + timedelta(days=5, hours=3)):
        enforcement.acknowledge_letter(actor=agent, letter_id=letter.pk)
    if closed_at + timedelta(days=12) < timezone.now():
        with at(closed_at + timedelta(days=9, hours=2)):
            enforcement.answer_letter(actor=agent, letter_id=letter.pk, answer=TRANSFERRED)


def _provider_answers(items: list[Disbursement], answered_at: datetime) -> None:
    """What the provider answered back then: accounts opened, transfers and payouts paid."""
    for _round in range(3):  # an account first, then the transfer waiting for it
        jobs = list(
            PaymentJob.objects.filter(
                status=JobStatus.PENDING,
                subject_type="aftersale.disbursement",
                subject_id__in=[str(item.pk) for item in items],
            ).order_by("pk")
        )
        for job in jobs:
            item = Disbursement.objects.get(pk=int(job.subject_id))
            with at(answered_at):
                _answer(job, item)


def _answer(job: PaymentJob, item: Disbursement) -> None:
    prefix = {"connect_account.create": "acct", "transfer.create": "tr", "payout.create": "po"}
    provider_id = f"{prefix.get(job.operation, 'obj')}_demo{job.pk:010d}"
    PaymentJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, result={"id": provider_id}, finished_at=timezone.now()
    )
    if job.operation == "connect_account.create":
        disbursements.account_created(item, provider_id)
    else:
        disbursements.paid(item, provider_id)
