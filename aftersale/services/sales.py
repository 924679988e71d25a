"""The buyer's balance: made at the close, paid through payments core, or defaulted at the deadline.

A default forfeits the deposit into the court's forfeited-deposits account and
offers the lot to the next bidder who kept a deposit reserved, at their own
last bid; when nobody takes it the lot goes back for a further round.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersale import engine, locks, notices
from aftersale.models import CustodyItem, FinanceRules, Sale
from aftersale.services import closing
from aftersale.services import distribution as distributions
from auction.models import Lot, Registration
from auction.services import lifecycle as auctions
from auction.services import registration as registrations
from core import audit
from core.errors import DomainError, InvalidTransition, NotFound
from core.money import Money
from enforcement.models import FileParty
from payments import engine as payment_engine
from payments import ledger
from payments import services as payments
from payments.events import PaymentReceived
from payments.models import AccountPurpose, Payment, PaymentStatus, Purpose

SALE_FIELDS = ["status", "due_at", "offer_expires_at", "payment", "paid_at", "ended_at"]


class SaleRefused(DomainError):
    code = "sale_refused"


def finance_rules(court: Any) -> FinanceRules:
    rules, _created = FinanceRules.objects.get_or_create(court=court)
    return rules


def _record(
    sale: Sale, action: str, before: dict[str, Any], actor: Any = None, note: str = ""
) -> None:
    changed_before, changed_after = audit.changes(before, audit.snapshot(sale, SALE_FIELDS))
    audit.record(
        actor=actor,
        action=action,
        obj=sale,
        before=changed_before,
        after=changed_after,
        court_id=sale.court_id,
        note=note,
    )


def _deposit_payment(registration: Registration) -> Payment | None:
    if not registration.deposit_reference:
        return None
    return Payment.objects.filter(public_id=registration.deposit_reference).first()


def _make_sale(
    *, lot: Lot, registration: Registration, kind: str, price_minor: int, status: str
) -> Sale:
    deposit = _deposit_payment(registration)
    breakdown = engine.breakdown(
        price=Money(price_minor, lot.currency),
        deposit=deposit.money if deposit is not None else Money.zero(lot.currency),
        rules=lot.auction.rules or {},
    )
    sale = Sale.objects.create(
        court_id=lot.auction.court_id,
        lot=lot,
        registration=registration,
        buyer_id=registration.bidder_id,
        file_id=lot.asset.file_id,
        kind=kind,
        status=status,
        currency=lot.currency,
        price_minor=breakdown.price.amount_minor,
        premium_minor=breakdown.premium.amount_minor,
        vat_minor=breakdown.vat.amount_minor,
        deposit_minor=breakdown.deposit.amount_minor,
        balance_minor=breakdown.balance.amount_minor,
        rules={
            key: (lot.auction.rules or {}).get(key)
            for key in (
                "premium_bp",
                "vat_bp",
                "vat_base",
                "payment_deadline_days",
                "objection_days",
            )
        },
        objection_closes_at=objection_deadline(lot),
    )
    audit.record(
        actor=None,
        action="sale.opened",
        obj=sale,
        after=audit.snapshot(
            sale,
            [
                "kind",
                "status",
                "price_minor",
                "premium_minor",
                "vat_minor",
                "deposit_minor",
                "balance_minor",
            ],
        ),
        court_id=sale.court_id,
    )
    return sale


def objection_deadline(lot: Lot) -> datetime | None:
    """Until when the lot's result may be objected to: its close plus the snapshotted days;
    None when the court allows no objection window (the sale is final once paid)."""
    days = int((lot.auction.rules or {}).get("objection_days") or 0)
    if days <= 0:
        return None
    return (lot.closed_at or timezone.now()) + timedelta(days=days)


def on_lot_sold(lot: Lot, winner: Registration) -> None:
    """The auction's listener: the lot closed sold; the winner owes the balance by the deadline."""
    assert lot.price_minor is not None
    assert lot.closed_at is not None
    sale = _make_sale(
        lot=lot,
        registration=winner,
        kind=Sale.Kind.AWARD,
        price_minor=lot.price_minor,
        status=Sale.Status.AWAITING_PAYMENT,
    )
    days = int((lot.auction.rules or {}).get("payment_deadline_days", 5))
    sale.due_at = lot.closed_at + timedelta(days=days)
    sale.save(update_fields=["due_at"])
    if sale.objection_closes_at is not None:
        _announce_objection_window(sale)
    if sale.balance_minor == 0:  # the deposit covers it all
        notices.tell(
            sale.buyer,
            kind="sale.won_paid",
            key=f"sale.won:{sale.pk}",  # one won notice per sale, whichever it says
            court=sale.court,
            url=closing.absolute_url("aftersale:purchase", sale.public_id),
            lot=lot.reference,
            price=sale.money("price"),
        )
        sale_paid(sale_id=sale.pk, payment=None)
        return
    url = closing.absolute_url("aftersale:purchase", sale.public_id)
    notices.tell(
        sale.buyer,
        kind="sale.won",
        key=f"sale.won:{sale.pk}",
        court=sale.court,
        url=url,
        lot=lot.reference,
        balance=sale.money("balance"),
        due=sale.due_at,
    )


