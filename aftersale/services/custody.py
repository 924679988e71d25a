"""Money for a file that is not a sale: seized bank funds, and the debtor's own redemption."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability
from aftersale import access, locks, notices
from aftersale.models import CustodyItem
from aftersale.services import distribution as distributions
from auction import locks as auction_locks
from auction.models import Lot
from auction.services import lifecycle as auctions
from core import audit
from core.errors import DomainError, InvalidTransition, NotFound
from core.money import Money
from enforcement import hooks as enforcement_hooks
from enforcement import selectors as enforcement_selectors
from enforcement.models import AgencyAnswer, EnforcementFile, SeizureOrder
from payments import engine as payment_engine
from payments import ledger
from payments import services as payments
from payments.events import PaidFor, PaymentReceived
from payments.events import reference as payment_reference
from payments.models import AccountPurpose, Payment, Purpose

NOTE_MINIMUM = 5
OPEN_LOTS = (Lot.Status.SCHEDULED, Lot.Status.OPEN)


class CustodyRefused(DomainError):
    code = "custody_refused"


@transaction.atomic
def receive_seized_funds(*, actor: Any, order_id: int, note: str) -> CustodyItem:
    """Finance staff confirm the bank sent the funds seized by an order: custody of the file.

    Raises NotFound (another court's order), InvalidTransition (not an
    executed bank-funds order with an amount, or already received),
    CustodyRefused (note_required).
    """
    order = locks.seizure_order(order_id)  # not its file's court row
    if order is None:
        raise NotFound()
    file = order.file
    access.require(actor, Capability.RECONCILE, file.court_id)
    note = (note or "").strip()
    if len(note) < NOTE_MINIMUM:
        raise CustodyRefused(
            _("Write a note of at least %(count)s characters saying how it was checked."),
            code="note_required",
            field="note",
            params={"count": NOTE_MINIMUM},
        )
    if (
        order.kind != SeizureOrder.Kind.BANK_FUNDS
        or order.status != SeizureOrder.Status.EXECUTED
        or not order.amount_seized_minor
    ):
        raise InvalidTransition(
            _("Only an executed seizure of bank funds with an amount is received.")
        )
    if CustodyItem.objects.filter(order=order).exists():
        raise InvalidTransition(_("These funds were already received."))
    item = _book_seized_funds(
        order,
        Money(int(order.amount_seized_minor), file.currency),
        memo=f"Seized funds {file.number} order {order.pk}",
        idempotency_key=f"seized-funds:{order.pk}",
        reference=order,
        description=f"{order.get_kind_display()} · {order.target_iban}",
        actor=actor,
        after={"order": order.pk},
        note=note,
    )
    _propose(file)
    return item


def _book_seized_funds(
    order: SeizureOrder,
    amount: Money,
    *,
    memo: str,
    idempotency_key: str,
    reference: Any,
    description: str,
    actor: Any,
    after: dict[str, Any],
    note: str,
) -> CustodyItem:
    """Seized funds into the court's custody, owed to the file: the ledger entry (custody
    against the file's proceeds, once per `idempotency_key`), the custody item and the audit."""
    file = order.file
    ledger.post_entry(
        court=file.court,
        memo=memo,
        legs=[
            ledger.debit(
                ledger.account(
                    court=file.court, purpose=AccountPurpose.COURT_CUSTODY, currency=file.currency
                ),
                amount,
            ),
            ledger.credit(
                ledger.account(
                    court=file.court,
                    purpose=AccountPurpose.SALE_PROCEEDS,
                    currency=file.currency,
                    file_number=file.number,
                ),
                amount,
            ),
        ],
        idempotency_key=idempotency_key,
        reference=reference,
        actor=actor,
    )
    item = CustodyItem.objects.create(
        court=file.court,
        file=file,
        kind=CustodyItem.Kind.SEIZED_FUNDS,
        amount_minor=amount.amount_minor,
        currency=file.currency,
        order=order,
        description=description[:200],
        received_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        action="custody.seized_funds_received",
        obj=item,
        after={**after, "amount_minor": amount.amount_minor},
        court_id=file.court_id,
        note=note,
    )
    return item


def on_agency_transfer(event: enforcement_hooks.FundsTransferred) -> None:
    """A bank answered through the agencies API that it moved the frozen funds to the court.

    Runs in the answer's transaction: the ledger entry (custody, against the file's proceeds)
    refers to the answer, whose reference is the one on the court's bank statement, so
    reconciliation matches the line to it. Funds already received by hand for the order
    are refused (the answer is rolled back), never booked twice.
    """
    order = locks.seizure_order(event.order_id)
    if order is None:
        raise NotFound()
    if CustodyItem.objects.filter(order=order).exists():
        raise InvalidTransition(
            _("These funds were already received."), code="funds_already_received"
        )
    file = order.file
    answer = AgencyAnswer.objects.get(pk=event.answer_id)
    _book_seized_funds(
        order,
        Money(event.amount_minor, event.currency),
        memo=f"Seized funds {file.number} order {order.pk} ref {event.reference}",
        idempotency_key=f"agency-transfer:{answer.pk}",
        reference=answer,
        description=f"{order.get_kind_display()} · {order.target_iban} · {event.reference}",
        actor=None,
        after={"order": order.pk, "answer": answer.pk},
        note=f"Transferred by the bank, reference {event.reference}",
    )
    _propose(file)


