"""Objections to a lot's result and the annulment of a sale by a judge, with its refunds.

A party to the file (the debtor, an applicant), a secured creditor of the sold
asset (the holder of its mortgage, lien or recorded charge, known by the identity
recorded with the encumbrance: their own, or their company's commercial
registration for a representative with a valid power of attorney) or another
bidder of the lot may object within the court's objection window (`objection_days`, snapshotted into
the auction's rules). The sale is final only once it is paid, the window has
closed and no objection is pending (`sales.is_final`). A judge rejects an
objection, or upholds it, which annuls the sale (`annul_sale`): the buyer's
payments and deposit are refunded once, the balance due is cancelled, a
proposed distribution is withdrawn, and the lot becomes unsold. Money already
paid out of the court account cannot be taken back here: that is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import mandates
from accounts.access import has_capability
from accounts.roles import Capability
from aftersale import locks, notices
from aftersale.models import CustodyItem, Disbursement, Distribution, Objection, Sale
from aftersale.services import sales
from aftersale.services.claims import SECURED_KINDS
from auction.models import Registration
from auction.services import lifecycle as auctions
from auction.services import registration as registrations
from core import audit
from core.errors import DomainError, InvalidTransition, NotFound
from enforcement.models import Encumbrance, FileParty
from payments import ledger
from payments import services as payments
from payments.models import AccountPurpose, PaymentStatus

MAX_TEXT = 4_000
MIN_GROUNDS = 10
UNDOABLE = (Sale.Status.AWAITING_PAYMENT, Sale.Status.PAID)
DISBURSEMENT_NOT_SENT = (Disbursement.Status.TO_PREPARE, Disbursement.Status.PREPARED)


class ObjectionRefused(DomainError):
    code = "objection_refused"
    status = 409


def _text(value: str, field: str, *, minimum: int = 1) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("This field is required."), code="required", field=field)
    if len(value) < minimum:
        raise DomainError(
            _("Write at least %(minimum)s characters."),
            code="too_short",
            field=field,
            params={"minimum": minimum},
        )
    if len(value) > MAX_TEXT:
        raise DomainError(
            _("Write at most %(limit)s characters."),
            code="too_long",
            field=field,
            params={"limit": MAX_TEXT},
        )
    return value


def is_judge(user: Any, sale: Sale) -> bool:
    return bool(has_capability(user, Capability.APPROVE_SALES) and user.court_id == sale.court_id)


def standing_of(user: Any, sale: Sale) -> str | None:
    """As what `user` may object to the sale's result, or None when they may not."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.pk == sale.buyer_id or user.is_court_staff or user.is_agency_user:
        return None  # the buyer, and staff who act for a court or an agency, have no standing
    role = (
        FileParty.objects.filter(file_id=sale.file_id)
        .filter(party__user=user)
        .values_list("role", flat=True)
        .first()
    )
    if role is None and user.id_number:
        role = (
            FileParty.objects.filter(
                file_id=sale.file_id,
                party__id_number=user.id_number,
                party__id_country=user.id_country,
            )
            .values_list("role", flat=True)
            .first()
        )
    if role is not None:
        return str(role)
    if _is_secured_creditor(user, sale):
        return Objection.Standing.SECURED_CREDITOR
    if Registration.objects.filter(lot_id=sale.lot_id, bidder=user).exists():
        return Objection.Standing.BIDDER
    return None


def _is_secured_creditor(user: Any, sale: Sale) -> bool:
    """Whether `user` holds a mortgage, lien or recorded charge over the sold asset, in person
    or for a company they represent with a power of attorney valid today."""
    secured = Encumbrance.objects.filter(
        asset_id=sale.lot.asset_id, kind__in=SECURED_KINDS
    ).exclude(holder_id_number="")
    if (
        user.id_number
        and secured.filter(
            holder_id_number=user.id_number.upper(), holder_id_country=user.id_country
        ).exists()
    ):
        return True
    companies = [
        (mandate.company.registration_country, mandate.company.registration_number.upper())
        for mandate in mandates.valid_mandates(user)
    ]
    return any(
        secured.filter(holder_id_country=country, holder_id_number=number).exists()
        for country, number in companies
    )


