"""Reconciliation: import a statement once, match it to the ledger, resolve what is left.

A bank statement (camt.053 or MT940) must be of the court's own account and
currency, or it is refused naming both; the same statement imported again,
in either format, is recognised by its fingerprint and changes nothing.
A bank statement is matched against the court custody account, the
provider's balance transactions against the provider clearing account. A line
and a ledger entry match by reference (the RF creditor reference of a bank
transfer, the provider's id, our disbursement number) — with the amounts
compared to the minor unit, so a difference of one is shown as a difference —
or, without a reference, by the same amount within three days when exactly
one entry fits. Ledger entries of the period that nothing matched are listed
as "in the ledger only".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability
from aftersale import access, locks, statements
from aftersale.models import Disbursement, Match, Statement, StatementLine
from core import audit
from core.errors import DomainError, InvalidTransition
from enforcement.models import AgencyAnswer
from payments.models import AccountPurpose, CourtAccount, Payment, Posting, Refund

DATE_WINDOW = timedelta(days=3)
NOTE_MINIMUM = 5


class ReconciliationRefused(DomainError):
    code = "reconciliation_refused"


def _court(actor: Any) -> Any:
    access.require(actor, Capability.RECONCILE, actor.court_id if actor.court_id else -1)
    return actor.court


@dataclass(frozen=True)
class Imported:
    """The statements of one file; `already` holds those imported before (nothing changed)."""

    statements: list[Statement]
    already: list[Statement]

    @property
    def is_new(self) -> bool:
        return len(self.already) < len(self.statements)


def _check_account(court: Any, parsed: statements.Parsed) -> None:
    """Refuse a statement of another account or currency than the court's, naming both."""
    account = CourtAccount.objects.filter(court=court).first()
    court_iban = statements.normalised_account(account.iban if account else "")
    given = statements.normalised_account(parsed.iban)
    params = {
        "id": parsed.identifier,
        "account": parsed.iban or "—",
        "currency": parsed.currency or "—",
        "court_account": court_iban or "—",
        "court_currency": court.currency,
    }
    if not court_iban:
        raise ReconciliationRefused(
            _(
                "Statement %(id)s is of account %(account)s in %(currency)s, but this court's "
                "bank account (IBAN) is not recorded: record it before importing statements."
            ),
            code="court_account_missing",
            field="file",
            params=params,
        )
    same_account = given in (court_iban, f"{court_iban}{parsed.currency.upper()}")
    if not same_account or parsed.currency.upper() != court.currency.upper():
        raise ReconciliationRefused(
            _(
                "Statement %(id)s is of account %(account)s in %(currency)s; this court's "
                "account is %(court_account)s in %(court_currency)s."
            ),
            code="statement_account",
            field="file",
            params=params,
        )


@transaction.atomic
def import_statement(*, actor: Any, data: bytes, filename: str = "") -> Imported:
    """Import every statement of a bank file (camt.053, camt.054, MT940); what was imported stays.

    Raises StatementRefused (the file as a whole, with the line and the rule)
    and ReconciliationRefused (statement_account, court_account_missing).
    """
    court = _court(actor)
    source, parsed = statements.parse_bank_statement(data)
    for item in parsed:
        _check_account(court, item)
    digest = statements.content_hash(data)
    found: list[Statement] = []
    already: list[Statement] = []
    for index, item in enumerate(parsed):
        existing = Statement.objects.filter(
            court=court,
            account_purpose=AccountPurpose.COURT_CUSTODY,
            fingerprint=item.fingerprint(),
        ).first()
        if existing is not None:
            found.append(existing)
            already.append(existing)
            continue
        found.append(_store(actor, court, source, item, f"{digest[:56]}{index:08d}", filename))
    return Imported(statements=found, already=already)


def import_camt053(*, actor: Any, data: bytes, filename: str = "") -> list[Statement]:
    """Import every statement of a bank file; the same statement twice is a no-op."""
    return import_statement(actor=actor, data=data, filename=filename).statements


@transaction.atomic
def import_csv(
    *, actor: Any, data: bytes, mapping: statements.ColumnMapping, filename: str = ""
) -> Statement:
    court = _court(actor)
    parsed = statements.parse_csv(data, mapping, court.currency)
    digest = statements.content_hash(data)
    existing = Statement.objects.filter(
        Q(content_hash=digest) | Q(fingerprint=parsed.fingerprint()),
        court=court,
        source=Statement.Source.CSV,
    ).first()
    if existing is not None:
        return existing
    return _store(actor, court, Statement.Source.CSV, parsed, digest, filename)


