"""SWIFT MT940 statements, read with the mt-940 library and checked like camt.053."""

from __future__ import annotations

from datetime import date
from typing import Any

import mt940
from django.utils.translation import gettext_lazy as _

from aftersale import references
from aftersale.statements.common import (
    MAX_BYTES,
    MAX_LINES,
    Line,
    Parsed,
    StatementRefused,
    check_balances,
    find_reference,
    to_minor,
)

MT940_OPTIONS = mt940.Options.all()  # RC (reversal of a credit) takes money out, like a debit


MT940_OPTIONS = mt940.Options.all()  # RC (reversal of a credit) takes money out, like a debit


def looks_like_mt940(data: bytes) -> bool:
    head = data[:4096]
    return b":20:" in head and (b":60F:" in data or b":60M:" in data)


def parse_mt940(data: bytes) -> list[Parsed]:
    """Every statement of an MT940 file (read by the mt-940 library), checked like camt.053."""
    if len(data) > MAX_BYTES:
        raise StatementRefused(
            _("The file is larger than 5 MB."), code="statement_too_large", field="file"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # SWIFT's character set is ASCII; older banks send Latin-1
    try:
        found = mt940.parse_statements(text, options=MT940_OPTIONS)
    except Exception:  # the library raises many kinds on a damaged file; all mean the same here
        raise StatementRefused(
            _("The file is not a readable MT940 statement."), code="statement_mt940", field="file"
        ) from None
    parsed = [_mt940_statement(item, index) for index, item in enumerate(found, start=1)]
    if not parsed:
        raise StatementRefused(
            _("The file holds no MT940 statement."), code="statement_format", field="file"
        )
    return parsed


def _mt940_balance(data: dict[str, Any], *names: str) -> Any:
    for name in names:
        if data.get(name) is not None:
            return data[name]
    return None


def _mt940_statement(item: Any, index: int) -> Parsed:
    data = item.data
    opening = _mt940_balance(data, "final_opening_balance", "opening_balance")
    closing = _mt940_balance(data, "final_closing_balance", "closing_balance")
    currency = str(getattr(getattr(opening or closing, "amount", None), "currency", "") or "")
    reference = str(data.get("transaction_reference") or f"statement-{index}").strip()
    number = str(data.get("statement_number") or "").strip()
    parsed = Parsed(
        identifier=f"{reference}/{number}"[:120] if number else reference[:120],
        currency=currency.upper(),
        iban=str(data.get("account_identification") or "").strip()[:34],
        period_from=_mt940_day(opening),
        period_to=_mt940_day(closing),
    )
    where = f"statement {parsed.identifier}"
    if opening is not None:
        parsed.opening_minor = to_minor(str(opening.amount.amount), parsed.currency, where=where)
    if closing is not None:
        parsed.closing_minor = to_minor(str(closing.amount.amount), parsed.currency, where=where)
    if len(item) > MAX_LINES:
        raise StatementRefused(
            _("Too many entries in one statement."), code="statement_too_large", field="file"
        )
    for number_in_file, transaction in enumerate(item, start=1):
        parsed.lines.append(
            _mt940_line(transaction.data, parsed.currency, f"{where}, line {number_in_file}")
        )
    check_balances(parsed)
    return parsed


def _mt940_day(balance: Any) -> date | None:
    on = getattr(balance, "date", None)
    return date(on.year, on.month, on.day) if on is not None else None


def _mt940_line(data: dict[str, Any], currency: str, where: str) -> Line:
    amount = data.get("amount")
    if amount is None:
        raise StatementRefused(
            _("%(where)s: no amount."),
            code="statement_amount",
            field="file",
            params={"where": where},
        )
    line_currency = str(amount.currency or currency).upper()
    minor = to_minor(str(amount.amount), line_currency, where=where)
    booked = data.get("entry_date") or data.get("date")
    if booked is None:
        raise StatementRefused(
            _("%(where)s: the booking date is missing or wrong."),
            code="statement_date",
            field="file",
            params={"where": where},
        )
    customer = str(data.get("customer_reference") or "").strip()
    if customer.upper() == "NONREF":
        customer = ""
    details = " ".join(str(data.get("transaction_details") or "").split())
    supplementary = str(data.get("extra_details") or "").strip()
    reference = find_reference(customer, details, supplementary, structured=customer)
    if not reference and not references.looks_structured(customer):
        reference = customer
    return Line(
        booked_on=date(booked.year, booked.month, booked.day),
        amount_minor=minor,
        currency=line_currency,
        reference=reference[:140],
        external_id=str(data.get("bank_reference") or "").strip()[:140],
        description=" · ".join(part for part in (details, supplementary) if part)[:300],
        is_reversal=str(data.get("status") or "").upper().startswith("R"),
        kind="CRDT" if minor > 0 else "DBIT",
    )
