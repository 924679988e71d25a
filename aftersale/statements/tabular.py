"""Bank statements as CSV with a column mapping, and the provider's balance transactions."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from aftersale.statements.common import (
    DATE_FORMATS,
    MAX_BYTES,
    MAX_LINES,
    Line,
    Parsed,
    StatementRefused,
    content_hash,
    find_reference,
    to_minor,
)
from core.money import from_stripe_amount


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


def provider_lines(transactions: Iterable[dict[str, Any]]) -> list[Line]:
    """Lines from balance transactions (with `source` expanded when the API gave it)."""
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