@transaction.atomic
def import_provider_transactions(
    *, actor: Any, transactions: list[dict[str, Any]], identifier: str, on: date | None = None
) -> Statement:
    """Balance transactions pulled from the provider for the day `on` (or a JSON export)."""
    court = _court(actor)
    lines = statements.provider_lines(transactions)
    parsed = statements.Parsed(
        identifier=identifier[:120],
        currency=court.currency,
        lines=lines,
        period_from=on,
        period_to=on,
    )
    digest = statements.content_hash(repr(sorted(str(t.get("id")) for t in transactions)).encode())
    existing = Statement.objects.filter(
        court=court, source=Statement.Source.PROVIDER, content_hash=digest
    ).first()
    if existing is not None:
        return existing
    return _store(actor, court, Statement.Source.PROVIDER, parsed, digest, "")


def _store(
    actor: Any, court: Any, source: str, parsed: statements.Parsed, digest: str, filename: str
) -> Statement:
    purpose = (
        AccountPurpose.PROVIDER_CLEARING
        if source == Statement.Source.PROVIDER
        else AccountPurpose.COURT_CUSTODY
    )
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                court=court,
                source=source,
                account_purpose=purpose,
                identifier=parsed.identifier,
                content_hash=digest,
                fingerprint=parsed.fingerprint(),
                filename=filename[:200],
                iban=parsed.iban,
                currency=parsed.currency or court.currency,
                opening_minor=parsed.opening_minor,
                closing_minor=parsed.closing_minor,
                from_on=parsed.from_on,
                to_on=parsed.to_on,
                imported_by=actor,
            )
    except IntegrityError:
        raise ReconciliationRefused(
            _("Statement %(id)s was already imported."),
            code="statement_duplicate",
            field="file",
            params={"id": parsed.identifier},
        ) from None
    StatementLine.objects.bulk_create(
        StatementLine(
            statement=statement,
            position=position,
            booked_on=line.booked_on,
            amount_minor=line.amount_minor,
            currency=line.currency,
            reference=line.reference,
            external_id=line.external_id,
            kind=line.kind,
            description=line.description,
            is_reversal=line.is_reversal,
            end_to_end_id=line.end_to_end_id,
            counterparty=line.counterparty,
        )
        for position, line in enumerate(parsed.lines, start=1)
    )
    match_statement(statement)
    audit.record(
        actor=actor,
        action="reconciliation.statement_imported",
        obj=statement,
        after={"source": source, "identifier": statement.identifier, "lines": len(parsed.lines)},
        court_id=court.pk,
    )
    return statement


# -- matching ---------------------------------------------------------------------------------


def _posting_day(posting: Posting, zone: ZoneInfo) -> date:
    return timezone.localtime(posting.entry.posted_at, zone).date()