def _announce_objection_window(sale: Sale) -> None:
    """Tell the lot's other bidders and the file's parties with an account until when they
    may object to the result."""
    bidders = Registration.objects.filter(lot_id=sale.lot_id).exclude(pk=sale.registration_id)
    users: set[Any] = {registration.bidder for registration in bidders.select_related("bidder")}
    parties = FileParty.objects.filter(file_id=sale.file_id, party__user__isnull=False)
    users |= {party.party.user for party in parties.select_related("party__user")}
    for user in sorted(users, key=lambda user: user.pk):
        assert sale.objection_closes_at is not None
        notices.tell(
            user,
            kind="sale.result",
            key=f"sale.result:{sale.pk}:{user.pk}",
            court=sale.court,
            url=closing.absolute_url("aftersale:objection_file", sale.public_id),
            lot=sale.lot.reference,
            price=sale.money("price"),
            until=sale.objection_closes_at,
        )


def methods_for(sale: Sale) -> list[str]:
    return payment_engine.methods_for(sale.money("balance"))


@transaction.atomic
def start_balance_payment(*, buyer: Any, sale_id: int, method: str) -> Payment:
    """The buyer chooses how to pay the balance; returns the payment to pay on its own page.

    Asking again with the same method returns the same payment; another method
    cancels the unpaid one first. Raises NotFound (not the buyer's sale),
    InvalidTransition (nothing due), PaymentRefused (a method that cannot
    carry the amount, e.g. a card above its maximum).

    The unpaid payment is locked before the sale, as the transaction recording
    it paid does (`locks.sale_and_payment`): a payment confirmed at the same
    moment is either seen paid here (nothing is due any more) or cancelled
    first (docs/concurrency.md, "Cancelling a payment that is being confirmed").
    """
    sale, payment = locks.sale_and_payment(sale_id)
    if sale.buyer_id != buyer.pk:
        raise NotFound()
    if sale.status != Sale.Status.AWAITING_PAYMENT:
        raise InvalidTransition(_("Nothing is due on this purchase."))
    if payment is not None and payment.status in (
        PaymentStatus.PROCESSING,
        PaymentStatus.SUCCEEDED,
    ):
        return payment
    if payment is not None and payment.status != PaymentStatus.CANCELED:
        if payment.method == method:
            return payment
        payments.cancel_payment(actor=buyer, payment=payment)
    before = audit.snapshot(sale, SALE_FIELDS)
    sale.payment = payments.collect_payment(
        payer=buyer,
        court=sale.court,
        amount=sale.money("balance"),
        purpose=Purpose.BALANCE,
        reference=sale.reference,
        method=method,
        file_number=sale.file.number,
        description=f"Balance {sale.lot.reference}",
        company=sale.registration.company,
    )
    sale.save(update_fields=["payment"])
    _record(sale, "sale.payment_started", before, actor=buyer)
    return sale.payment


def on_balance_paid(event: PaymentReceived) -> None:
    """Payments core's listener of `PaidFor.SALE_BALANCE`: a sale's balance payment succeeded."""
    sale = Sale.objects.filter(public_id=event.subject_id).first()
    if sale is not None:
        sale_paid(sale_id=sale.pk, payment=event.payment)


