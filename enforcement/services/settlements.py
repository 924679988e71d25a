"""Instalment settlements: proposed by the debtor or recorded by staff, decided by the judge,
paid instalment by instalment, ended by completion (the file satisfied) or default (enforcement
resumes after the court's notice period).

Lock order: a settlement before its file (the payment side holds the payment before both).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.organisations import Court
from accounts.roles import Capability
from core import audit, formatting
from core.errors import DomainError, InvalidTransition, NotFound
from enforcement import access, engine, hooks, locks, notices, settlement_documents
from enforcement.instalments import Limits, PlanRefused, PlanTerms, build_plan
from enforcement.models import EnforcementFile, FileParty, Instalment, Settlement, SettlementRules
from enforcement.services.common import transition
from enforcement.services.files import locked_own_file, record_file_satisfied

logger = logging.getLogger(__name__)

LIVE = (Settlement.Status.PROPOSED, Settlement.Status.APPROVED)
SETTLEABLE = (EnforcementFile.Status.OPEN, EnforcementFile.Status.ENFORCING)
REASON_MINIMUM = 5
# The judge decides settlements as they issue orders: a judicial act.
DECIDE = Capability.ISSUE_ORDERS

PLAN_MESSAGES: dict[str, Promise] = {
    "nothing_owed": _("Nothing is owed on this file."),
    "total_below_owed": _("The total must cover the balance owed, %(owed)s."),
    "amount_positive": _("The amount must be greater than zero."),
    "date_past": _("The first payment cannot be due before today."),
    "first_due_too_late": _("The first payment must be due within %(days)s days."),
    "instalment_count": _("Choose between 0 and %(maximum)s instalments after the first payment."),
    "first_is_not_total": _("With no further instalments the first payment is the whole total."),
    "first_leaves_too_little": _(
        "The first payment leaves less than one minor unit for each instalment."
    ),
}


class SettlementRefused(DomainError):
    code = "settlement_refused"


@dataclass(frozen=True)
class InstalmentRecorded:
    """What recording an instalment paid did: whether it was new, late, and the plan's state."""

    file_id: int
    settlement_status: str
    is_new: bool
    is_late: bool


def rules_of(court: Court) -> SettlementRules:
    """The court's settlement rules (the defaults until a supervisor sets them)."""
    return SettlementRules.objects.filter(court=court).first() or SettlementRules(court=court)


def court_today(court: Court, now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), ZoneInfo(court.time_zone)).date()


def _plan_error(error: PlanRefused, currency: str) -> SettlementRefused:
    params = dict(error.params)
    if "owed_minor" in params:
        params = {"owed": formatting.format_money(params.pop("owed_minor"), currency)}
    return SettlementRefused(
        PLAN_MESSAGES[error.code], code=error.code, field=error.field, params=params
    )


def _plan(file: EnforcementFile, terms: PlanTerms) -> Any:
    rules = rules_of(file.court)
    limits = Limits(
        owed_minor=file.balance_owed().amount_minor,
        today=court_today(file.court),
        max_instalments=rules.max_instalments,
        max_first_due_days=rules.max_first_due_days,
    )
    try:
        return build_plan(terms, limits)
    except PlanRefused as error:
        raise _plan_error(error, file.currency) from None


def _refuse_unless_settleable(file: EnforcementFile) -> None:
    if file.status not in SETTLEABLE:
        raise InvalidTransition(
            _("A settlement is made while the file is open or enforcing, not “%(status)s”."),
            code="file_not_settleable",
            field="file",
            params={"status": file.get_status_display()},
        )
    if Settlement.objects.filter(file=file, status__in=LIVE).exists():
        raise SettlementRefused(
            _("This file already has a settlement awaiting the judge or in force."),
            code="settlement_exists",
            field="file",
        )