@transaction.atomic
def file_objection(*, filer: Any, sale_id: int, grounds: str, now: datetime) -> Objection:
    """File an objection to the result. Raises NotFound (no standing: outsiders learn nothing),
    DomainError on the grounds, ObjectionRefused `objection_window_closed` or
    `objection_pending` (the filer's earlier one is still waiting)."""
    grounds = _text(grounds, "grounds", minimum=MIN_GROUNDS)
    sale = locks.sale(sale_id)
    standing = standing_of(filer, sale)
    if standing is None:
        raise NotFound()
    closes = sale.objection_closes_at
    if sale.status not in UNDOABLE or sale.finalized_at or closes is None or now >= closes:
        raise ObjectionRefused(
            _("The time to object to this result has ended."),
            code="objection_window_closed",
            field="grounds",
        )
    try:
        with transaction.atomic():
            objection = Objection.objects.create(
                sale=sale, filed_by=filer, standing=standing, grounds=grounds, filed_at=now
            )
    except IntegrityError:
        raise ObjectionRefused(
            _("Your earlier objection to this result is still waiting for the judge."),
            code="objection_pending",
            field="grounds",
        ) from None
    audit.record(
        actor=filer,
        action="objection.filed",
        obj=objection,
        after={"sale": sale.pk, "standing": standing},
        court_id=sale.court_id,
        note=grounds,
    )
    return objection


@transaction.atomic
def decide_objection(
    *, actor: Any, objection_id: int, uphold: bool, reason: str, now: datetime
) -> Objection:
    """A judge rejects the objection, or upholds it and annuls the sale.

    Locks the sale's payment and the sale (with its lot) first, then the objection, so two
    judges deciding the same objection are served one after the other: the second is
    refused (`invalid_transition`). Raises NotFound, PermissionDenied, DomainError on the
    reason, and what `annul_sale` raises.
    """
    reason = _text(reason, "reason")
    sale_id = Objection.objects.filter(pk=objection_id).values_list("sale_id", flat=True).first()
    if sale_id is None:
        raise NotFound()
    sale, _payment = locks.sale_and_payment(sale_id)
    if not is_judge(actor, sale):
        raise NotFound()
    objection = locks.objection(objection_id)
    if objection.status != Objection.Status.PENDING:
        raise InvalidTransition(_("This objection was decided already."))
    if uphold:
        _annul(sale, actor=actor, reason=reason, now=now)
    objection.status = Objection.Status.UPHELD if uphold else Objection.Status.REJECTED
    objection.decided_by, objection.decided_at, objection.decision_reason = actor, now, reason
    objection.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit.record(
        actor=actor,
        action=f"objection.{objection.status.lower()}",
        obj=objection,
        before={"status": Objection.Status.PENDING},
        after={"status": objection.status},
        court_id=sale.court_id,
        note=reason,
    )
    notices.tell(
        objection.filed_by,
        kind="objection.decided",
        key=f"objection.decided:{objection.pk}",
        court=sale.court,
        lot=sale.lot.reference,
        decision=Objection.Status(objection.status).label,
        reason=reason,
    )
    if not uphold:
        sales.finalize_if_due(sale, now)
    return objection


@transaction.atomic
def annul_sale(*, actor: Any, sale_id: int, reason: str, now: datetime) -> Sale:
    """A judge annuls the sale (see the module's docstring). Raises NotFound, DomainError on
    the reason, InvalidTransition (nothing to annul), ObjectionRefused `proceeds_paid_out`."""
    reason = _text(reason, "reason")
    sale, _payment = locks.sale_and_payment(sale_id)
    if not is_judge(actor, sale):
        raise NotFound()
    _annul(sale, actor=actor, reason=reason, now=now)
    for objection in sale.objections.filter(status=Objection.Status.PENDING):
        objection.status, objection.decided_by = Objection.Status.UPHELD, actor
        objection.decided_at, objection.decision_reason = now, reason
        objection.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return sale


