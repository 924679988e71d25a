"""Posting to the court ledger and reading balances; every entry is audited and balanced.

The sign convention is the accountant's: a debit is a positive amount, a
credit a negative one, so the postings of every entry sum to zero in each
currency. PostgreSQL checks that again at the end of `post_entry` (its
constraint triggers, migration 0002) and refuses any later change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError
from core.money import Money
from payments.models import (
    KIND_OF_PURPOSE,
    PER_FILE_PURPOSES,
    JournalEntry,
    LedgerAccount,
    Posting,
)


class UnbalancedEntry(DomainError):
    code = "ledger_unbalanced"
    message = _("The postings of a journal entry must sum to zero in each currency.")


class LedgerKeyReused(DomainError):
    code = "ledger_key_reused"
    status = 409
    message = _("This ledger entry was already posted with other amounts.")


@dataclass(frozen=True)
class Leg:
    """One posting to make: `amount` is positive for a debit, negative for a credit."""

    account: LedgerAccount
    amount: Money


def debit(account: LedgerAccount, amount: Money) -> Leg:
    return Leg(account, amount)


def credit(account: LedgerAccount, amount: Money) -> Leg:
    return Leg(account, -amount)


def account(*, court: Any, purpose: str, currency: str, file_number: str = "") -> LedgerAccount:
    """The court's account for `purpose` in `currency` (per file for payables), made on demand."""
    if purpose in PER_FILE_PURPOSES and not file_number:
        raise ValueError(f"{purpose} accounts are kept per enforcement file")
    if purpose not in PER_FILE_PURPOSES:
        file_number = ""
    found, _created = LedgerAccount.objects.get_or_create(
        court=court,
        purpose=purpose,
        file_number=file_number,
        currency=currency,
        defaults={"kind": KIND_OF_PURPOSE[purpose]},
    )
    return found


def _signature(legs: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    return sorted(legs)


def _check(court: Any, legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise UnbalancedEntry(_("A journal entry needs at least two postings."))
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        if leg.amount.amount_minor == 0:
            raise UnbalancedEntry(_("A posting cannot be zero."))
        if leg.amount.currency != leg.account.currency:
            raise UnbalancedEntry(_("A posting must be in its account's currency."))
        if leg.account.court_id != court.pk:
            raise UnbalancedEntry(_("Every posting of an entry belongs to the same court."))
        totals[leg.amount.currency] += leg.amount.amount_minor
    if any(totals.values()):
        raise UnbalancedEntry()


def post_entry(
    *,
    court: Any,
    memo: str,
    legs: Sequence[Leg],
    idempotency_key: str,
    reference: models.Model,
    actor: Any = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Write one balanced journal entry in the caller's transaction, or return the one posted.

    The same `idempotency_key` with the same postings returns the existing
    entry (a replay posts nothing); with other postings it raises
    LedgerKeyReused. Raises UnbalancedEntry before writing when the legs do
    not balance.
    """
    _check(court, legs)
    wanted = _signature(
        [(leg.account.pk, leg.amount.amount_minor, leg.amount.currency) for leg in legs]
    )
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_or_refuse(existing, wanted)
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                court=court,
                posted_at=timezone.now(),
                memo=memo[:200],
                idempotency_key=idempotency_key,
                reference_type=reference._meta.label_lower,
                reference_id=str(reference.pk),
                reverses=reverses,
                created_by=actor if actor is not None and actor.pk else None,
            )
            Posting.objects.bulk_create(
                Posting(
                    entry=entry,
                    account=leg.account,
                    amount_minor=leg.amount.amount_minor,
                    currency=leg.amount.currency,
                )
                for leg in legs
            )
            _check_now()
    except IntegrityError:
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_or_refuse(existing, wanted)
    audit.record(
        actor=actor,
        action="ledger.entry_posted",
        obj=entry,
        after={"memo": entry.memo, "postings": [list(leg) for leg in wanted]},
        court_id=court.pk,
    )
    return entry


def _check_now() -> None:
    """Run PostgreSQL's deferred balance check now, so a bad entry fails here, not at commit."""
    if connection.vendor == "postgresql":
        triggers = "payments_posting_balanced, payments_journalentry_balanced"
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {triggers} IMMEDIATE")
            cursor.execute(f"SET CONSTRAINTS {triggers} DEFERRED")


def _same_or_refuse(entry: JournalEntry, wanted: list[tuple[int, int, str]]) -> JournalEntry:
    posted = _signature(list(entry.postings.values_list("account_id", "amount_minor", "currency")))
    if posted != wanted:
        raise LedgerKeyReused(params={"key": entry.idempotency_key})
    return entry


def reverse_entry(
    *, entry: JournalEntry, memo: str, reference: models.Model, actor: Any = None
) -> JournalEntry:
    """A new entry undoing `entry` posting by posting; an entry is reversed at most once."""
    legs = [
        Leg(posting.account, Money(-posting.amount_minor, posting.currency))
        for posting in entry.postings.select_related("account")
    ]
    return post_entry(
        court=entry.court,
        memo=memo,
        legs=legs,
        idempotency_key=f"reversal:{entry.pk}",
        reference=reference,
        actor=actor,
        reverses=entry,
    )


def balance(ledger_account: LedgerAccount, *, at: datetime | None = None) -> Money:
    """The account's balance (debits positive) from its postings, as of `at` when given."""
    postings = Posting.objects.filter(account=ledger_account)
    if at is not None:
        postings = postings.filter(entry__posted_at__lte=at)
    total = postings.aggregate(total=Sum("amount_minor"))["total"] or 0
    return Money(int(total), ledger_account.currency)


@dataclass(frozen=True)
class AccountBalance:
    account: LedgerAccount
    balance: Money

    @property
    def natural(self) -> Money:
        """The balance as the account's kind reads it (credits positive on liabilities, income)."""
        return self.balance if self.account.is_debit_normal else -self.balance


def balances(*, court: Any, at: datetime | None = None) -> list[AccountBalance]:
    """Every account of the court with its balance, as of `at` when given."""
    postings = Posting.objects.filter(account__court=court)
    if at is not None:
        postings = postings.filter(entry__posted_at__lte=at)
    totals = dict(
        postings.values("account")
        .annotate(total=Sum("amount_minor"))
        .values_list("account", "total")
    )
    return [
        AccountBalance(item, Money(int(totals.get(item.pk) or 0), item.currency))
        for item in LedgerAccount.objects.filter(court=court)
    ]
