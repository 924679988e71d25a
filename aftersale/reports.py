"""The daily reconciliation report: what the statements and the ledger said on one day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from aftersale.models import Match, Statement
from core import documents, exports
from core.money import Money
from payments import ledger
from payments.models import AccountPurpose


@dataclass
class AccountDay:
    purpose: str
    label: Any
    ledger_balance: Money
    statement_closing: Money | None
    matches: list[Match] = field(default_factory=list)

    @property
    def difference(self) -> Money | None:
        if self.statement_closing is None:
            return None
        return self.statement_closing - self.ledger_balance

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(Match.Kind.values, 0)
        for match in self.matches:
            counts[match.kind] += 1
        return counts


@dataclass
class DailyReport:
    court: Any
    on: date
    accounts: list[AccountDay]
    generated_at: datetime


def daily(court: Any, on: date) -> DailyReport:
    zone = ZoneInfo(court.time_zone)
    end = datetime.combine(on + timedelta(days=1), time.min, zone)
    accounts = []
    for purpose in (AccountPurpose.COURT_CUSTODY, AccountPurpose.PROVIDER_CLEARING):
        account = ledger.account(court=court, purpose=purpose, currency=court.currency)
        closing = (
            Statement.objects.filter(
                court=court,
                account_purpose=purpose,
                currency=court.currency,
                to_on=on,
                closing_minor__isnull=False,
            )
            .order_by("-imported_at")
            .first()
        )
        matches = list(
            Match.objects.filter(statement__court=court, statement__account_purpose=purpose)
            .filter(
                Q(line__booked_on=on)
                | Q(
                    line__isnull=True,
                    entry__posted_at__gte=end - timedelta(days=1),
                    entry__posted_at__lt=end,
                )
            )
            .select_related("line", "entry", "statement", "resolved_by")
            .order_by("kind", "pk")
        )
        accounts.append(
            AccountDay(
                purpose=purpose,
                label=AccountPurpose(purpose).label,
                ledger_balance=ledger.balance(account, at=end),
                statement_closing=Money(closing.closing_minor, closing.currency)
                if closing and closing.closing_minor is not None
                else None,
                matches=matches,
            )
        )
    return DailyReport(court=court, on=on, accounts=accounts, generated_at=timezone.now())


REPORT_COLUMNS = [
    "account",
    "result",
    "resolved",
    "booked_on",
    "reference",
    "counterparty",
    "statement_minor",
    "ledger_minor",
    "difference_minor",
    "currency",
    "note",
]


def rows(report: DailyReport) -> list[list[Any]]:
    """The report as table rows: each account's balance line, then its matches."""
    table: list[list[Any]] = []
    for account in report.accounts:
        table.append(
            [
                account.purpose,
                "LEDGER_BALANCE",
                "",
                report.on.isoformat(),
                "",
                "",
                account.statement_closing.amount_minor if account.statement_closing else "",
                account.ledger_balance.amount_minor,
                account.difference.amount_minor if account.difference else "",
                account.ledger_balance.currency,
                "",
            ]
        )
        for match in account.matches:
            line = match.line
            table.append(
                [
                    account.purpose,
                    match.kind,
                    "yes" if match.is_resolved else "no",
                    line.booked_on.isoformat() if line else "",
                    line.reference if line else (match.entry.memo if match.entry else ""),
                    line.counterparty if line else "",
                    line.amount_minor if line else "",
                    match.ledger_minor if match.ledger_minor is not None else "",
                    match.difference_minor,
                    account.ledger_balance.currency,
                    match.note,
                ]
            )
    return table


def as_csv(report: DailyReport) -> str:
    """CSV with a byte-order mark; text that a spreadsheet would run as a formula is made inert."""
    return exports.csv_text(REPORT_COLUMNS, rows(report))


def as_xlsx(report: DailyReport) -> bytes:
    return exports.xlsx_bytes(f"{report.on.isoformat()}", REPORT_COLUMNS, rows(report))


def as_pdf(report: DailyReport) -> bytes:
    html = render_to_string(
        "aftersale/report_pdf.html",
        {"report": report, "font_dir": (settings.NODE_MODULES / "@fontsource").as_uri()},
    )
    return documents.write_pdf(html)