def _annul(sale: Sale, *, actor: Any, reason: str, now: datetime) -> None:
    """Annul a locked sale with its payment locked: refunds, the lot unsold, the audit."""
    if sale.status not in UNDOABLE:
        raise InvalidTransition(_("Only a sale that is due or paid can be annulled."))
    custody = CustodyItem.objects.filter(sale=sale).select_related("distribution").first()
    _withdraw_distribution(custody, actor, reason)
    before = audit.snapshot(sale, [*sales.SALE_FIELDS, "finalized_at"])
    was_paid = sale.status == Sale.Status.PAID
    payment = sale.payment
    if payment is not None and payment.status in (
        PaymentStatus.PREPARING,
        PaymentStatus.AWAITING_PAYMENT,
    ):
        payments.cancel_payment(actor=None, payment=payment)
    if was_paid:
        _reverse_applied_deposit(sale)
        if payment is not None and payment.refundable.amount_minor > 0:
            payments.refund_payment(payment=payment, reason="sale annulled by the court")
    if custody is not None:
        custody.delete()  # the money it recorded is going back to the buyer
    registrations.release_deposit(sale.registration, reason="sale annulled by the court")
    registrations.refund_deposits(sale.lot, reason="sale annulled by the court")
    sale.status, sale.ended_at, sale.finalized_at = Sale.Status.ANNULLED, now, None
    sale.annulled_reason, sale.annulled_by = reason, actor
    sale.save(
        update_fields=["status", "ended_at", "finalized_at", "annulled_reason", "annulled_by"]
    )
    auctions.record_sale_annulled(actor=actor, lot_id=sale.lot_id, reason=reason)
    changed_before, changed_after = audit.changes(
        before, audit.snapshot(sale, [*sales.SALE_FIELDS, "finalized_at"])
    )
    audit.record(
        actor=actor,
        action="sale.annulled",
        obj=sale,
        before=changed_before,
        after=changed_after,
        court_id=sale.court_id,
        note=reason,
    )
    notices.tell(
        sale.buyer,
        kind="sale.annulled",
        key=f"sale.annulled:{sale.pk}",
        court=sale.court,
        lot=sale.lot.reference,
        reason=reason,
    )


def _withdraw_distribution(custody: CustodyItem | None, actor: Any, reason: str) -> None:
    """Withdraw the proposal holding the sale's money, or refuse when any of it was paid out."""
    if custody is None or custody.distribution is None:
        return
    distribution = locks.distribution(custody.distribution.pk)
    sent = distribution.disbursements.exclude(status__in=DISBURSEMENT_NOT_SENT).exists()
    if distribution.status != Distribution.Status.PROPOSED or sent:
        raise ObjectionRefused(
            _(
                "Money from this sale was already paid out of the court account: a sale whose "
                "proceeds were distributed cannot be annulled here. Recover the payments first."
            ),
            code="proceeds_paid_out",
        )
    distribution.status, distribution.cancelled_at = Distribution.Status.CANCELLED, timezone.now()
    distribution.cancelled_by, distribution.note = actor, reason
    distribution.save(update_fields=["status", "cancelled_at", "cancelled_by", "note"])
    distribution.items.update(distribution=None)
    audit.record(
        actor=actor,
        action="distribution.cancelled",
        obj=distribution,
        before={"status": Distribution.Status.PROPOSED},
        after={"status": distribution.status},
        court_id=distribution.court_id,
        note=reason,
    )


def _reverse_applied_deposit(sale: Sale) -> None:
    """The deposit applied at payment goes back from the file's proceeds to the deposits held,
    whence its refund is paid (`payments.outcomes.refund_paid`)."""
    deposit = sales._deposit_payment(sale.registration)
    if deposit is None or sale.deposit_minor == 0:
        return
    ledger.post_entry(
        court=sale.court,
        memo=f"Deposit returned, sale annulled {sale.lot.reference}",
        legs=[
            ledger.debit(
                sales._account(sale, AccountPurpose.SALE_PROCEEDS, sale.file.number),
                sale.money("deposit"),
            ),
            ledger.credit(
                sales._account(sale, AccountPurpose.BIDDER_DEPOSITS), sale.money("deposit")
            ),
        ],
        idempotency_key=f"deposit:{deposit.public_id}:annulled",
        reference=sale,
    )
