"""Disbursements: prepared by one finance officer, approved by another, sent through the provider.

Nothing is sent before its distribution is final (every disbursement in it
approved) and while a dispute holds the file. A transfer or payout is a
payment job (same idempotency key on every retry, a new version per
attempt); its status follows the provider's events. A refused, failed or
reversed one goes back to the queue with its reason.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability
from aftersale import access, locks
from aftersale.models import Disbursement, Distribution, FinanceRules
from aftersale.models.distribution import PayeeKind
from aftersale.services import claims, closing
from core import audit, receipts
from core.errors import DomainError, InvalidTransition, NotFound
from core.models import Receipt
from core.money import Money, stripe_amount
from enforcement import services as enforcement
from payments import jobs, ledger
from payments import selectors as payment_records
from payments.client import REFERENCE_KEY
from payments.models import AccountPurpose, JournalEntry

FIELDS = [
    "status",
    "method",
    "destination",
    "attempt",
    "prepared_by",
    "approved_by",
    "provider_id",
    "failure_reason",
]
PAYABLE_OF = {
    PayeeKind.APPLICANT: AccountPurpose.APPLICANT_PAYABLE,
    PayeeKind.CREDITOR: AccountPurpose.CREDITOR_PAYABLE,
    PayeeKind.DEBTOR: AccountPurpose.DEBTOR_PAYABLE,
}


class DisbursementRefused(DomainError):
    code = "disbursement_refused"


def _record(
    item: Disbursement, action: str, before: dict[str, Any], actor: Any = None, note: str = ""
) -> None:
    changed_before, changed_after = audit.changes(before, audit.snapshot(item, FIELDS))
    audit.record(
        actor=actor,
        action=action,
        obj=item,
        before=changed_before,
        after=changed_after,
        court_id=item.court_id,
        note=note,
    )


def _rules(court_id: int) -> FinanceRules:
    return FinanceRules.objects.get_or_create(court_id=court_id)[0]


def _iban(item: Disbursement) -> str:
    if item.party is not None:
        return item.party.iban
    return item.encumbrance.holder_iban if item.encumbrance is not None else ""


@transaction.atomic
def prepare_disbursement(*, actor: Any, disbursement_id: int, note: str = "") -> Disbursement:
    """A finance officer checks the payee and the amount and puts it up for approval.

    Raises PermissionDenied/NotFound (not finance staff of the court),
    InvalidTransition (not waiting to be prepared), DisbursementRefused
    (iban_missing when the court pays out to IBANs and the payee has none).
    """
    item = locks.disbursement(disbursement_id)
    access.require(actor, Capability.PREPARE_DISBURSEMENTS, item.court_id)
    if item.status not in (Disbursement.Status.TO_PREPARE, Disbursement.Status.RETURNED):
        raise InvalidTransition(_("This disbursement is not waiting to be prepared."))
    if item.distribution.status == Distribution.Status.CANCELLED:
        raise InvalidTransition(_("This distribution was cancelled."))
    rules = _rules(item.court_id)
    method = rules.disbursement_method
    if method == FinanceRules.Method.PAYOUT and not _iban(item):
        raise DisbursementRefused(
            _("The payee has no IBAN on record; add it to the party before preparing."),
            code="iban_missing",
            field="destination",
        )
    before = audit.snapshot(item, FIELDS)
    if item.status == Disbursement.Status.RETURNED:
        item.attempt += 1
        item.approved_by, item.approved_at, item.provider_id = None, None, None
    item.status, item.method = Disbursement.Status.PREPARED, method
    item.destination = _iban(item) if method == FinanceRules.Method.PAYOUT else item.destination
    item.prepared_by, item.prepared_at = actor, timezone.now()
    item.preparation_note = (note or "").strip()[:300]
    item.needs_supervisor = item.amount_minor > rules.approval_threshold_minor
    item.save()
    _record(item, "disbursement.prepared", before, actor=actor, note=item.preparation_note)
    return item


def approve(*, actor: Any, disbursement_id: int) -> Disbursement:
    """A second person approves; above the court's threshold it must be a supervisor.

    The preparer can never approve their own (refused here, and by a CHECK
    constraint in the database). Runs in the caller's transaction
    (`distribution.approve_disbursement`, which then finalizes the
    distribution or sends the disbursement).
    """
    item = locks.disbursement(disbursement_id)
    access.require(actor, Capability.APPROVE_DISBURSEMENTS, item.court_id)
    if item.status != Disbursement.Status.PREPARED:
        raise InvalidTransition(_("This disbursement is not waiting for approval."))
    if item.prepared_by_id == actor.pk:
        raise DisbursementRefused(
            _("You prepared this disbursement; another person must approve it."),
            code="own_disbursement",
            field="approved_by",
        )
    if item.needs_supervisor and not access.is_supervisor(actor):
        raise DisbursementRefused(
            _("Above %(limit)s a supervisor approves the disbursement."),
            code="supervisor_required",
            field="approved_by",
            params={
                "limit": Money(
                    _rules(item.court_id).approval_threshold_minor, item.currency
                ).format()
            },
        )
    before = audit.snapshot(item, FIELDS)
    item.status, item.approved_by, item.approved_at = (
        Disbursement.Status.APPROVED,
        actor,
        timezone.now(),
    )
    item.save(update_fields=["status", "approved_by", "approved_at"])
    _record(item, "disbursement.approved", before, actor=actor)
    return item


@transaction.atomic
def send_disbursement(*, actor: Any, disbursement_id: int) -> Disbursement:
    """Send an approved disbursement that waited (a hold on the file was released)."""
    item = locks.disbursement(disbursement_id)
    access.require(actor, Capability.APPROVE_DISBURSEMENTS, item.court_id)
    if (
        item.status != Disbursement.Status.APPROVED
        or item.distribution.status != Distribution.Status.FINAL
    ):
        raise InvalidTransition(_("Only an approved disbursement of a final distribution is sent."))
    if not send(item):
        raise DisbursementRefused(
            _("A dispute holds this file's distribution; nothing is sent until it is released."),
            code="distribution_hold",
        )
    item.refresh_from_db()
    return item


def send(item: Disbursement) -> bool:
    """Write the instruction to pay (the locked, approved item); False while a hold is open."""
    if item.status != Disbursement.Status.APPROVED:
        return False
    if payment_records.has_distribution_hold(court=item.court, file_number=item.file_number):
        return False
    before = audit.snapshot(item, FIELDS)
    item.status = Disbursement.Status.SENDING
    item.failure_reason = ""
    item.save(update_fields=["status", "failure_reason"])
    if item.method == "PAYOUT":
        _enqueue_payout(item)
    elif _account_of(item):
        item.destination = _account_of(item)
        item.save(update_fields=["destination"])
        enqueue_transfer(item)
    else:
        _enqueue_account(item)
    _record(item, "disbursement.sending", before)
    return True


def _account_of(item: Disbursement) -> str:
    if item.party is not None:
        return item.party.payment_account_id
    earlier = (
        Disbursement.objects.filter(encumbrance=item.encumbrance, method="TRANSFER")
        .exclude(destination="")
        .values_list("destination", flat=True)
        .first()
    )
    return earlier or ""


def _payee_reference(item: Disbursement) -> str:
    if item.party is not None:
        return f"party:{item.party_id}"
    return f"encumbrance:{item.encumbrance_id}"


def _enqueue_account(item: Disbursement) -> None:
    """The payee's connected account, created on first use from the party's details."""
    party, court = item.party, item.court
    params: dict[str, Any] = {
        "type": "custom",
        "country": (party.id_country if party else "SA") or "SA",
        "business_type": "company"
        if party is not None and party.kind == "COMPANY"
        else "individual",
        "capabilities": {"transfers": {"requested": True}},
        "business_profile": {"name": item.payee_name[:100]},
        "metadata": {REFERENCE_KEY: _payee_reference(item), "court": court.code},
    }
    if party is not None and party.email:
        params["email"] = party.email
    jobs.enqueue(
        operation="connect_account.create",
        params=params,
        idempotency_key=f"mazad:{_payee_reference(item)}:account:v1",
        subject=item,
        court=court,
    )


def enqueue_transfer(item: Disbursement) -> None:
    jobs.enqueue(
        operation="transfer.create",
        params={
            "amount": stripe_amount(item.money, for_card=False),
            "currency": item.currency.lower(),
            "destination": item.destination,
            "transfer_group": item.file_number,
            "description": f"{item.file_number} {item.get_payee_kind_display()}"[:200],
            "metadata": {
                REFERENCE_KEY: item.reference,
                "file_number": item.file_number,
                "distribution": item.distribution.number,
                "attempt": str(item.attempt),
            },
        },
        idempotency_key=f"mazad:{item.reference}:transfer:v{item.attempt}",
        subject=item,
        court=item.court,
    )


def _enqueue_payout(item: Disbursement) -> None:
    jobs.enqueue(
        operation="payout.create",
        params={
            "amount": stripe_amount(item.money, for_card=False),
            "currency": item.currency.lower(),
            "method": "standard",
            "description": f"{item.file_number} {item.payee_name}"[:200],
            "statement_descriptor": item.short_reference,
            "metadata": {
                REFERENCE_KEY: item.reference,
                "file_number": item.file_number,
                "iban": item.destination,
                "beneficiary": item.payee_name[:100],
            },
        },
        idempotency_key=f"mazad:{item.reference}:payout:v{item.attempt}",
        subject=item,
        court=item.court,
    )


# -- what the provider says --------------------------------------------------------------------


def _cash_account(item: Disbursement) -> Any:
    purpose = (
        AccountPurpose.COURT_CUSTODY
        if item.method == "PAYOUT"
        else AccountPurpose.PROVIDER_CLEARING
    )
    return ledger.account(court=item.court, purpose=purpose, currency=item.currency)


def _transit(item: Disbursement) -> Any:
    return ledger.account(
        court=item.court, purpose=AccountPurpose.DISBURSEMENTS_IN_TRANSIT, currency=item.currency
    )


def _key(item: Disbursement, what: str) -> str:
    return f"disbursement:{item.pk}:v{item.attempt}:{what}"


def account_created(item: Disbursement, account_id: str) -> None:
    """The connected account exists: remember it and send every transfer waiting for it."""
    if item.party is not None:
        enforcement.record_payment_account(party_id=item.party.pk, account_id=account_id)
        waiting = Disbursement.objects.filter(party=item.party)
    else:
        waiting = Disbursement.objects.filter(encumbrance=item.encumbrance)
    for other in locks.waiting_for_account(
        waiting.filter(status=Disbursement.Status.SENDING, destination="")
    ):
        other.destination = account_id
        other.save(update_fields=["destination"])
        enqueue_transfer(other)


def sent(item: Disbursement, provider_id: str) -> None:
    """The provider took the transfer or payout: the money left the court's balance (in transit)."""
    if item.status != Disbursement.Status.SENDING:
        return
    before = audit.snapshot(item, FIELDS)
    ledger.post_entry(
        court=item.court,
        memo=f"Sent {item.file_number} {item.payee_name}"[:200],
        legs=[
            ledger.debit(_transit(item), item.money),
            ledger.credit(_cash_account(item), item.money),
        ],
        idempotency_key=_key(item, "sent"),
        reference=item,
    )
    item.status, item.provider_id, item.sent_at = (
        Disbursement.Status.SENT,
        provider_id,
        timezone.now(),
    )
    item.save(update_fields=["status", "provider_id", "sent_at"])
    _record(item, "disbursement.sent", before)


