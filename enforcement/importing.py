"""Reading a bulk import of seized assets: CSV (UTF-8) or XLSX, one asset a row."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, datetime
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enforcement.forms import ARABIC_CODES

COLUMNS = (
    "file_number",
    "kind",
    "title",
    "description",
    "custody_location",
    "vin",
    "plate",
    "make",
    "model",
    "year",
    "colour",
    "mileage_km",
    "condition",
    "deed_number",
    "city",
    "district",
    "plan_number",
    "plot_number",
    "area_m2",
    "use",
    "latitude",
    "longitude",
    "occupancy",
    "lease_ends_on",
    "transfer_costs",
    "transfer_costs_note",
)
REQUIRED_COLUMNS = frozenset({"file_number", "kind", "title"})
CODED_COLUMNS = frozenset({"kind", "condition", "use", "occupancy"})
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
# What a spreadsheet of MAX_ROWS rows unpacks to is far below this; a file that unpacks to
# more is a decompression bomb and is refused before any of it is inflated.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024

Row = dict[str, str]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_from_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(_("Save the CSV file as UTF-8."), code="csv_encoding") from error
    return [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]


def _unreadable() -> ValidationError:
    return ValidationError(_("The spreadsheet could not be read."), code="xlsx_unreadable")


def _unpacked_size(data: bytes) -> int:
    """The size the archive's members declare; zipfile stops reading a member at that size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise _unreadable() from error


def _rows_from_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    if _unpacked_size(data) > MAX_UNPACKED_BYTES:
        raise ValidationError(
            _("The spreadsheet unpacks to more than %(limit)s MB."),
            code="xlsx_too_large",
            params={"limit": MAX_UNPACKED_BYTES // (1024 * 1024)},
        )
    rows: list[list[str]] = []
    try:  # openpyxl raises many kinds on a damaged file, opening it or reading it
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            # The header and one row beyond the limit are enough to refuse a file too long.
            for values in book.worksheets[0].iter_rows(values_only=True):
                row = [_cell(v) for v in values]
                if any(row):
                    rows.append(row)
                    if len(rows) > MAX_ROWS + 1:
                        break
        finally:
            book.close()
    except Exception as error:
        raise _unreadable() from error
    return rows


def read_rows(source: IO[bytes]) -> list[Row]:
    """Rows as {column: text}; raises ValidationError when the file as a whole is unusable."""
    data = source.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is too large: the limit is 5 MB."), code="file_too_large")
    table = _rows_from_xlsx(data) if data.startswith(XLSX_MAGIC) else _rows_from_csv(data)
    if not table:
        raise ValidationError(_("The file is empty."), code="file_empty")
    header = [cell.strip().lower() for cell in table[0]]
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if missing:
        raise ValidationError(
            _("The first row must name the columns; missing: %(columns)s."),
            code="columns_missing",
            params={"columns": ", ".join(missing)},
        )
    if len(table) - 1 > MAX_ROWS:
        raise ValidationError(
            _("At most %(limit)s rows can be imported at once."),
            code="too_many_rows",
            params={"limit": MAX_ROWS},
        )
    rows = []
    for cells in table[1:]:
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        rows.append({name: row.get(name, "") for name in COLUMNS})
    return rows


def normalise_codes(row: Row) -> Row:
    """Coded columns accept the code in any case, or the Arabic word."""
    clean = dict(row)
    for name in CODED_COLUMNS:
        value = clean.get(name, "").strip()
        clean[name] = ARABIC_CODES.get(value, value.upper().replace(" ", "_"))
    clean["occupancy"] = clean["occupancy"] or "VACANT"
    return clean


def row_key(row: Row) -> str:
    """The row's natural key: file, kind and VIN or deed number if any, else the whole row."""
    natural = row.get("vin") or row.get("deed_number")
    basis = (
        [row.get("file_number", "").upper(), row.get("kind", ""), natural.upper()]
        if natural
        else [row.get(name, "") for name in COLUMNS]
    )
    return hashlib.sha256(json.dumps(basis, ensure_ascii=False).encode()).hexdigest()


def sample_csv() -> str:
    """A template file staff can fill in."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    return buffer.getvalue()
