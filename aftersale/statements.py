"""Reading bank statements: ISO 20022 camt.053 and camt.054 (lxml), MT940 (mt-940) and CSV.

Parsing is all or nothing: a file with one bad line, a batched entry whose
transactions do not add up to it, or balances that do not add up (opening +
credits − debits ≠ closing) is refused as a whole with the line and the rule.
Every transaction of a batched entry becomes its own line. Amounts are read
as decimal text into exact minor units; more decimals than the currency has
is an error, never a rounding. The period is the statement's own (its
from/to dates, else its balance dates, widened to its lines), never today.
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

import mt940
from django.utils.translation import gettext_lazy as _
from lxml import etree

from aftersale import references
from core.errors import DomainError
from payments.money import MAX_DIGITS, exponent

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
        _check_balances(parsed)
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
    merged = transactions[0] if transactions else _Transaction(None, "", "", "", "", "")
    if not merged.reference:
        reference = find_reference(extra)
        merged = _Transaction(
            None,
            reference,
            merged.end_to_end_id,
            merged.remittance,
            merged.counterparty,
            merged.bank_reference,
        )
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
    from payments.money import Money

    return Money(minor, currency).format()


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


# -- MT940 -----------------------------------------------------------------------------------

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
    _check_balances(parsed)
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


def parse_bank_statement(data: bytes) -> tuple[str, list[Parsed]]:
    """("CAMT053" | "CAMT054" | "MT940", statements) of a bank file, whichever format it is in.

    A camt.054 notification lists some movements of the account, not all of
    them: its lines are matched, but it says nothing of what is missing.
    """
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        if b"BkToCstmrDbtCdtNtfctn" in data and b"BkToCstmrStmt" not in data:
            return "CAMT054", parse_camt054(data)
        return "CAMT053", parse_camt053(data)
    if looks_like_mt940(data):
        return "MT940", parse_mt940(data)
    raise StatementRefused(
        _("The file is neither a camt.053 or camt.054 (XML) nor an MT940 statement."),
        code="statement_format",
        field="file",
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