def _create(
    *, actor: User, file: EnforcementFile, terms: PlanTerms, origin: str, note: str
) -> Settlement:
    _refuse_unless_settleable(file)
    plan = _plan(file, terms)
    try:
        with transaction.atomic():
            settlement = Settlement.objects.create(
                court_id=file.court_id,
                file=file,
                origin=origin,
                total_minor=plan.total_minor,
                owed_minor=file.balance_owed().amount_minor,
                currency=file.currency,
                proposed_by=actor,
                note=note.strip(),
            )
    except IntegrityError:  # a second proposal committed between the check and here
        raise SettlementRefused(
            _("This file already has a settlement awaiting the judge or in force."),
            code="settlement_exists",
            field="file",
        ) from None
    Instalment.objects.bulk_create(
        Instalment(
            settlement=settlement,
            number=payment.number,
            due_on=payment.due_on,
            amount_minor=payment.amount_minor,
        )
        for payment in plan.payments
    )
    audit.record(
        actor=actor,
        action="settlement.proposed"
        if origin == Settlement.Origin.DEBTOR
        else "settlement.recorded",
        obj=file,
        after={
            "settlement": settlement.pk,
            "total_minor": settlement.total_minor,
            "instalments": [[str(p.due_on), p.amount_minor] for p in plan.payments],
        },
        court_id=file.court_id,
        note=settlement.note,
    )
    return settlement


@transaction.atomic
def propose_settlement(
    *, debtor: User, file_id: int, terms: PlanTerms, note: str = ""
) -> Settlement:
    """The signed-in debtor proposes to pay the file's debt by instalments.

    Raises NotFound (not a file of theirs), InvalidTransition (file_not_settleable),
    SettlementRefused (settlement_exists, or a broken rule of the plan naming its field).
    """
    file = locks.lock_file_among(access.files_as_debtor(debtor), file_id)
    if file is None:
        raise NotFound(_("Not found."))
    return _create(actor=debtor, file=file, terms=terms, origin=Settlement.Origin.DEBTOR, note=note)


@transaction.atomic
def record_settlement(*, actor: User, file_id: int, terms: PlanTerms, note: str = "") -> Settlement:
    """Execution staff record a plan the debtor agreed to at the counter; the judge decides it."""
    file = locked_own_file(actor, file_id)
    return _create(actor=actor, file=file, terms=terms, origin=Settlement.Origin.STAFF, note=note)


@transaction.atomic
def decide_settlement(*, actor: User, settlement_id: int, approve: bool, reason: str) -> Settlement:
    """The judge approves (enforcement suspended) or refuses a proposed settlement, with reasons.

    Approval first asks the other apps (`hooks.settlement_approving`): they refuse while a lot
    of the file is live or sold and not yet paid, and withdraw its lots still scheduled. Raises
    PermissionDenied, NotFound (another court's), InvalidTransition (already decided, or the
    file can no longer be suspended), SettlementRefused (reason required, total_below_owed).
    """
    access.require(actor, DECIDE)
    found = Settlement.objects.filter(pk=settlement_id).values_list("court_id", "file_id").first()
    if found is None:
        raise NotFound(_("Not found."))
    access.require_same_court(actor, found[0])
    reason = reason.strip()
    if len(reason) < REASON_MINIMUM:
        raise SettlementRefused(
            _("Write the reasons, at least %(count)s characters."),
            code="reason_required",
            field="reason",
            params={"count": REASON_MINIMUM},
        )
    settlement = locks.lock_settlement(settlement_id)
    if settlement.status != Settlement.Status.PROPOSED:
        raise InvalidTransition(
            _("This settlement was already decided."), code="invalid_transition", field="status"
        )
    if settlement.proposed_by_id == actor.pk:
        raise SettlementRefused(
            _("Another judge decides a settlement you recorded."),
            code="own_settlement",
            field="decision",
        )
    if approve:
        hooks.settlement_approving(found[1])
    file = locks.lock_file(found[1])
    if approve:
        _approve(actor, settlement, file, reason)
    else:
        _end(settlement, Settlement.Status.REFUSED, actor=actor, reason=reason)
    settlement_documents.sign_decision(settlement, signer_name=actor.get_full_name() or actor.email)
    audit.record(
        actor=actor,
        action="settlement.approved" if approve else "settlement.refused",
        obj=file,
        after={"settlement": settlement.pk, "status": file.status},
        court_id=file.court_id,
        note=reason,
    )
    notices.settlement_decided(
        settlement.proposed_by, file=file, settlement_id=settlement.pk, approved=approve
    )
    return settlement