def collect_from_debtor(
    *,
    debtor: Any,
    file: EnforcementFile,
    amount: Money,
    reference: str,
    method: str,
    description: str,
) -> Payment:
    """The debtor's payment to the court for the file (a redemption, an instalment): by the
    method chosen when the amount allows it, else by bank transfer."""
    return payments.collect_payment(
        payer=debtor,
        court=file.court,
        amount=amount,
        purpose=Purpose.BALANCE,
        reference=reference,
        method=method
        if method in payment_engine.methods_for(amount)
        else payment_engine.BANK_TRANSFER,
        file_number=file.number,
        description=description,
    )


def redemption_reference(file_id: int) -> str:
    return payment_reference(PaidFor.FILE_REDEMPTION, file_id)


def redeemable(file: EnforcementFile) -> bool:
    """Until the close: the file owes something and none of its lots has been sold."""
    if enforcement_selectors.balance_owed(file).amount_minor <= 0:
        return False
    if file.status not in (EnforcementFile.Status.OPEN, EnforcementFile.Status.ENFORCING):
        return False
    if CustodyItem.objects.filter(file=file, kind=CustodyItem.Kind.REDEMPTION).exists():
        return False  # paid off already; the distribution pays the applicant
    return not Lot.objects.filter(asset__file=file, status=Lot.Status.SOLD).exists()


@transaction.atomic
def start_redemption(*, debtor: Any, file_id: int, method: str) -> Payment:
    """The debtor pays the whole balance owed on the file into the court account.

    Raises NotFound (not the user's file), InvalidTransition (nothing owed,
    or a lot of the file is already sold), PaymentRefused (a method that
    cannot carry the amount).

    The live payment is locked before the file, as the transaction recording
    it paid does (`aftersale.locks.payment_first`): one confirmed at the same
    moment is either seen paid here (the file is redeemed) or cancelled first
    (docs/concurrency.md, "Cancelling a payment that is being confirmed").
    """
    mine = access.files_as_debtor(debtor).filter(pk=file_id)
    live_ids = Payment.objects.filter(
        payer=debtor, purpose=Purpose.BALANCE, reference=redemption_reference(file_id)
    ).exclude(status="CANCELED")
    file, live = locks.payment_first(
        lambda: live_ids.values_list("pk", flat=True).first(),
        lambda: locks.file_among(mine),
    )
    if file is None:
        raise NotFound()
    if not redeemable(file):
        raise InvalidTransition(_("This file can no longer be paid off here."))
    owed = enforcement_selectors.balance_owed(file)
    if (
        live is not None
        and (live.money != owed or live.method != method)
        and live.status in ("PREPARING", "AWAITING_PAYMENT")
    ):
        payments.cancel_payment(actor=debtor, payment=live)
    elif live is not None:
        return live
    payment = collect_from_debtor(
        debtor=debtor,
        file=file,
        amount=owed,
        reference=redemption_reference(file.pk),
        method=method,
        description=f"Balance owed on file {file.number}",
    )
    audit.record(
        actor=debtor,
        action="file.redemption_started",
        obj=file,
        after={"payment": str(payment.public_id), "amount_minor": owed.amount_minor},
        court_id=file.court_id,
    )
    return payment


def on_redemption_paid(event: PaymentReceived) -> None:
    """Payments core's listener of `PaidFor.FILE_REDEMPTION`: the debtor paid the file off.

    Lots withdrawn, custody, distribution.
    """
    payment = event.payment
    file = EnforcementFile.objects.select_related("court").get(pk=event.subject_pk)
    # Every lot first, in id order, and only then their auctions (withdraw_lot locks its auction
    # last): a lot path holds its lot before the auction (docs/concurrency.md, "The global order").
    lot_ids = list(
        Lot.objects.filter(asset__file=file, status__in=OPEN_LOTS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for lot_id in lot_ids:
        auction_locks.lot(lot_id)
    for lot_id in lot_ids:
        auctions.withdraw_lot(actor=None, lot_id=lot_id, reason="The debtor paid the balance owed")
    CustodyItem.objects.create(
        court=file.court,
        file=file,
        kind=CustodyItem.Kind.REDEMPTION,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        payment=payment,
        description=f"Payment by the debtor {payment.bank_reference or payment.intent_id or ''}"[
            :200
        ],
        received_at=payment.succeeded_at or timezone.now(),
    )
    audit.record(
        actor=None,
        action="file.redeemed",
        obj=file,
        after={"payment": str(payment.public_id), "amount_minor": payment.amount_minor},
        court_id=file.court_id,
    )
    notices.tell(
        payment.payer,
        kind="custody.received",
        key=f"custody.received:{payment.pk}",
        court=file.court,
        file=file.number,
    )
    _propose(file)


def _propose(file: EnforcementFile) -> None:
    distributions.propose_distribution(actor=None, file_id=file.pk)