def paid(item: Disbursement, provider_id: str) -> None:
    """The provider confirmed the money reached the payee: payable settled, receipt, satisfied?"""
    if item.status == Disbursement.Status.SENDING:
        sent(item, provider_id)
    if item.status != Disbursement.Status.SENT:
        return
    before = audit.snapshot(item, FIELDS)
    ledger.post_entry(
        court=item.court,
        memo=f"Paid {item.file_number} {item.payee_name}"[:200],
        legs=[
            ledger.debit(
                ledger.account(
                    court=item.court,
                    purpose=PAYABLE_OF[PayeeKind(item.payee_kind)],
                    currency=item.currency,
                    file_number=item.file_number,
                ),
                item.money,
            ),
            ledger.credit(_transit(item), item.money),
        ],
        idempotency_key=_key(item, "paid"),
        reference=item,
    )
    item.status, item.paid_at = Disbursement.Status.PAID, timezone.now()
    item.receipt = _receipt(item)
    item.save(update_fields=["status", "paid_at", "receipt"])
    _record(item, "disbursement.paid", before)
    if item.encumbrance_id is not None and item.release_letter_id is None:
        # The secured creditor is paid: now, not at the sale, the registry may cancel the
        # mortgage. Under the disbursement's row lock, so a repeated event writes no second one.
        item.release_letter = closing.send_release_letter(item)
        if item.release_letter is not None:
            item.save(update_fields=["release_letter"])
    if item.payee_kind == PayeeKind.APPLICANT:
        _count_paid_to_applicants(item)
        closing.satisfy_if_paid(item.distribution.file)


