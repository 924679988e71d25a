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

from django.utils.translation import gettext_lazy as _

from aftersale.statements.camt import parse_camt053, parse_camt054
from aftersale.statements.common import (
    DATE_FORMATS,
    MAX_BYTES,
    MAX_LINES,
    Line,
    Parsed,
    StatementRefused,
    content_hash,
    find_reference,
    fingerprint,
    normalised_account,
    to_minor,
)
from aftersale.statements.swift import looks_like_mt940, parse_mt940
from aftersale.statements.tabular import ColumnMapping, csv_columns, parse_csv, provider_lines

__all__ = [
    "DATE_FORMATS",
    "MAX_BYTES",
    "MAX_LINES",
    "ColumnMapping",
    "Line",
    "Parsed",
    "StatementRefused",
    "content_hash",
    "csv_columns",
    "find_reference",
    "fingerprint",
    "normalised_account",
    "parse_bank_statement",
    "parse_camt053",
    "parse_camt054",
    "parse_csv",
    "parse_mt940",
    "provider_lines",
    "to_minor",
]


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
