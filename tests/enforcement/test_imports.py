"""Bulk import of seized assets from CSV and XLSX: good rows in, bad rows listed, never twice."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from core.errors import DomainError
from enforcement import importing, services
from enforcement.models import AssetImport, SeizedAsset
from tests.enforcement.conftest import VIN_EUROPE, VIN_NORTH_AMERICA

pytestmark = pytest.mark.django_db


def rows_for(file_number: str) -> list[dict[str, str]]:
    return [
        {
            "file_number": file_number,
            "kind": "VEHICLE",
            "title": "Nissan Patrol",
            "vin": VIN_NORTH_AMERICA,
            "year": "2018",
        },
        {
            "file_number": file_number,
            "kind": "vehicle",
            "title": "VW Golf",
            "vin": VIN_EUROPE,
            "colour": "Blue",
        },
        {
            "file_number": file_number,
            "kind": "عقار",
            "title": "Villa",
            "deed_number": "410100123",
            "area_m2": "450.5",
            "occupancy": "TENANT",
            "lease_ends_on": "2027-03-31",
        },
        {
            "file_number": file_number,
            "kind": "MOVABLE",
            "title": "Office furniture",
            "transfer_costs": "150.00",
        },
        {
            "file_number": file_number,
            "kind": "VEHICLE",
            "title": "Bad VIN",
            "vin": "1M8GDM9A1KP042788",
        },
        {"file_number": file_number, "kind": "REAL_ESTATE", "title": "No deed"},
        {"file_number": "RYC-1999-000001", "kind": "MOVABLE", "title": "Unknown file"},
        {"file_number": file_number, "kind": "BOAT", "title": "Unknown kind"},
        {
            "file_number": file_number,
            "kind": "VEHICLE",
            "title": "Bad year",
            "plate": "A 1",
            "year": "1850",
        },
        {
            "file_number": file_number,
            "kind": "MOVABLE",
            "title": "Bad amount",
            "transfer_costs": "12.345",
        },
    ]


def csv_upload(rows: list[dict[str, str]], name: str = "assets.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=importing.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


def xlsx_upload(rows: list[dict[str, str]]) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(list(importing.COLUMNS))
    for row in rows:
        sheet.append([row.get(name, "") for name in importing.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("assets.xlsx", buffer.getvalue())


def run_to_the_end(staff, batch):
    while batch.status not in (AssetImport.Status.DONE, AssetImport.Status.FAILED):
        batch = services.run_import_step(actor=staff, import_id=batch.pk, rows=3)
    return batch


def test_a_csv_with_good_and_bad_rows_imports_the_good_and_lists_the_bad(staff, file):
    batch = services.start_import(actor=staff, upload=csv_upload(rows_for(file.number)))

    batch = run_to_the_end(staff, batch)

    assert batch.total_rows == 10
    assert batch.imported_count == 4
    assert SeizedAsset.objects.filter(file=file).count() == 4
    errors = {error["row"]: (error["field"], error["code"]) for error in batch.errors}
    assert errors == {
        6: ("vin", "vin_check_digit"),
        7: ("deed_number", "required"),
        8: ("file_number", "file_not_found"),
        9: ("kind", "invalid_choice"),
        10: ("year", "min_value"),
        11: ("transfer_costs", "amount_decimals"),
    }
    villa = SeizedAsset.objects.get(deed_number="410100123")
    assert villa.kind == "REAL_ESTATE"
    assert villa.occupancy == "TENANT"


def test_importing_the_same_file_again_imports_nothing_twice(staff, file):
    run_to_the_end(
        staff, services.start_import(actor=staff, upload=csv_upload(rows_for(file.number)))
    )

    again = run_to_the_end(
        staff, services.start_import(actor=staff, upload=csv_upload(rows_for(file.number)))
    )

    assert again.imported_count == 0
    assert again.skipped_count == 4
    assert SeizedAsset.objects.filter(file=file).count() == 4


def test_an_xlsx_file_imports_like_a_csv(staff, file):
    batch = run_to_the_end(
        staff, services.start_import(actor=staff, upload=xlsx_upload(rows_for(file.number)[:4]))
    )

    assert batch.imported_count == 4
    assert batch.errors == []


def test_a_file_without_the_required_columns_is_refused_whole(staff):
    upload = SimpleUploadedFile("x.csv", b"title,vin\nCar,123\n", content_type="text/csv")

    with pytest.raises(DomainError) as refused:
        services.start_import(actor=staff, upload=upload)

    assert refused.value.code == "columns_missing"
    assert "file_number" in refused.value.render()
    assert not AssetImport.objects.exists()


def test_the_progress_fragment_drives_the_import_until_done(client, staff, file):
    client.force_login(staff)
    response = client.post(
        reverse("enforcement:import_start"), {"source": csv_upload(rows_for(file.number))}
    )
    batch = AssetImport.objects.get()
    assert response.status_code == 302

    fragment = client.post(reverse("enforcement:import_step", args=[batch.pk])).content.decode()

    assert 'role="progressbar"' in fragment
    assert "hx-post" not in fragment  # ten rows fit in one step: done, so polling stops
    assert "Bad VIN" not in fragment
    assert "vin" in fragment


def test_a_spreadsheet_that_unpacks_to_a_bomb_is_refused_before_it_is_inflated(staff):
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w") as member,
    ):
        for _ in range(importing.MAX_UNPACKED_BYTES // (1024 * 1024) + 1):
            member.write(b"<row/>" * 174_763)  # a little over 1 MiB at a time
    assert len(buffer.getvalue()) < 1024 * 1024  # small on disk, huge unpacked
    upload = SimpleUploadedFile("bomb.xlsx", buffer.getvalue())

    with pytest.raises(DomainError) as refused:
        services.start_import(actor=staff, upload=upload)

    assert (refused.value.code, refused.value.field) == ("xlsx_too_large", "source")
    assert "64" in refused.value.render()
    assert not AssetImport.objects.exists()


def test_a_spreadsheet_that_is_a_broken_archive_is_refused(staff):
    upload = SimpleUploadedFile("broken.xlsx", b"PK\x03\x04" + b"\x00" * 200)

    with pytest.raises(DomainError) as refused:
        services.start_import(actor=staff, upload=upload)

    assert refused.value.code == "xlsx_unreadable"
    assert not AssetImport.objects.exists()