def _receipt(item: Disbursement) -> Receipt:
    return receipts.issue(
        kind=Receipt.Kind.TRANSFER,
        title=_("Transfer from the court account"),
        lines=[
            receipts.Line(_("Amount"), item.money, role="amount"),
            receipts.Line(_("Paid to"), item.payee_name, role="party"),
            receipts.Line(_("As"), PayeeKind(item.payee_kind).label),
            receipts.Line(_("Enforcement file"), item.file_number),
            receipts.Line(_("Distribution"), item.distribution.number),
            receipts.Line(_("Payment reference"), item.provider_id or item.short_reference),
            receipts.Line(_("Paid on"), item.paid_at),
        ],
        subject=item,
        court=item.court,
        issued_to=item.party.user if item.party is not None else None,
    )


def returned(item: Disbursement, reason: str) -> None:
    """Refused, failed or reversed: undo what the ledger said and put it back in the queue."""
    if item.status in (Disbursement.Status.RETURNED, Disbursement.Status.TO_PREPARE):
        return
    before = audit.snapshot(item, FIELDS)
    for what in ("paid", "sent"):
        entry = JournalEntry.objects.filter(idempotency_key=_key(item, what)).first()
        if entry is not None and not JournalEntry.objects.filter(reverses=entry).exists():
            ledger.reverse_entry(entry=entry, memo=f"Returned {item.file_number}", reference=item)
    was_paid = item.status == Disbursement.Status.PAID
    item.status, item.failure_reason = Disbursement.Status.RETURNED, reason[:300]
    item.save(update_fields=["status", "failure_reason"])
    _record(item, "disbursement.returned", before, note=item.failure_reason)
    if was_paid and item.payee_kind == PayeeKind.APPLICANT:
        _count_paid_to_applicants(item)


