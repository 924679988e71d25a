"""Proposing a file's distribution (the waterfall over its custody) and making it final."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability
from aftersale import access, engine, locks
from aftersale.models import CustodyItem, Disbursement, Distribution, DistributionLine
from aftersale.models.distribution import PayeeKind
from aftersale.services import claims, disbursements
from core import audit
from core.errors import DomainError, InvalidTransition
from core.money import Money
from core.numbering import next_number
from enforcement.models import EnforcementFile
from payments import ledger
from payments.models import AccountPurpose

STEP_PAYEE = {
    "COSTS": PayeeKind.APPLICANT,
    "CLAIM": PayeeKind.APPLICANT,
    "SECURED": PayeeKind.CREDITOR,
    "SURPLUS": PayeeKind.DEBTOR,
    "FEES": PayeeKind.COURT,
    "VAT": PayeeKind.COURT,
}
PAYABLE_OF = {
    PayeeKind.APPLICANT: AccountPurpose.APPLICANT_PAYABLE,
    PayeeKind.CREDITOR: AccountPurpose.CREDITOR_PAYABLE,
    PayeeKind.DEBTOR: AccountPurpose.DEBTOR_PAYABLE,
}


class DistributionRefused(DomainError):
    code = "distribution_refused"


@transaction.atomic
def propose_distribution(*, actor: Any, file_id: int) -> Distribution | None:
    """Propose how the file's undistributed custody is paid out; None when nothing waits.

    The system calls it (actor None) when money arrives; finance staff call it
    after cancelling a proposal. While a proposal is open, new custody waits
    for the next one. Raises DistributionRefused (custody_mismatch) when the
    ledger does not hold what the custody records say.
    """
    # The file's own row (OF): its court is read, not locked, or every row written for the court
    # meanwhile (each bid's audit record) would wait for this transaction (docs/concurrency.md,
    # "The rules").
    file = locks.file(file_id)
    if actor is not None:
        access.require(actor, Capability.PREPARE_DISBURSEMENTS, file.court_id)
    if Distribution.objects.filter(file=file, status=Distribution.Status.PROPOSED).exists():
        return None
    items = locks.undistributed_custody(file)
    if not items:
        return None
    total = sum(item.amount_minor for item in items)
    _check_custody(file, total)
    plan = claims.plan_for(file, items)
    result = engine.waterfall(
        received=plan.received,
        applicants=plan.applicants,
        creditors=plan.creditors,
        debtors=plan.debtors,
    )
    distribution = _record_proposal(file, items, total, result, plan, actor)
    if not distribution.disbursements.exists():
        finalize(distribution)
    return distribution


def _check_custody(file: EnforcementFile, total: int) -> None:
    held = -ledger.balance(
        ledger.account(
            court=file.court,
            purpose=AccountPurpose.SALE_PROCEEDS,
            currency=file.currency,
            file_number=file.number,
        )
    ).amount_minor
    if total > held:
        raise DistributionRefused(
            _("The ledger holds %(held)s for this file, less than the %(total)s to distribute."),
            code="custody_mismatch",
            params={
                "held": Money(held, file.currency).format(),
                "total": Money(total, file.currency).format(),
            },
        )


def _record_proposal(
    file: EnforcementFile,
    items: list[CustodyItem],
    total: int,
    result: engine.Waterfall,
    plan: claims.Plan,
    actor: Any,
) -> Distribution:
    now = timezone.now()
    year = timezone.localdate().year
    number = (
        f"{file.court.code}-D-{year}-{next_number(f'distribution:{file.court.code}:{year}'):05d}"
    )
    distribution = Distribution.objects.create(
        court=file.court,
        file=file,
        number=number,
        total_minor=total,
        currency=file.currency,
        proposed_at=now,
    )
    CustodyItem.objects.filter(pk__in=[item.pk for item in items]).update(distribution=distribution)
    payees: dict[str, Disbursement] = {}
    for position, part in enumerate(result.parts, start=1):
        payee = plan.payees.get(part.payee)
        line = DistributionLine.objects.create(
            distribution=distribution,
            position=position,
            step=part.step,
            payee_kind=STEP_PAYEE[part.step],
            party=payee.party if payee else None,
            encumbrance=payee.encumbrance if payee else None,
            payee_name=payee.name if payee else str(file.court.name_en),
            amount_minor=part.amount,
            owed_minor=part.owed,
            basis=plan.basis(part),
        )
        if payee is not None:
            line.disbursement = _disbursement_for(payees, distribution, line, payee)
            line.save(update_fields=["disbursement"])
    audit.record(
        actor=actor,
        action="distribution.proposed",
        obj=distribution,
        after={
            "total_minor": total,
            "parts": [[p.step, p.payee, p.amount] for p in result.parts],
        },
        court_id=file.court_id,
    )
    return distribution


def _disbursement_for(
    payees: dict[str, Disbursement], distribution: Distribution, line: DistributionLine, payee: Any
) -> Disbursement:
    existing = payees.get(payee.key)
    if existing is not None:
        existing.amount_minor += line.amount_minor
        existing.save(update_fields=["amount_minor"])
        return existing
    disbursement = Disbursement.objects.create(
        court=distribution.court,
        distribution=distribution,
        file_number=distribution.file.number,
        payee_kind=line.payee_kind,
        party=payee.party,
        encumbrance=payee.encumbrance,
        payee_name=payee.name,
        amount_minor=line.amount_minor,
        currency=distribution.currency,
    )
    payees[payee.key] = disbursement
    return disbursement


@transaction.atomic
def approve_disbursement(*, actor: Any, disbursement_id: int) -> Disbursement:
    """A second person approves a disbursement (`disbursements.approve` checks who may).

    When the last disbursement of a distribution is approved the distribution
    becomes final and the money is sent; one approved after that is sent at once.
    """
    item = disbursements.approve(actor=actor, disbursement_id=disbursement_id)
    distribution = item.distribution
    if distribution.status == Distribution.Status.FINAL:
        disbursements.send(item)
    elif (
        not distribution.disbursements.exclude(pk=item.pk)
        .exclude(status=Disbursement.Status.APPROVED)
        .exists()
    ):
        finalize(distribution)
    item.refresh_from_db()
    return item


def finalize(distribution: Distribution) -> None:
    """Every disbursement is approved: post custody → payables, then send what may be sent.

    Expects the distribution locked. The ledger entry is keyed by the
    distribution, so it is posted once.
    """
    if distribution.status != Distribution.Status.PROPOSED:
        return
    legs = _final_legs(distribution)
    ledger.post_entry(
        court=distribution.court,
        memo=f"Distribution {distribution.number}",
        legs=legs,
        idempotency_key=f"distribution:{distribution.pk}:final",
        reference=distribution,
    )
    distribution.status, distribution.finalized_at = Distribution.Status.FINAL, timezone.now()
    distribution.save(update_fields=["status", "finalized_at"])
    audit.record(
        actor=None,
        action="distribution.final",
        obj=distribution,
        before={"status": Distribution.Status.PROPOSED},
        after={"status": Distribution.Status.FINAL},
        court_id=distribution.court_id,
    )
    for disbursement in distribution.disbursements.filter(
        status=Disbursement.Status.APPROVED
    ).order_by("pk"):
        disbursements.send(disbursement)
    propose_distribution(actor=None, file_id=distribution.file_id)


def _final_legs(distribution: Distribution) -> list[ledger.Leg]:
    file, currency = distribution.file, distribution.currency
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for line in distribution.lines.all():
        if line.step == "FEES":
            totals[(AccountPurpose.FEES_INCOME, "")] += line.amount_minor
        elif line.step == "VAT":
            totals[(AccountPurpose.VAT_PAYABLE, "")] += line.amount_minor
        else:
            totals[(PAYABLE_OF[PayeeKind(line.payee_kind)], file.number)] += line.amount_minor
    legs = [
        ledger.debit(
            ledger.account(
                court=distribution.court,
                purpose=AccountPurpose.SALE_PROCEEDS,
                currency=currency,
                file_number=file.number,
            ),
            distribution.total,
        )
    ]
    for (purpose, file_number), amount in sorted(totals.items()):
        account = ledger.account(
            court=distribution.court, purpose=purpose, currency=currency, file_number=file_number
        )
        legs.append(ledger.credit(account, Money(amount, currency)))
    return legs


@transaction.atomic
def cancel_distribution(*, actor: Any, distribution_id: int, note: str) -> Distribution:
    """Withdraw a proposal nobody has approved yet; its custody waits for a new one."""
    distribution = locks.distribution(distribution_id)
    access.require(actor, Capability.PREPARE_DISBURSEMENTS, distribution.court_id)
    note = (note or "").strip()
    if len(note) < 5:
        raise DistributionRefused(
            _("Say why the proposal is cancelled (at least 5 characters)."),
            code="note_required",
            field="note",
        )
    if distribution.status != Distribution.Status.PROPOSED:
        raise InvalidTransition(_("Only a proposed distribution can be cancelled."))
    if distribution.disbursements.exclude(
        status__in=[Disbursement.Status.TO_PREPARE, Disbursement.Status.PREPARED]
    ).exists():
        raise InvalidTransition(_("A disbursement of it is already approved."))
    distribution.status, distribution.cancelled_at = Distribution.Status.CANCELLED, timezone.now()
    distribution.cancelled_by, distribution.note = actor, note
    distribution.save(update_fields=["status", "cancelled_at", "cancelled_by", "note"])
    distribution.items.update(distribution=None)
    audit.record(
        actor=actor,
        action="distribution.cancelled",
        obj=distribution,
        before={"status": Distribution.Status.PROPOSED},
        after={"status": distribution.status},
        court_id=distribution.court_id,
        note=note,
    )
    return distribution