def sale_paid(*, sale_id: int, payment: Payment | None) -> Sale:
    """The balance arrived: the sale completes (custody, certificate, letter, distribution).

    Money that arrives after a default is refunded at once. Runs inside the
    transaction that records the payment; idempotent.
    """
    sale = locks.sale(sale_id)
    if sale.status == Sale.Status.PAID:
        return sale
    if sale.status != Sale.Status.AWAITING_PAYMENT:
        if payment is not None:
            payments.refund_payment(payment=payment, reason="Balance paid after the purchase ended")
        return sale
    before = audit.snapshot(sale, SALE_FIELDS)
    sale.status, sale.payment, sale.paid_at = Sale.Status.PAID, payment, timezone.now()
    sale.save(update_fields=["status", "payment", "paid_at"])
    _apply_deposit_in_ledger(sale)
    CustodyItem.objects.create(
        court_id=sale.court_id,
        file_id=sale.file_id,
        kind=CustodyItem.Kind.SALE,
        amount_minor=sale.total.amount_minor,
        premium_minor=sale.premium_minor,
        vat_minor=sale.vat_minor,
        currency=sale.currency,
        sale=sale,
        asset_id=sale.lot.asset_id,
        payment=payment,
        description=f"{sale.lot.reference} · {sale.lot.asset.title}"[:200],
        received_at=sale.paid_at,
    )
    _refund_excess_deposit(sale)
    registrations.refund_deposits(
        sale.lot, reason="the buyer paid the balance", keep=sale.registration_id
    )
    _record(sale, "sale.paid", before)
    finalize_if_due(sale, timezone.now())  # at once when no objection window is open
    return sale


def is_final(sale: Sale, now: datetime) -> bool:
    """Paid, past the objection window and with no objection pending: the sale stands."""
    if sale.status != Sale.Status.PAID:
        return False
    if sale.objection_closes_at is not None and now < sale.objection_closes_at:
        return False
    return not sale.objections.filter(status="PENDING").exists()


def finalize_if_due(sale: Sale, now: datetime) -> bool:
    """Make a locked sale final when it may be (`is_final`); whether it became final now."""
    if sale.finalized_at is not None or not is_final(sale, now):
        return False
    sale.finalized_at = now
    sale.save(update_fields=["finalized_at"])
    audit.record(
        actor=None,
        action="sale.final",
        obj=sale,
        after={"finalized_at": now.isoformat()},
        court_id=sale.court_id,
    )
    _completed(sale)
    return True


@transaction.atomic
def finalize_sale(*, sale_id: int, now: datetime) -> bool:
    """The deadline pass: a paid sale whose objection window closed with nothing pending."""
    sale = locks.sale(sale_id)
    return finalize_if_due(sale, now)


def _completed(sale: Sale) -> None:
    """The sale is final: certificate, transfer-of-ownership letter, proposed distribution."""
    sale.certificate = closing.issue_certificate(sale)
    sale.ownership_letter = closing.send_ownership_letter(sale)
    sale.save(update_fields=["certificate", "ownership_letter"])
    distributions.propose_distribution(actor=None, file_id=sale.file_id)


def _refund_excess_deposit(sale: Sale) -> None:
    """A deposit larger than the whole price is the buyer's beyond what was applied."""
    deposit = _deposit_payment(sale.registration)
    if deposit is None or deposit.amount_minor <= sale.deposit_minor:
        return
    excess = Money(deposit.amount_minor - sale.deposit_minor, sale.currency)
    if deposit.refundable >= excess:
        payments.refund_payment(payment=deposit, reason="deposit beyond the price", amount=excess)


def _apply_deposit_in_ledger(sale: Sale) -> None:
    """The buyer's deposit stops being theirs and joins the file's custody."""
    deposit = _deposit_payment(sale.registration)
    if deposit is None or sale.deposit_minor == 0:
        return
    ledger.post_entry(
        court=sale.court,
        memo=f"Deposit applied {sale.lot.reference}",
        legs=[
            ledger.debit(_account(sale, AccountPurpose.BIDDER_DEPOSITS), sale.money("deposit")),
            ledger.credit(
                _account(sale, AccountPurpose.SALE_PROCEEDS, sale.file.number),
                sale.money("deposit"),
            ),
        ],
        idempotency_key=f"deposit:{deposit.public_id}:applied",
        reference=sale,
    )