def _count_paid_to_applicants(item: Disbursement) -> None:
    """Enforcement reads the balance owed from what the court account paid the applicants."""
    file = item.distribution.file
    enforcement.record_paid_to_applicants(
        file_id=file.pk, paid_minor=claims.paid_to_applicants(file)
    )


def _find(obj: dict[str, Any]) -> Disbursement | None:
    reference = str((obj.get("metadata") or {}).get(REFERENCE_KEY, ""))
    found = None
    if reference.startswith("disbursement:"):
        found = Disbursement.objects.filter(
            public_id=_uuid(reference.removeprefix("disbursement:"))
        ).first()
    if found is None and obj.get("id"):
        found = Disbursement.objects.filter(provider_id=str(obj["id"])).first()
    return locks.disbursement(found.pk) if found is not None else None


def _uuid(text: str) -> Any:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def on_provider_event(event_type: str, obj: dict[str, Any]) -> str:
    """transfer.* and payout.* events: the status of our disbursements follows them."""
    item = _find(obj)
    if item is None:
        return "not a disbursement of ours"
    if event_type in ("transfer.created", "payout.paid"):
        if obj.get("id") and item.provider_id not in (None, str(obj["id"])):
            return "an earlier attempt's event"
        paid(item, str(obj.get("id") or ""))
    elif event_type in ("transfer.reversed", "payout.failed", "payout.canceled"):
        reason = str(obj.get("failure_message") or obj.get("failure_code") or event_type)
        if item.provider_id not in (None, str(obj.get("id"))):
            return "an earlier attempt's event"
        returned(item, reason)
    return ""


def find_for_job(subject_id: str) -> Disbursement:
    item = Disbursement.objects.filter(pk=int(subject_id)).first()
    if item is None:
        raise NotFound()
    return locks.disbursement(item.pk)
