"""Reading bank statements: ISO 20022 camt.053 (lxml) and CSV with a column mapping.

Parsing is all or nothing: a file with one bad line, or whose balances do not
add up (opening + credits − debits ≠ closing), is refused as a whole with the
line and the rule. Amounts are read as decimal text into exact minor units;
more decimals than the currency has is an error, never a rounding.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _
from lxml import etree

from core.errors import DomainError
from payments.money import MAX_DIGITS, exponent

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000
_AMOUNT = re.compile(r"^-?\d{1,18}(\.\d{1,6})?$")
_CREDITOR_REFERENCE = re.compile(r"RF\d{2}[A-Z0-9]{1,21}")
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


@dataclass
class Parsed:
    identifier: str
    currency: str
    iban: str = ""
    opening_minor: int | None = None
    closing_minor: int | None = None
    lines: list[Line] = field(default_factory=list)

    @property
    def from_on(self) -> date:
        return min((line.booked_on for line in self.lines), default=date.today())

    @property
    def to_on(self) -> date:
        return max((line.booked_on for line in self.lines), default=date.today())


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


def find_reference(*texts: str) -> str:
    """The reference a bank line carries: our RF creditor reference or disbursement number."""
    for text in texts:
        compact = (text or "").upper().replace(" ", "")
        match = _CREDITOR_REFERENCE.search(compact)
        if match:
            return match.group(0)
    for text in texts:
        match = _DISBURSEMENT_REFERENCE.search((text or "").upper())
        if match:
            return match.group(0)
    return ""


# -- camt.053 ------------------------------------------------------------------------------------


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


def parse_camt053(data: bytes) -> list[Parsed]:
    """Every statement (one per account and currency) of a camt.053 document."""
    if len(data) > MAX_BYTES:
        raise StatementRefused(
            _("The file is larger than 5 MB."), code="statement_too_large", field="file"
        )
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise StatementRefused(
            _("The file is not well-formed XML."), code="statement_xml", field="file"
        ) from None
    statements = root.findall(".//{*}BkToCstmrStmt/{*}Stmt")
    if not statements or "camt.053" not in (root.nsmap.get(None) or "camt.053"):
        raise StatementRefused(
            _("The file holds no camt.053 statement."), code="statement_format", field="file"
        )
    return [_statement(node, index) for index, node in enumerate(statements, start=1)]


def _statement(node: Any, index: int) -> Parsed:
    currency = _text(node, "{*}Acct/{*}Ccy").upper()
    parsed = Parsed(
        identifier=_text(node, "{*}Id") or f"statement-{index}",
        currency=currency,
        iban=_text(node, "{*}Acct/{*}Id/{*}IBAN"),
    )
    for balance in node.findall("{*}Bal"):
        code = _text(balance, "{*}Tp/{*}CdOrPrtry/{*}Cd")
        amount, balance_currency = _signed(balance, currency, f"balance {code}")
        parsed.currency = parsed.currency or balance_currency
        if code in ("OPBD", "PRCD"):
            parsed.opening_minor = amount
        elif code in ("CLBD",):
            parsed.closing_minor = amount
    entries = node.findall("{*}Ntry")
    if len(entries) > MAX_LINES:
        raise StatementRefused(
            _("Too many entries in one statement."), code="statement_too_large", field="file"
        )
    for number, entry in enumerate(entries, start=1):
        parsed.lines.append(_entry(entry, parsed.currency, f"entry {number}"))
    _check_balances(parsed)
    return parsed


def _entry(entry: Any, currency: str, where: str) -> Line:
    amount, line_currency = _signed(entry, currency, where)
    details = entry.find("{*}NtryDtls/{*}TxDtls")
    end_to_end = structured = unstructured = ""
    if details is not None:
        end_to_end = _text(details, "{*}Refs/{*}EndToEndId")
        structured = _text(details, "{*}RmtInf/{*}Strd/{*}CdtrRefInf/{*}Ref")
        unstructured = " ".join(
            (n.text or "").strip() for n in details.findall("{*}RmtInf/{*}Ustrd")
        )
    if end_to_end.upper() == "NOTPROVIDED":
        end_to_end = ""
    extra = _text(entry, "{*}AddtlNtryInf")
    reference = (
        find_reference(structured, end_to_end, unstructured, extra) or structured or end_to_end
    )
    return Line(
        booked_on=_date(entry, "{*}BookgDt", where),
        amount_minor=amount,
        currency=line_currency,
        reference=reference[:140],
        external_id=(_text(entry, "{*}AcctSvcrRef") or _text(entry, "{*}NtryRef"))[:140],
        description=" · ".join(part for part in (unstructured, extra) if part)[:300],
        is_reversal=_text(entry, "{*}RvslInd").lower() == "true",
        kind="CRDT" if amount > 0 else "DBIT",
    )


def _check_balances(parsed: Parsed) -> None:
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


# -- CSV ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMapping:
    """Which column holds what; `amount` is signed, or `credit` and `debit` are separate."""

    date: str
    reference: str
    amount: str = ""
    credit: str = ""
    debit: str = ""
    description: str = ""
    date_format: str = "YYYY-MM-DD"


def _csv_rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    if len(data) > MAX_BYTES:
        raise StatementRefused(
            _("The file is larger than 5 MB."), code="statement_too_large", field="file"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StatementRefused(
            _("Save the CSV file as UTF-8."), code="statement_encoding", field="file"
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    rows = list(reader)
    if len(rows) > MAX_LINES:
        raise StatementRefused(
            _("Too many lines in one file."), code="statement_too_large", field="file"
        )
    return list(reader.fieldnames or []), rows


def csv_columns(data: bytes) -> list[str]:
    return _csv_rows(data)[0]


def parse_csv(data: bytes, mapping: ColumnMapping, currency: str) -> Parsed:
    """A CSV statement in the court's currency, read through `mapping`."""
    columns, rows = _csv_rows(data)
    wanted = [
        mapping.date,
        mapping.reference,
        mapping.amount,
        mapping.credit,
        mapping.debit,
        mapping.description,
    ]
    missing = [name for name in wanted if name and name not in columns]
    if missing or not (mapping.amount or (mapping.credit and mapping.debit)):
        raise StatementRefused(
            _("The file has no column named %(columns)s."),
            code="statement_columns",
            field="mapping",
            params={"columns": ", ".join(missing) or "amount"},
        )
    parsed = Parsed(identifier=content_hash(data)[:16], currency=currency)
    for number, row in enumerate(rows, start=2):
        parsed.lines.append(_csv_line(row, mapping, currency, f"line {number}"))
    if not parsed.lines:
        raise StatementRefused(_("The file has no lines."), code="statement_empty", field="file")
    return parsed