def _account(sale: Sale, purpose: str, file_number: str = "") -> Any:
    return ledger.account(
        court=sale.court, purpose=purpose, currency=sale.currency, file_number=file_number
    )


# -- deadlines ----------------------------------------------------------------------------------


@transaction.atomic
def remind(*, sale_id: int, now: datetime) -> bool:
    """Remind the buyer once per threshold (the court's reminder days, then the last day)."""
    sale = locks.sale(sale_id)
    if sale.status != Sale.Status.AWAITING_PAYMENT or sale.due_at is None or now >= sale.due_at:
        return False
    thresholds = sorted({finance_rules(sale.court).reminder_days, 1}, reverse=True)
    due = [days for days in thresholds if now >= sale.due_at - timedelta(days=days)]
    if len(due) <= sale.reminders_sent:
        return False
    sale.reminders_sent = len(due)
    sale.save(update_fields=["reminders_sent"])
    audit.record(
        actor=None,
        action="sale.reminded",
        obj=sale,
        after={"reminders_sent": sale.reminders_sent},
        court_id=sale.court_id,
    )
    assert sale.due_at is not None
    notices.tell(
        sale.buyer,
        kind="sale.reminder",
        key=f"sale.reminder:{sale.pk}:{sale.reminders_sent}",
        court=sale.court,
        url=closing.absolute_url("aftersale:purchase", sale.public_id),
        lot=sale.lot.reference,
        balance=sale.money("balance"),
        due=sale.due_at,
    )
    return True


@transaction.atomic
def default_sale(*, sale_id: int, now: datetime) -> Sale | None:
    """The deadline passed unpaid: forfeit the deposit, offer the lot to the next bidder.

    Returns None when nothing is due yet, or a card payment is still being
    confirmed (it is decided on a later pass). Idempotent. The unpaid payment
    is locked before the sale (`locks.sale_and_payment`), so a payment
    recorded at the same moment is either seen paid (the sale is paid, not
    defaulted) or cancelled first (card money that still arrives is refunded).
    """
    sale, payment = locks.sale_and_payment(sale_id)
    if sale.status != Sale.Status.AWAITING_PAYMENT or sale.due_at is None or now < sale.due_at:
        return None
    if payment is not None and payment.status == PaymentStatus.PROCESSING:
        return None
    if payment is not None and payment.status in (
        PaymentStatus.PREPARING,
        PaymentStatus.AWAITING_PAYMENT,
    ):
        payments.cancel_payment(actor=None, payment=payment)
    before = audit.snapshot(sale, SALE_FIELDS)
    sale.status, sale.ended_at = Sale.Status.DEFAULTED, now
    sale.save(update_fields=["status", "ended_at"])
    _forfeit(sale)
    _record(sale, "sale.defaulted", before)
    notices.tell(
        sale.buyer,
        kind="sale.defaulted",
        key=f"sale.defaulted:{sale.pk}",
        court=sale.court,
        lot=sale.lot.reference,
        deposit=sale.money("deposit"),
    )
    offer_next(lot_id=sale.lot_id, now=now)
    return sale


def _forfeit(sale: Sale) -> None:
    deposit = _deposit_payment(sale.registration)
    registrations.forfeit_deposit(sale.registration, reason="balance not paid by the deadline")
    if deposit is None or sale.deposit_minor == 0:
        return
    ledger.post_entry(
        court=sale.court,
        memo=f"Deposit forfeited {sale.lot.reference}",
        legs=[
            ledger.debit(_account(sale, AccountPurpose.BIDDER_DEPOSITS), sale.money("deposit")),
            ledger.credit(_account(sale, AccountPurpose.FORFEITED_DEPOSITS), sale.money("deposit")),
        ],
        idempotency_key=f"deposit:{deposit.public_id}:forfeited",
        reference=sale,
    )