def _references(postings: list[Posting]) -> dict[int, set[str]]:
    """The references each ledger entry can be found by on a statement."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for posting in postings:
        by_type[posting.entry.reference_type].append(posting.entry.reference_id)
    refs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for payment in Payment.objects.filter(pk__in=by_type.get("payments.payment", [])):
        refs[("payments.payment", str(payment.pk))] |= {
            value
            for value in (payment.bank_reference, payment.intent_id, payment.stripe_reference)
            if value
        }
    for refund in Refund.objects.filter(pk__in=by_type.get("payments.refund", [])):
        refs[("payments.refund", str(refund.pk))] |= {
            value for value in (refund.stripe_refund_id, refund.stripe_reference) if value
        }
    # Funds a bank moved to the court under a seizure order: found by the bank's reference.
    for answer in AgencyAnswer.objects.filter(pk__in=by_type.get("enforcement.agencyanswer", [])):
        if answer.reference:
            refs[("enforcement.agencyanswer", str(answer.pk))].add(answer.reference)
    for item in Disbursement.objects.filter(pk__in=by_type.get("aftersale.disbursement", [])):
        refs[("aftersale.disbursement", str(item.pk))] |= {
            value for value in (item.provider_id, item.reference, item.short_reference) if value
        }
    return {
        posting.pk: {
            ref.upper()
            for ref in refs.get((posting.entry.reference_type, posting.entry.reference_id), set())
        }
        for posting in postings
    }


def _candidates(statement: Statement) -> list[Posting]:
    zone = ZoneInfo(statement.court.time_zone)
    start = timezone.make_aware(datetime.combine(statement.from_on - DATE_WINDOW, time.min), zone)
    end = timezone.make_aware(
        datetime.combine(statement.to_on + DATE_WINDOW + timedelta(days=1), time.min), zone
    )
    postings = Posting.objects.filter(
        account__court=statement.court,
        account__purpose=statement.account_purpose,
        account__currency=statement.currency,
        entry__posted_at__gte=start,
        entry__posted_at__lt=end,
    )
    if statement.is_complete:
        # An entry another statement already matched is not this one's; a notification's
        # matches do not count, the day's statement still has to show the same movement.
        taken = (
            Match.objects.filter(
                statement__court=statement.court,
                statement__account_purpose=statement.account_purpose,
                entry__isnull=False,
            )
            .exclude(statement=statement)
            .exclude(statement__source=Statement.Source.CAMT054)
            .exclude(kind=Match.Kind.LEDGER_ONLY)
            .values("entry_id")
        )
        postings = postings.exclude(entry_id__in=taken)
    return list(postings.select_related("entry").order_by("entry__posted_at", "pk"))


def match_statement(statement: Statement) -> None:
    """Decide every line of the statement (and the ledger entries of its period) once."""
    zone = ZoneInfo(statement.court.time_zone)
    postings = _candidates(statement)
    references = _references(postings)
    free = {posting.pk: posting for posting in postings}
    for line in statement.lines.order_by("position"):
        posting, method = _find(line, free, references, zone)
        if posting is None:
            Match.objects.create(
                statement=statement,
                line=line,
                kind=Match.Kind.STATEMENT_ONLY,
                method=Match.Method.NONE,
            )
            continue
        del free[posting.pk]
        difference = line.amount_minor - posting.amount_minor
        Match.objects.create(
            statement=statement,
            line=line,
            entry=posting.entry,
            ledger_minor=posting.amount_minor,
            kind=Match.Kind.MATCHED if difference == 0 else Match.Kind.DIFFERENCE,
            method=method,
            difference_minor=difference,
        )
    if not statement.is_complete:
        return  # a notification lists some movements: what it does not list is not missing
    for posting in free.values():
        if statement.from_on <= _posting_day(posting, zone) <= statement.to_on:
            Match.objects.get_or_create(
                statement=statement,
                entry=posting.entry,
                defaults={
                    "kind": Match.Kind.LEDGER_ONLY,
                    "method": Match.Method.NONE,
                    "ledger_minor": posting.amount_minor,
                },
            )


def _find(
    line: StatementLine, free: dict[int, Posting], references: dict[int, set[str]], zone: ZoneInfo
) -> tuple[Posting | None, str]:
    wanted = {
        value.upper() for value in (line.reference, line.external_id, line.end_to_end_id) if value
    }
    if line.currency != line.statement.currency:
        return None, Match.Method.NONE
    by_reference = [
        p
        for p in free.values()
        if references.get(p.pk, set()) & wanted and (p.amount_minor > 0) == (line.amount_minor > 0)
    ]
    if by_reference:
        exact = [p for p in by_reference if p.amount_minor == line.amount_minor]
        return (exact or by_reference)[0], Match.Method.REFERENCE
    if (
        line.reference
        and references
        and any(line.reference.upper() in refs for refs in references.values())
    ):
        return None, Match.Method.NONE
    by_amount = [
        p
        for p in free.values()
        if p.amount_minor == line.amount_minor
        and abs((_posting_day(p, zone) - line.booked_on).days) <= DATE_WINDOW.days
        and not (references.get(p.pk) and line.reference)
    ]
    if len(by_amount) == 1:
        return by_amount[0], Match.Method.AMOUNT_DATE
    return None, Match.Method.NONE


@transaction.atomic
def resolve_match(*, actor: Any, match_id: int, note: str) -> Match:
    """A finance officer explains an exception (unmatched or different); audited with the note."""
    match = locks.match(match_id)
    access.require(actor, Capability.RECONCILE, match.statement.court_id)
    note = (note or "").strip()
    if len(note) < NOTE_MINIMUM:
        raise ReconciliationRefused(
            _("Write a note of at least %(count)s characters saying how it was checked."),
            code="note_required",
            field="note",
            params={"count": NOTE_MINIMUM},
        )
    if match.kind == Match.Kind.MATCHED or match.is_resolved:
        raise InvalidTransition(_("Only an open exception can be resolved."))
    match.is_resolved, match.note = True, note
    match.resolved_by, match.resolved_at = actor, timezone.now()
    match.save(update_fields=["is_resolved", "note", "resolved_by", "resolved_at"])
    audit.record(
        actor=actor,
        action="reconciliation.exception_resolved",
        obj=match,
        before={"is_resolved": False},
        after={"is_resolved": True, "kind": match.kind, "difference_minor": match.difference_minor},
        court_id=match.statement.court_id,
        note=note,
    )
    return match