def _approve(actor: User, settlement: Settlement, file: EnforcementFile, reason: str) -> None:
    if file.status not in SETTLEABLE:
        raise InvalidTransition(
            _("A settlement is made while the file is open or enforcing, not “%(status)s”."),
            code="file_not_settleable",
            field="file",
            params={"status": file.get_status_display()},
        )
    owed = file.balance_owed()
    if settlement.total_minor < owed.amount_minor:
        raise SettlementRefused(
            PLAN_MESSAGES["total_below_owed"],
            code="total_below_owed",
            field="total",
            params={"owed": formatting.format_money(owed.amount_minor, owed.currency)},
        )
    settlement.status = Settlement.Status.APPROVED
    settlement.decided_by, settlement.decided_at = actor, timezone.now()
    settlement.decision_reason = reason
    settlement.notice_days = rules_of(file.court).notice_days
    settlement.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "notice_days"]
    )
    transition(
        table=engine.FILE_TRANSITIONS,
        action="suspend",
        obj=file,
        actor=actor,
        court_id=file.court_id,
        fields=("status_reason",),
        changes={"status_reason": _platform_note(_("Instalment settlement approved."))},
        note=reason,
    )


def _end(
    settlement: Settlement, status: str, *, actor: User | None = None, reason: str = ""
) -> None:
    settlement.status = status
    fields = ["status"]
    if actor is not None:
        settlement.decided_by, settlement.decided_at = actor, timezone.now()
        settlement.decision_reason = reason
        fields += ["decided_by", "decided_at", "decision_reason"]
    else:
        settlement.ended_at = timezone.now()
        fields.append("ended_at")
    settlement.save(update_fields=fields)


def _platform_note(text: Promise) -> str:
    # Written by the platform, not a person: in the site's language, like staff's notes.
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def next_instalment(settlement: Settlement) -> Instalment | None:
    """The earliest unpaid instalment (what the debtor pays next), or None."""
    return settlement.instalments.filter(paid_at__isnull=True).order_by("number").first()


@transaction.atomic
def record_instalment_paid(
    *, instalment_id: int, payment_reference: str, paid_at: datetime
) -> InstalmentRecorded:
    """The court account received an instalment (called by the payments side, not a person).

    Idempotent. Under the settlement's lock, so a default decided by the clock at the same
    moment is either seen (this payment is late: credited to the file, enforcement stays
    resumed) or not yet made (the payment counts, and the clock then finds nothing overdue).
    The last instalment completes the settlement and satisfies the file.
    """
    settlement_id = Instalment.objects.values_list("settlement_id", flat=True).get(pk=instalment_id)
    settlement = locks.lock_settlement(settlement_id)
    instalment = settlement.instalments.get(pk=instalment_id)
    if instalment.paid_at is not None:
        return InstalmentRecorded(settlement.file_id, settlement.status, False, instalment.is_late)
    instalment.paid_at, instalment.payment_reference = paid_at, payment_reference[:64]
    instalment.is_late = settlement.status != Settlement.Status.APPROVED
    instalment.save(update_fields=["paid_at", "payment_reference", "is_late"])
    file = locks.lock_file(settlement.file_id)
    audit.record(
        actor=None,
        action="settlement.instalment_paid",
        obj=file,
        after={
            "settlement": settlement.pk,
            "instalment": instalment.number,
            "amount_minor": instalment.amount_minor,
            "is_late": instalment.is_late,
        },
        court_id=file.court_id,
    )
    if settlement.status == Settlement.Status.APPROVED:
        _after_payment(settlement, file)
    return InstalmentRecorded(file.pk, settlement.status, True, instalment.is_late)


def _after_payment(settlement: Settlement, file: EnforcementFile) -> None:
    unpaid = settlement.instalments.filter(paid_at__isnull=True)
    if not unpaid.exists():
        _complete(settlement, file)
        return
    if settlement.notice_sent_on is not None and not unpaid.filter(
        due_on__lt=court_today(file.court)
    ):
        # Paid within the notice period: the default is cured; a later miss gets a new notice.
        settlement.notice_sent_on = settlement.resumes_on = None
        settlement.save(update_fields=["notice_sent_on", "resumes_on"])


def _resume(file: EnforcementFile, note: str) -> None:
    """A suspended file goes back to enforcing when its settlement ends, saying why."""
    if file.status == EnforcementFile.Status.SUSPENDED:
        transition(
            table=engine.FILE_TRANSITIONS,
            action="resume",
            obj=file,
            actor=None,
            court_id=file.court_id,
            fields=("status_reason",),
            changes={"status_reason": note},
            note=note,
        )


