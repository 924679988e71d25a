"""What every statement format is read into: lines, statements, exact amounts, references."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from aftersale import references
from core.errors import DomainError
from core.money import MAX_DIGITS, exponent

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000
_AMOUNT = re.compile(r"^-?\d{1,18}(\.\d{1,6})?$")
_DISBURSEMENT_REFERENCE = re.compile(r"\bD\d{8}\b")
DATE_FORMATS = {"YYYY-MM-DD": "%Y-%m-%d", "DD/MM/YYYY": "%d/%m/%Y", "MM/DD/YYYY": "%m/%d/%Y"}


class StatementRefused(DomainError):
    code = "statement_refused"


@dataclass(frozen=True)
class Line:
    booked_on: date
    amount_minor: int  # credits positive, debits negative
    currency: str
    reference: str = ""
    external_id: str = ""
    description: str = ""
    is_reversal: bool = False
    kind: str = ""
    end_to_end_id: str = ""
    counterparty: str = ""


@dataclass
class Parsed:
    """One statement of one account: `iban` is the account as the bank names it (IBAN or other)."""

    identifier: str
    currency: str
    iban: str = ""
    opening_minor: int | None = None
    closing_minor: int | None = None
    lines: list[Line] = field(default_factory=list)
    period_from: date | None = None
    period_to: date | None = None

    def _dates(self, own: date | None) -> list[date]:
        dates = [line.booked_on for line in self.lines]
        if own is not None:
            dates.append(own)
        if not dates:
            raise StatementRefused(
                _("Statement %(id)s names no period and has no lines to date it by."),
                code="statement_period",
                field="file",
                params={"id": self.identifier},
            )
        return dates

    @property
    def from_on(self) -> date:
        return min(self._dates(self.period_from))

    @property
    def to_on(self) -> date:
        return max(self._dates(self.period_to))

    def fingerprint(self) -> str:
        """The same statement in any format (camt.053, MT940, a re-export) has the same one."""
        return fingerprint(
            account=self.iban,
            currency=self.currency,
            from_on=self.from_on,
            to_on=self.to_on,
            opening=self.opening_minor,
            closing=self.closing_minor,
            movements=[(line.booked_on, line.amount_minor) for line in self.lines],
        )


def fingerprint(
    *,
    account: str,
    currency: str,
    from_on: date,
    to_on: date,
    opening: int | None,
    closing: int | None,
    movements: Iterable[tuple[date, int]],
) -> str:
    parts = [
        normalised_account(account),
        currency.upper(),
        from_on.isoformat(),
        to_on.isoformat(),
        str(opening),
        str(closing),
        *sorted(f"{on.isoformat()}:{amount}" for on, amount in movements),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def normalised_account(text: str) -> str:
    return re.sub(r"[\s.\-]", "", text or "").upper()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def to_minor(text: str, currency: str, *, where: str) -> int:
    """Exact minor units of a decimal text ("1250.500"); refuses extra decimals."""
    cleaned = (text or "").strip()
    if not _AMOUNT.match(cleaned):
        raise StatementRefused(
            _("%(where)s: “%(value)s” is not an amount."),
            code="statement_amount",
            field="file",
            params={"where": where, "value": cleaned[:40]},
        )
    try:
        value = Decimal(cleaned)
        places = exponent(currency)
    except (InvalidOperation, ValueError):
        raise StatementRefused(
            _("%(where)s: unknown currency %(value)s."),
            code="statement_currency",
            field="file",
            params={"where": where, "value": currency[:10]},
        ) from None
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise StatementRefused(
            _("%(where)s: %(value)s has more decimals than %(currency)s allows."),
            code="statement_decimals",
            field="file",
            params={"where": where, "value": cleaned, "currency": currency},
        )
    minor = int(scaled)
    if len(str(abs(minor))) > MAX_DIGITS:
        raise StatementRefused(
            _("%(where)s: the amount is too large."),
            code="statement_amount",
            field="file",
            params={"where": where},
        )
    return minor


def find_reference(*texts: str, structured: str = "") -> str:
    """The reference a bank line carries, taken only with valid check digits.

    A structured creditor reference (RF, or a national scheme) first; then an
    RF reference written in the free texts; then our disbursement number.
    """
    if structured and references.structured(structured):
        return references.structured(structured)
    for text in texts:
        found = references.creditor_reference_in(text)
        if found:
            return found
    for text in texts:
        match = _DISBURSEMENT_REFERENCE.search((text or "").upper())
        if match:
            return match.group(0)
    return ""


def check_balances(parsed: Parsed) -> None:
    if parsed.opening_minor is None or parsed.closing_minor is None:
        raise StatementRefused(
            _("Statement %(id)s has no opening (OPBD) or closing (CLBD) balance."),
            code="statement_balances",
            field="file",
            params={"id": parsed.identifier},
        )
    in_currency = [line for line in parsed.lines if line.currency == parsed.currency]
    movement = sum(line.amount_minor for line in in_currency)
    if parsed.opening_minor + movement != parsed.closing_minor:
        raise StatementRefused(
            _(
                "Statement %(id)s does not add up: opening + credits − debits "
                "is not the closing balance."
            ),
            code="statement_unbalanced",
            field="file",
            params={"id": parsed.identifier},
        )
