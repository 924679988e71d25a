"""Finance exports that Excel reads: a byte-order mark on CSV, no formula injection, XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core import exports
from tests.conftest import make_user

DANGEROUS = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_csv_starts_with_a_byte_order_mark_and_keeps_arabic():
    text = exports.csv_text(["payee"], [["محكمة التنفيذ"]])

    assert text.startswith("\ufeff")
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert "محكمة التنفيذ" in text


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_text_cell_a_spreadsheet_would_run_is_written_inert(value):
    text = exports.csv_text(["payee"], [[value]])

    assert "\n'" + value[:1] in text or "\"'" + value[:1] in text


def test_numbers_stay_numbers_even_when_negative():
    text = exports.csv_text(["difference_minor"], [[-1], [0]])

    assert text.splitlines()[1:] == ["-1", "0"]


def test_xlsx_stores_text_as_text_never_as_a_formula():
    data = exports.xlsx_bytes("export", ["payee", "amount_minor"], [[v, -5] for v in DANGEROUS])

    sheet = load_workbook(io.BytesIO(data)).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [value for value, _amount in values] == DANGEROUS
    assert all(cell.data_type == "s" for cell in sheet["A"][1:])
    assert {amount for _value, amount in values} == {-5}


@pytest.mark.django_db
def test_the_finance_exports_come_as_csv_with_a_mark_and_as_xlsx(client, court):
    client.force_login(make_user("FINANCE_STAFF", court=court))

    balances = client.get("/finance/balances.csv")
    transfers = client.get("/finance/disbursements/?format=xlsx")
    report = client.get("/finance/reconciliation/report/", {"on": "2026-01-05", "format": "xlsx"})
    report_csv = client.get(
        "/finance/reconciliation/report/", {"on": "2026-01-05", "format": "csv"}
    )

    assert balances.content.startswith(b"\xef\xbb\xbf")
    assert report_csv.content.startswith(b"\xef\xbb\xbf")
    for response in (transfers, report):
        assert response["Content-Type"] == exports.XLSX_TYPE
        assert load_workbook(io.BytesIO(response.content)).active.max_row >= 1
