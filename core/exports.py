"""Spreadsheet exports that Excel opens correctly and that cannot run anything when opened.

CSV files start with a UTF-8 byte-order mark (without it Excel reads UTF-8 as
the local code page and Arabic comes out garbled). A text cell starting with
`=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula by
a spreadsheet (CSV injection), so it is written with a leading apostrophe;
numbers are written as numbers. XLSX cells that hold text are stored as text,
never as formulas, and lose the control characters the format cannot hold.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | Decimal | date | datetime | None


def safe_text(value: Any) -> Any:
    """`value` with a text cell that a spreadsheet would take for a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The CSV text, byte-order mark first, every text cell guarded."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow([safe_text(name) for name in header])
    for row in rows:
        writer.writerow([safe_text("" if value is None else value) for value in row])
    return buffer.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> HttpResponse:
    response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """One worksheet: a bold header row, then the rows; text is stored as text, never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    for row_number, row in enumerate([list(header), *rows], start=1):
        for column, value in enumerate(row, start=1):
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = sheet.cell(row=row_number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would store "=..." as a formula
            if row_number == 1:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    filename: str, title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(title, header, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def table_response(
    kind: str, filename: str, title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> HttpResponse:
    """An XLSX download when `kind` is "xlsx", else CSV."""
    if kind == "xlsx":
        return xlsx_response(filename, title, header, rows)
    return csv_response(filename, header, rows)
