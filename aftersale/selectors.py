"""Reads of the after-sale records for pages and exports; nothing here changes state."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersale.models import (
    CustodyItem,
    Disbursement,
    Distribution,
    DistributionLine,
    Match,
    Sale,
    Statement,
)
from aftersale.models.distribution import PayeeKind
from core.money import Money
from core.pagination import Key, Keyset
from enforcement.models import Encumbrance, SeizureOrder
from payments import ledger
from payments.models import AccountPurpose, LedgerAccount, Posting

CASH_PURPOSES = (AccountPurpose.COURT_CUSTODY, AccountPurpose.PROVIDER_CLEARING)
FILE_PURPOSES = (
    AccountPurpose.SALE_PROCEEDS,
    AccountPurpose.APPLICANT_PAYABLE,
    AccountPurpose.CREDITOR_PAYABLE,
    AccountPurpose.DEBTOR_PAYABLE,
)


def purchases_of(user: Any) -> QuerySet[Sale]:
    return (
        Sale.objects.filter(buyer=user)
        .select_related("lot__auction", "lot__asset", "payment", "certificate", "court")
        .prefetch_related("lot__asset__photos")
    )


def purchase_of(user: Any, public_id: Any) -> Sale | None:
    return purchases_of(user).filter(public_id=public_id).first()


@dataclass(frozen=True)
class FileBalance:
    file_number: str
    held: Money  # custody not yet distributed
    payable: Money  # distributed, not yet paid out

    @property
    def total(self) -> Money:
        return self.held + self.payable


def balances_by_file(court: Any) -> list[FileBalance]:
    """What the court account holds for each file (natural balances of the per-file accounts)."""
    rows = (
        Posting.objects.filter(account__court=court, account__purpose__in=FILE_PURPOSES)
        .values("account__file_number", "account__purpose", "currency")
        .annotate(total=Sum("amount_minor"))
    )
    held: dict[tuple[str, str], int] = defaultdict(int)
    payable: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        key = (row["account__file_number"], row["currency"])
        target = held if row["account__purpose"] == AccountPurpose.SALE_PROCEEDS else payable
        target[key] -= int(row["total"] or 0)  # liabilities: credits are what is held
    keys = sorted(set(held) | set(payable))
    result = [
        FileBalance(number, Money(held[(number, cur)], cur), Money(payable[(number, cur)], cur))
        for number, cur in keys
    ]
    return [row for row in result if row.total.amount_minor != 0]


@dataclass(frozen=True)
class CashPosition:
    label: Any
    balance: Money


def cash_positions(court: Any) -> list[CashPosition]:
    """The court account at the bank, at the provider, and what is in transit."""
    purposes = (*CASH_PURPOSES, AccountPurpose.DISBURSEMENTS_IN_TRANSIT)
    positions = []
    for purpose in purposes:
        account = ledger.account(court=court, purpose=purpose, currency=court.currency)
        positions.append(CashPosition(AccountPurpose(purpose).label, ledger.balance(account)))
    return positions


def flows(court: Any, *, days: int = 30, today: date | None = None) -> dict[str, Any]:
    """Money in and out of the court account per day, in minor units (for the chart; no floats)."""
    zone = ZoneInfo(court.time_zone)
    today = today or timezone.localtime(timezone.now(), zone).date()
    start = today - timedelta(days=days - 1)
    since = datetime.combine(start, time.min, zone)
    rows = (
        Posting.objects.filter(
            account__court=court, account__purpose__in=CASH_PURPOSES, entry__posted_at__gte=since
        )
        .annotate(day=TruncDate("entry__posted_at", tzinfo=zone))
        .values("day")
        .annotate(
            inflow=Sum("amount_minor", filter=Q(amount_minor__gt=0)),
            outflow=Sum("amount_minor", filter=Q(amount_minor__lt=0)),
        )
    )
    by_day = {row["day"]: row for row in rows}
    labels, inflow, outflow = [], [], []
    for offset in range(days):
        day = start + timedelta(days=offset)
        row = by_day.get(day, {})
        labels.append(day.isoformat())
        inflow.append(int(row.get("inflow") or 0))
        outflow.append(-int(row.get("outflow") or 0))
    return {
        "labels": labels,
        "inflow": inflow,
        "outflow": outflow,
        "currency": court.currency,
        "exponent": Money.zero(court.currency).exponent,
    }


def open_distributions(court: Any) -> QuerySet[Distribution]:
    return Distribution.objects.filter(court=court).exclude(status=Distribution.Status.CANCELLED)


def to_prepare(court: Any) -> QuerySet[Disbursement]:
    return _queue(court).filter(
        status__in=[Disbursement.Status.TO_PREPARE, Disbursement.Status.RETURNED]
    )


def to_approve(court: Any) -> QuerySet[Disbursement]:
    return _queue(court).filter(status=Disbursement.Status.PREPARED)


def waiting_to_send(court: Any) -> QuerySet[Disbursement]:
    return _queue(court).filter(
        status=Disbursement.Status.APPROVED, distribution__status=Distribution.Status.FINAL
    )


def _queue(court: Any) -> QuerySet[Disbursement]:
    return (
        Disbursement.objects.filter(court=court)
        .exclude(distribution__status=Distribution.Status.CANCELLED)
        .select_related("distribution", "prepared_by", "approved_by", "party", "encumbrance")
        .order_by("created_at", "pk")
    )


def history(court: Any, *, status: str = "") -> QuerySet[Disbursement]:
    items = (
        Disbursement.objects.filter(court=court)
        .select_related("distribution", "prepared_by", "approved_by", "receipt")
        .order_by("-created_at", "-pk")
    )
    if status in Disbursement.Status.values:
        items = items.filter(status=status)
    return items


def distribution_of(court: Any, distribution_id: int) -> Distribution | None:
    return (
        Distribution.objects.filter(court=court, pk=distribution_id)
        .select_related("file")
        .prefetch_related("items", "disbursements")
        .first()
    )


STEP_BASIS = {
    "FEES": _(
        "The buyer's premium of %(premium)s percent under the sale rules of lot %(lot)s "
        "goes to the court's fees."
    ),
    "VAT": _("VAT of %(vat)s percent on %(vat_base)s, due to the tax authority."),
    "COSTS": _(
        "Enforcement costs of the file (%(costs)s) rank before every creditor; paid to the "
        "applicants who advanced them, by share (%(share)s of %(shares)s)."
    ),
    "SECURED": _(
        "Secured creditor holding a %(kind)s of rank %(rank)s recorded on the asset, paid "
        "from its sale up to the recorded %(recorded)s."
    ),
    "CLAIM": _(
        "The applicant's claim (%(claim)s) up to the balance owed, by share "
        "(%(share)s of %(shares)s)."
    ),
    "SURPLUS": _(
        "What is left after every creditor is paid returns to the debtor "
        "(share %(share)s of %(shares)s)."
    ),
}


def _percent(basis_points: Any) -> str:
    value = int(basis_points or 0)
    return f"{value // 100}.{value % 100:02d}".rstrip("0").rstrip(".")


def basis_text(line: DistributionLine, currency: str) -> str:
    """The legal basis of a step, in the active language, from what was stored with it."""
    basis = line.basis or {}
    rules = basis.get("rules") or {}
    vat_base = (
        _("the buyer's premium")
        if rules.get("vat_base", "PREMIUM") == "PREMIUM"
        else _("the price and the premium")
    )
    params = {
        "premium": _percent(rules.get("premium_bp")),
        "vat": _percent(rules.get("vat_bp")),
        "vat_base": vat_base,
        "lot": basis.get("lot", "—"),
        "costs": Money(int(basis.get("costs_minor") or 0), currency).format(),
        "claim": Money(int(basis.get("claim_minor") or 0), currency).format(),
        "share": basis.get("share", 1),
        "shares": basis.get("shares", 1),
        "kind": Encumbrance.Kind(basis["kind"]).label
        if basis.get("kind") in Encumbrance.Kind.values
        else "—",
        "rank": basis.get("rank") or "—",
        "recorded": Money(int(basis.get("recorded_minor") or 0), currency).format(),
    }
    return str(STEP_BASIS[line.step]) % params


def payee_label(kind: str) -> Any:
    return PayeeKind(kind).label


def seized_funds_to_receive(court: Any) -> QuerySet[SeizureOrder]:
    return (
        SeizureOrder.objects.filter(
            file__court=court,
            kind=SeizureOrder.Kind.BANK_FUNDS,
            status=SeizureOrder.Status.EXECUTED,
            amount_seized_minor__gt=0,
        )
        .exclude(pk__in=_received_orders())
        .select_related("file", "agency")
    )


def _received_orders() -> Any:
    return CustodyItem.objects.filter(order__isnull=False).values("order_id")


def statements_of(court: Any) -> QuerySet[Statement]:
    return Statement.objects.filter(court=court).annotate(
        open_exceptions=Count(
            "matches", filter=~Q(matches__kind=Match.Kind.MATCHED) & Q(matches__is_resolved=False)
        )
    )


# The imported statements, latest period first, by keyset (core/pagination.py).
STATEMENT_ORDER = Keyset((Key("to_on", "date"), Key("pk")), descending=True)


def statement_of(court: Any, statement_id: int) -> Statement | None:
    return Statement.objects.filter(court=court, pk=statement_id).first()


def matches_of(statement: Statement) -> QuerySet[Match]:
    return statement.matches.select_related("line", "entry", "resolved_by").order_by("kind", "pk")


def open_exceptions(court: Any) -> int:
    return (
        Match.objects.filter(statement__court=court, is_resolved=False)
        .exclude(kind=Match.Kind.MATCHED)
        .count()
    )


def ledger_accounts(court: Any) -> QuerySet[LedgerAccount]:
    return LedgerAccount.objects.filter(court=court)