def _complete(settlement: Settlement, file: EnforcementFile) -> None:
    _end(settlement, Settlement.Status.COMPLETED)
    note = _platform_note(_("Every instalment of the settlement was paid."))
    _resume(file, note)
    audit.record(
        actor=None,
        action="settlement.completed",
        obj=file,
        after={"settlement": settlement.pk},
        court_id=file.court_id,
    )
    record_file_satisfied(file_id=file.pk, note=note)


def run_settlement_deadlines(now: datetime) -> int:
    """The clock's pass: a notice for each newly missed instalment, and enforcement resumed
    where the notice period ran out unpaid. Each settlement in its own transaction."""
    done = 0
    candidates = Settlement.objects.filter(
        status=Settlement.Status.APPROVED,
        instalments__paid_at__isnull=True,
        instalments__due_on__lt=(now + timedelta(days=1)).date(),
    ).distinct()
    for settlement_id in candidates.values_list("pk", flat=True):
        try:
            done += 1 if settlement_deadline(settlement_id=settlement_id, now=now) else 0
        except Exception:
            logger.exception("a settlement deadline failed; it is tried again on the next pass")
    return done


@transaction.atomic
def settlement_deadline(*, settlement_id: int, now: datetime) -> bool:
    """Send the missed-instalment notice, or end the settlement and resume enforcement.

    Returns whether anything was done. Safe to run from two clock passes at once: the
    settlement's lock serialises them and the second finds the step already taken.
    """
    settlement = locks.lock_settlement(settlement_id)
    if settlement.status != Settlement.Status.APPROVED:
        return False
    court = Court.objects.get(pk=settlement.court_id)
    today = court_today(court, now)
    missed = (
        settlement.instalments.filter(paid_at__isnull=True, due_on__lt=today)
        .order_by("number")
        .first()
    )
    if missed is None:
        return False
    file = EnforcementFile.objects.select_related("court").get(pk=settlement.file_id)
    if settlement.notice_sent_on is None:
        settlement.notice_sent_on = today
        settlement.resumes_on = today + timedelta(days=settlement.notice_days or 1)
        settlement.save(update_fields=["notice_sent_on", "resumes_on"])
        audit.record(
            actor=None,
            action="settlement.notice_sent",
            obj=file,
            after={
                "settlement": settlement.pk,
                "instalment": missed.number,
                "resumes_on": str(settlement.resumes_on),
            },
            court_id=file.court_id,
        )
        for user in debtor_users(settlement):
            notices.instalment_missed(
                user,
                file=file,
                settlement_id=settlement.pk,
                amount_minor=missed.amount_minor,
                due_on=missed.due_on,
                resumes_on=settlement.resumes_on,
            )
        return True
    if settlement.resumes_on is not None and today < settlement.resumes_on:
        return False
    _default(settlement, locks.lock_file(file.pk))
    return True


def _default(settlement: Settlement, file: EnforcementFile) -> None:
    _end(settlement, Settlement.Status.DEFAULTED)
    _resume(file, _platform_note(_("An instalment was not paid within the notice period.")))
    audit.record(
        actor=None,
        action="settlement.defaulted",
        obj=file,
        after={"settlement": settlement.pk, "status": file.status},
        court_id=file.court_id,
    )
    for user in debtor_users(settlement):
        notices.enforcement_resumed(user, file=file, settlement_id=settlement.pk)


def debtor_users(settlement: Settlement) -> list[Any]:
    """Who is told about the settlement: its proposer if the debtor, and accounts linked to
    the file's debtors (a party's own e-mail address when it has no account)."""
    users: dict[str, Any] = {}
    if settlement.origin == Settlement.Origin.DEBTOR:
        users[settlement.proposed_by.email] = settlement.proposed_by
    debtors = FileParty.objects.filter(
        file_id=settlement.file_id, role=FileParty.Role.DEBTOR
    ).select_related("party__user")
    for link in debtors:
        person = link.party.user or _Addressee(link.party.email)
        if person.email and person.email not in users:
            users[person.email] = person
    return list(users.values())


@dataclass(frozen=True)
class _Addressee:
    """A party without an account, reached at the e-mail address on the file."""

    email: str
    preferred_language: str = ""