def _csv_line(row: dict[str, str], mapping: ColumnMapping, currency: str, where: str) -> Line:
    try:
        booked = datetime.strptime(
            (row.get(mapping.date) or "").strip(), DATE_FORMATS[mapping.date_format]
        ).date()
    except (ValueError, KeyError):
        raise StatementRefused(
            _("%(where)s: the date is not in the %(format)s format."),
            code="statement_date",
            field="file",
            params={"where": where, "format": mapping.date_format},
        ) from None
    if mapping.amount:
        amount = to_minor(row.get(mapping.amount, "").replace(",", ""), currency, where=where)
    else:
        credit = (row.get(mapping.credit) or "").replace(",", "").strip()
        debit = (row.get(mapping.debit) or "").replace(",", "").strip()
        amount = (to_minor(credit, currency, where=where) if credit else 0) - (
            to_minor(debit, currency, where=where) if debit else 0
        )
    raw_reference = (row.get(mapping.reference) or "").strip()
    description = (row.get(mapping.description) or "").strip() if mapping.description else ""
    return Line(
        booked_on=booked,
        amount_minor=amount,
        currency=currency,
        reference=(find_reference(raw_reference, description) or raw_reference)[:140],
        description=description[:300],
        kind="CRDT" if amount > 0 else "DBIT",
    )


# -- the payment provider's balance transactions ---------------------------------------------------


def provider_lines(transactions: Iterable[dict[str, Any]]) -> list[Line]:
    """Lines from balance transactions (with `source` expanded when the API gave it)."""
    from payments.money import from_stripe_amount

    lines = []
    for number, txn in enumerate(transactions, start=1):
        currency = str(txn.get("currency", "")).upper()
        try:
            money = from_stripe_amount(int(txn["amount"]), currency)
            booked = datetime.fromtimestamp(int(txn.get("created") or 0), tz=UTC).date()
        except (KeyError, TypeError, ValueError):
            raise StatementRefused(
                _("%(where)s: not a balance transaction."),
                code="statement_format",
                field="file",
                params={"where": f"transaction {number}"},
            ) from None
        source = txn.get("source")
        source_id = source.get("id") if isinstance(source, dict) else source
        metadata = source.get("metadata", {}) if isinstance(source, dict) else {}
        intent = source.get("payment_intent") if isinstance(source, dict) else None
        reference = str((metadata or {}).get("mazad_ref") or intent or source_id or "")
        lines.append(
            Line(
                booked_on=booked,
                amount_minor=money.amount_minor,
                currency=money.currency,
                reference=reference[:140],
                external_id=str(source_id or txn.get("id") or "")[:140],
                description=f"{txn.get('type', '')} {txn.get('id', '')} fee {txn.get('fee', 0)}"[
                    :300
                ],
                kind=str(txn.get("type", ""))[:40],
            )
        )
    return lines
