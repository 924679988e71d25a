"""Paying a settlement's instalments into the court account, and what approval does to lots.

The settlement itself is enforcement's (`enforcement.services.settlements`); this side takes
the money through payments core like any balance (card with the provider, or a bank transfer
found in the statement's reconciliation), holds each instalment in custody and distributes it
to the applicants through the same distribution as a sale's proceeds.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersale import notices
from aftersale.models import CustodyItem, Sale
from aftersale.services import custody
from aftersale.services import distribution as distributions
from auction import locks as auction_locks
from auction.models import Lot
from auction.services import lifecycle as auctions
from core import audit
from core.errors import DomainError, InvalidTransition, NotFound
from core.money import Money
from enforcement import access as enforcement_access
from enforcement import services as enforcement
from enforcement.models import EnforcementFile, Instalment, Settlement
from payments import services as payments
from payments.events import PaidFor, PaymentReceived
from payments.events import reference as payment_reference
from payments.models import Payment, Purpose


class SettlementBlocked(DomainError):
    code = "settlement_blocked"
    status = 409


def instalment_reference(instalment_id: int) -> str:
    return payment_reference(PaidFor.SETTLEMENT_INSTALMENT, instalment_id)


def settlement_in_force(debtor: Any, file_id: int) -> Settlement | None:
    """The approved settlement of one of the debtor's files, or None."""
    return (
        Settlement.objects.filter(
            file__in=enforcement_access.files_as_debtor(debtor),
            file_id=file_id,
            status=Settlement.Status.APPROVED,
        )
        .select_related("file__court")
        .first()
    )


@transaction.atomic
def start_instalment_payment(*, debtor: Any, file_id: int, method: str) -> Payment:
    """The debtor pays the next unpaid instalment of the file's settlement in force.

    Raises NotFound (not a file of theirs), InvalidTransition (no settlement in force, nothing
    left to pay), PaymentRefused (a method that cannot carry the amount). Asking again for
    the same instalment and method returns the payment already asked for.
    """
    settlement = settlement_in_force(debtor, file_id)
    if settlement is None:
        if enforcement_access.files_as_debtor(debtor).filter(pk=file_id).exists():
            raise InvalidTransition(
                _("This file has no settlement in force."), code="no_settlement", field="file"
            )
        raise NotFound()
    instalment = enforcement.next_instalment(settlement)
    if instalment is None:
        raise InvalidTransition(_("Every instalment is paid."), code="nothing_due", field="file")
    file = settlement.file
    amount = Money(instalment.amount_minor, settlement.currency)
    reference = instalment_reference(instalment.pk)
    live = (
        Payment.objects.filter(payer=debtor, purpose=Purpose.BALANCE, reference=reference)
        .exclude(status="CANCELED")
        .first()
    )
    if (
        live is not None
        and live.method != method
        and live.status in ("PREPARING", "AWAITING_PAYMENT")
    ):
        payments.cancel_payment(actor=debtor, payment=live)
    elif live is not None:
        return live
    payment = custody.collect_from_debtor(
        debtor=debtor,
        file=file,
        amount=amount,
        reference=reference,
        method=method,
        description=f"Instalment {instalment.number} on file {file.number}",
    )
    audit.record(
        actor=debtor,
        action="settlement.payment_started",
        obj=file,
        after={"payment": str(payment.public_id), "instalment": instalment.number},
        court_id=file.court_id,
    )
    return payment


def on_instalment_paid(event: PaymentReceived) -> None:
    """Payments core's listener of `PaidFor.SETTLEMENT_INSTALMENT`: an instalment arrived.

    Enforcement records it (under the settlement's lock: on time, or late after a default,
    never both), the money is held for the file and the distribution proposed.
    """
    payment = event.payment
    recorded = enforcement.record_instalment_paid(
        instalment_id=event.subject_pk,
        payment_reference=str(payment.public_id),
        paid_at=payment.succeeded_at or timezone.now(),
    )
    if not recorded.is_new:
        return
    file = EnforcementFile.objects.select_related("court").get(pk=recorded.file_id)
    instalment = Instalment.objects.get(pk=event.subject_pk)
    CustodyItem.objects.create(
        court=file.court,
        file=file,
        kind=CustodyItem.Kind.INSTALMENT,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        payment=payment,
        description=" ".join(
            (f"Instalment {instalment.number}", payment.bank_reference or payment.intent_id or "")
        )[:200],
        received_at=payment.succeeded_at or timezone.now(),
    )
    notices.tell(
        payment.payer,
        kind="instalment.received",
        key=f"instalment.received:{payment.pk}",
        court=file.court,
        file=file.number,
        number=instalment.number,
        amount=Money(payment.amount_minor, payment.currency),
    )
    distributions.propose_distribution(actor=None, file_id=file.pk)


def before_settlement_approved(file_id: int) -> None:
    """Enforcement's hook when the judge approves a settlement of the file.

    Refused while a lot of the file is open for bidding (lot_live) or sold and not yet paid
    (lot_sold_unpaid): that sale runs its course first. The file's lots still scheduled are
    withdrawn (their deposits refunded, the assets back to approved for sale), so nothing of
    it goes live while the debtor pays; a default later lets staff list them again.
    """
    lot_ids = list(
        Lot.objects.filter(
            asset__file_id=file_id, status__in=(Lot.Status.SCHEDULED, Lot.Status.OPEN)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for lot_id in lot_ids:
        lot = auction_locks.lot(lot_id)
        if lot.status == Lot.Status.OPEN:
            raise SettlementBlocked(
                _("Lot %(lot)s of this file is open for bidding: decide after it closes."),
                code="lot_live",
                field="file",
                params={"lot": lot.reference},
            )
    unpaid = (
        Lot.objects.filter(asset__file_id=file_id, status=Lot.Status.SOLD)
        .exclude(sales__status=Sale.Status.PAID)
        .select_related("auction")
        .first()
    )
    if unpaid is not None:
        raise SettlementBlocked(
            _("Lot %(lot)s of this file is sold and not yet paid: decide once its sale is paid."),
            code="lot_sold_unpaid",
            field="file",
            params={"lot": unpaid.reference},
        )
    for lot_id in lot_ids:
        auctions.withdraw_lot(
            actor=None, lot_id=lot_id, reason="An instalment settlement of the file was approved"
        )


def file_of_debtor(debtor: Any, file_id: int) -> EnforcementFile:
    file = (
        enforcement_access.files_as_debtor(debtor)
        .select_related("court")
        .filter(pk=file_id)
        .first()
    )
    if file is None:
        raise NotFound()
    return file