def next_bidders(lot: Lot) -> list[tuple[Registration, int]]:
    """Bidders who kept their deposit reserved and were never offered the lot, best bid first."""
    candidates = (
        Registration.objects.filter(
            lot=lot, keep_deposit_reserved=True, deposit_status=Registration.Deposit.HELD
        )
        .exclude(sales__isnull=False)
        .annotate(best=Max("bids__amount_minor", filter=Q(bids__is_annulled=False)))
        .filter(best__isnull=False)
        .order_by("-best", "pk")
    )
    return [(registration, int(registration.best)) for registration in candidates]


def offer_next(*, lot_id: int, now: datetime) -> Sale | None:
    """Offer the lot to the best remaining reserved bidder, or return it for a further round."""
    lot = Lot.objects.select_related("auction", "asset").get(pk=lot_id)
    candidates = next_bidders(lot)
    if not candidates:
        _sale_failed(lot)
        return None
    registration, best = candidates[0]
    sale = _make_sale(
        lot=lot,
        registration=registration,
        kind=Sale.Kind.SECOND_CHANCE,
        price_minor=best,
        status=Sale.Status.OFFERED,
    )
    sale.offer_expires_at = now + timedelta(days=finance_rules(sale.court).second_chance_days)
    sale.save(update_fields=["offer_expires_at"])
    notices.tell(
        sale.buyer,
        kind="sale.offered",
        key=f"sale.offered:{sale.pk}",
        court=sale.court,
        url=closing.absolute_url("aftersale:purchase", sale.public_id),
        lot=lot.reference,
        price=sale.money("price"),
        expires=sale.offer_expires_at,
    )
    return sale


def _sale_failed(lot: Lot) -> None:
    registrations.refund_deposits(lot, reason="no buyer paid; the lot goes to a further round")
    if lot.status == Lot.Status.SOLD:
        auctions.record_sale_failed(lot_id=lot.pk, reason="Every buyer defaulted")
    notices.tell(
        closing.file_officer(lot.asset.file),
        kind="sale.further_round",
        key=f"sale.further_round:{lot.pk}",
        court=lot.asset.file.court,
        lot=lot.reference,
    )


@transaction.atomic
def accept_offer(*, buyer: Any, sale_id: int, now: datetime) -> Sale:
    """The next bidder takes the lot at their last bid; the balance is due when the offer ends."""
    sale = locks.sale(sale_id)
    if sale.buyer_id != buyer.pk:
        raise NotFound()
    if sale.status != Sale.Status.OFFERED:
        raise InvalidTransition(_("This offer is no longer open."))
    assert sale.offer_expires_at is not None
    if now >= sale.offer_expires_at:
        raise SaleRefused(
            _("The time to accept this offer has run out."), code="offer_expired", field="offer"
        )
    before = audit.snapshot(sale, SALE_FIELDS)
    registrations.apply_deposit(sale.registration)
    sale.status, sale.due_at = Sale.Status.AWAITING_PAYMENT, sale.offer_expires_at
    sale.save(update_fields=["status", "due_at"])
    _record(sale, "sale.offer_accepted", before, actor=buyer)
    return sale


@transaction.atomic
def decline_offer(*, buyer: Any, sale_id: int, now: datetime) -> Sale:
    """The next bidder declines: their deposit is refunded and the lot goes to the one after."""
    sale = locks.sale(sale_id)
    if sale.buyer_id != buyer.pk:
        raise NotFound()
    if sale.status != Sale.Status.OFFERED:
        raise InvalidTransition(_("This offer is no longer open."))
    return _end_offer(sale, Sale.Status.DECLINED, now, actor=buyer)


@transaction.atomic
def expire_offer(*, sale_id: int, now: datetime) -> Sale | None:
    sale = locks.sale(sale_id)
    if (
        sale.status != Sale.Status.OFFERED
        or sale.offer_expires_at is None
        or now < sale.offer_expires_at
    ):
        return None
    return _end_offer(sale, Sale.Status.EXPIRED, now)


def _end_offer(sale: Sale, status: str, now: datetime, actor: Any = None) -> Sale:
    before = audit.snapshot(sale, SALE_FIELDS)
    sale.status, sale.ended_at = status, now
    sale.save(update_fields=["status", "ended_at"])
    registrations.refund_deposit(sale.registration, reason="second-chance offer not taken")
    _record(sale, f"sale.offer_{status.lower()}", before, actor=actor)
    offer_next(lot_id=sale.lot_id, now=now)
    return sale
