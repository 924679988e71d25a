"""ISO 20022 camt.053 statements and camt.054 notifications, read with lxml (no entities, no
network); a batched entry becomes one line per transaction."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _
from lxml import etree

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
from core.money import Money


def _text(node: Any, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _date(node: Any, path: str, where: str) -> date:
    text = _text(node, f"{path}/{{*}}Dt") or _text(node, f"{path}/{{*}}DtTm")[:10]
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise StatementRefused(
            _("%(where)s: the booking date is missing or wrong."),
            code="statement_date",
            field="file",
            params={"where": where},
        ) from None


def _signed(node: Any, currency: str, where: str) -> tuple[int, str]:
    amount = node.find("{*}Amt")
    if amount is None:
        raise StatementRefused(
            _("%(where)s: no amount."),
            code="statement_amount",
            field="file",
            params={"where": where},
        )
    line_currency = (amount.get("Ccy") or currency or "").upper()
    minor = to_minor(amount.text or "", line_currency, where=where)
    indicator = _text(node, "{*}CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise StatementRefused(
            _("%(where)s: the credit/debit indicator must be CRDT or DBIT."),
            code="statement_indicator",
            field="file",
            params={"where": where},
        )
    return (minor if indicator == "CRDT" else -minor), line_currency


def _xml_root(data: bytes) -> Any:
    if len(data) > MAX_BYTES:
        raise StatementRefused(
            _("The file is larger than 5 MB."), code="statement_too_large", field="file"
        )
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise StatementRefused(
            _("The file is not well-formed XML."), code="statement_xml", field="file"
        ) from None


def parse_camt053(data: bytes) -> list[Parsed]:
    """Every statement (one per account and currency) of a camt.053 document."""
    root = _xml_root(data)
    statements = root.findall(".//{*}BkToCstmrStmt/{*}Stmt")
    if not statements or "camt.053" not in (root.nsmap.get(None) or "camt.053"):
        raise StatementRefused(
            _("The file holds no camt.053 statement."), code="statement_format", field="file"
        )
    return [_statement(node, index) for index, node in enumerate(statements, start=1)]


def parse_camt054(data: bytes) -> list[Parsed]:
    """Every notification of a camt.054 document: its entries, with no balances to check."""
    root = _xml_root(data)
    notifications = root.findall(".//{*}BkToCstmrDbtCdtNtfctn/{*}Ntfctn")
    if not notifications:
        raise StatementRefused(
            _("The file holds no camt.054 notification."), code="statement_format", field="file"
        )
    return [
        _statement(node, index, has_balances=False)
        for index, node in enumerate(notifications, start=1)
    ]


def _optional_date(node: Any, path: str) -> date | None:
    text = _text(node, path)[:10]
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _statement(node: Any, index: int, *, has_balances: bool = True) -> Parsed:
    currency = _text(node, "{*}Acct/{*}Ccy").upper()
    parsed = Parsed(
        identifier=_text(node, "{*}Id") or f"statement-{index}",
        currency=currency,
        iban=_text(node, "{*}Acct/{*}Id/{*}IBAN") or _text(node, "{*}Acct/{*}Id/{*}Othr/{*}Id"),
        period_from=_optional_date(node, "{*}FrToDt/{*}FrDtTm")
        or _optional_date(node, "{*}FrToDt/{*}FrDt"),
        period_to=_optional_date(node, "{*}FrToDt/{*}ToDtTm")
        or _optional_date(node, "{*}FrToDt/{*}ToDt"),
    )
    for balance in node.findall("{*}Bal"):
        code = _text(balance, "{*}Tp/{*}CdOrPrtry/{*}Cd")
        amount, balance_currency = _signed(balance, currency, f"balance {code}")
        parsed.currency = parsed.currency or balance_currency
        on = _optional_date(balance, "{*}Dt/{*}Dt") or _optional_date(balance, "{*}Dt/{*}DtTm")
        if code in ("OPBD", "PRCD"):
            parsed.opening_minor = amount
            parsed.period_from = parsed.period_from or on
        elif code in ("CLBD",):
            parsed.closing_minor = amount
            parsed.period_to = parsed.period_to or on
    entries = node.findall("{*}Ntry")
    if len(entries) > MAX_LINES:
        raise StatementRefused(
            _("Too many entries in one statement."), code="statement_too_large", field="file"
        )
    for number, entry in enumerate(entries, start=1):
        parsed.lines.extend(_entry(entry, parsed.currency, f"entry {number}"))
    if has_balances:
        check_balances(parsed)
    return parsed


@dataclass(frozen=True)
class _Transaction:
    amount_minor: int | None
    reference: str
    end_to_end_id: str
    remittance: str
    counterparty: str
    bank_reference: str


def _transaction(details: Any, currency: str, entry_sign: int, where: str) -> _Transaction:
    end_to_end = _text(details, "{*}Refs/{*}EndToEndId")
    if end_to_end.upper() == "NOTPROVIDED":
        end_to_end = ""
    structured = _text(details, "{*}RmtInf/{*}Strd/{*}CdtrRefInf/{*}Ref")
    remittance = " ".join(
        (n.text or "").strip() for n in details.findall("{*}RmtInf/{*}Ustrd") if n.text
    )
    extra = _text(details, "{*}AddtlTxInf")
    reference = find_reference(remittance, extra, end_to_end, structured=structured)
    if not reference and not references.looks_structured(structured):
        reference = structured or end_to_end
    side = "{*}Dbtr" if entry_sign > 0 else "{*}Cdtr"
    counterparty = (
        _text(details, f"{{*}}RltdPties/{side}/{{*}}Nm")
        or _text(details, f"{{*}}RltdPties/{side}/{{*}}Pty/{{*}}Nm")
        or _text(details, f"{{*}}RltdPties/{{*}}Ultmt{side[3:]}/{{*}}Nm")
    )
    return _Transaction(
        amount_minor=_transaction_amount(details, currency, entry_sign, where),
        reference=reference,
        end_to_end_id=end_to_end,
        remittance=" · ".join(part for part in (remittance, extra) if part),
        counterparty=counterparty,
        bank_reference=_text(details, "{*}Refs/{*}AcctSvcrRef"),
    )


def _transaction_amount(details: Any, currency: str, entry_sign: int, where: str) -> int | None:
    """The transaction's amount in the entry's currency (signed), or None if it gives none."""
    for path in ("{*}Amt", "{*}AmtDtls/{*}TxAmt/{*}Amt"):
        amount = details.find(path)
        if amount is not None and (amount.get("Ccy") or currency).upper() == currency:
            minor = to_minor(amount.text or "", currency, where=where)
            indicator = _text(details, "{*}CdtDbtInd")
            sign = {"CRDT": 1, "DBIT": -1}.get(indicator, entry_sign)
            return sign * minor
    return None


def _entry(entry: Any, currency: str, where: str) -> list[Line]:
    """The lines of one entry: one per transaction when it batches several."""
    amount, line_currency = _signed(entry, currency, where)
    sign = 1 if amount > 0 else -1
    bank_reference = _text(entry, "{*}AcctSvcrRef") or _text(entry, "{*}NtryRef")
    extra = _text(entry, "{*}AddtlNtryInf")
    transactions = [
        _transaction(details, line_currency, sign, f"{where}, transaction {number}")
        for number, details in enumerate(entry.findall("{*}NtryDtls/{*}TxDtls"), start=1)
    ]
    common = {
        "booked_on": _date(entry, "{*}BookgDt", where),
        "currency": line_currency,
        "is_reversal": _text(entry, "{*}RvslInd").lower() == "true",
    }
    split = len(transactions) > 1 and all(t.amount_minor is not None for t in transactions)
    if split:
        total = sum(t.amount_minor or 0 for t in transactions)
        if total != amount:
            raise StatementRefused(
                _(
                    "%(where)s (%(reference)s) books %(amount)s but its %(count)s "
                    "transactions add up to %(total)s."
                ),
                code="statement_batch_unbalanced",
                field="file",
                params={
                    "where": where,
                    "reference": bank_reference or "—",
                    "amount": _decimal_text(amount, line_currency),
                    "count": len(transactions),
                    "total": _decimal_text(total, line_currency),
                },
            )
        return [_line(t, t.amount_minor or 0, bank_reference, extra, common) for t in transactions]
    # One line for the entry: a single transaction, or a batch that gives no amount per
    # transaction (it cannot be split); the first valid reference of any of them is used.
    merged = transactions[0] if transactions else _Transaction(None, "", "", "", "", "")
    reference = next((t.reference for t in transactions if t.reference), "")
    merged = dataclasses.replace(merged, reference=reference or find_reference(extra))
    return [_line(merged, amount, bank_reference, extra, common)]


def _line(
    transaction: _Transaction, amount: int, bank_reference: str, extra: str, common: dict[str, Any]
) -> Line:
    return Line(
        amount_minor=amount,
        reference=transaction.reference[:140],
        external_id=(transaction.bank_reference or bank_reference)[:140],
        description=" · ".join(part for part in (transaction.remittance, extra) if part)[:300],
        kind="CRDT" if amount > 0 else "DBIT",
        end_to_end_id=transaction.end_to_end_id[:140],
        counterparty=transaction.counterparty[:140],
        **common,
    )


def _decimal_text(minor: int, currency: str) -> str:
    return Money(minor, currency).format()
