"""Fixtures of enforcement tests: agencies, files with parties, assets in each state."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.organisations import Agency
from enforcement import services
from tests.conftest import make_user

SAUDI_ID = "1000000008"
OTHER_SAUDI_ID = "1000000016"
IBAN_SA = "SA0380000000608010167519"
VIN_NORTH_AMERICA = "1M8GDM9AXKP042788"  # check digit X, valid
VIN_EUROPE = "WVWZZZ1JZXW000001"  # no check digit scheme
COMMERCIAL_REGISTRATION = "1010123456"


def png_upload(name: str = "photo.png", size: tuple[int, int] = (64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 140)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_upload(name: str = "document.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name,
        b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        content_type="application/pdf",
    )


def person(
    name: str = "Khalid Al-Otaibi", id_number: str = SAUDI_ID, **extra: Any
) -> services.PartyDetails:
    return services.PartyDetails(
        kind="PERSON",
        id_kind="NATIONAL_ID",
        name_ar="خالد العتيبي",
        name_en=name,
        id_country="SA",
        id_number=id_number,
        **extra,
    )


def company(name: str = "Gulf Trading Co.") -> services.PartyDetails:
    return services.PartyDetails(
        kind="COMPANY",
        id_kind="COMMERCIAL_REGISTRATION",
        name_ar="شركة الخليج للتجارة",
        name_en=name,
        id_country="SA",
        id_number=COMMERCIAL_REGISTRATION,
        iban=IBAN_SA,
    )


def instrument() -> services.Instrument:
    return services.Instrument("JUDGMENT", "J-2026-1234", date(2026, 1, 15))


def open_file(actor: Any, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "actor": actor,
        "applicants": [company()],
        "debtors": [person()],
        "instrument": instrument(),
        "claim_minor": 15_000_000,
        "costs_minor": 250_000,
    }
    arguments.update(overrides)
    return services.open_file(**arguments)


def vehicle(**overrides: Any) -> services.AssetDetails:
    values: dict[str, Any] = {
        "kind": "VEHICLE",
        "title": "Toyota Land Cruiser 2019",
        "vin": VIN_NORTH_AMERICA,
        "plate": "ABC 1234",
        "make": "Toyota",
        "model": "Land Cruiser",
        "year": 2019,
        "colour": "White",
        "mileage_km": 120_000,
        "condition": "GOOD",
        "custody_location": "Court yard, Riyadh",
    }
    values.update(overrides)
    return services.AssetDetails(**values)


def real_estate(**overrides: Any) -> services.AssetDetails:
    values: dict[str, Any] = {
        "kind": "REAL_ESTATE",
        "title": "Villa in Al-Malqa",
        "deed_number": "310118012345",
        "city": "Riyadh",
        "district": "Al-Malqa",
        "occupancy": "VACANT",
    }
    values.update(overrides)
    return services.AssetDetails(**values)


def tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


@pytest.fixture
def agency(db: None) -> Agency:
    return Agency.objects.create(
        code="SA-TRAFFIC",
        kind="TRAFFIC",
        country="SA",
        name_ar="الإدارة العامة للمرور",
        name_en="General Traffic Department",
    )


@pytest.fixture
def other_agency(db: None) -> Agency:
    return Agency.objects.create(
        code="SA-LAND",
        kind="LAND_REGISTRY",
        country="SA",
        name_ar="السجل العقاري",
        name_en="Real Estate Registry",
    )


@pytest.fixture
def agency_user(agency: Agency) -> Any:
    return make_user("AGENCY", agency=agency)


@pytest.fixture
def file(staff: Any) -> Any:
    return open_file(staff)


@pytest.fixture
def asset(staff: Any, file: Any) -> Any:
    return services.register_asset(actor=staff, file_id=file.pk, details=vehicle())


@pytest.fixture
def appraised_asset(staff: Any, asset: Any) -> Any:
    services.record_appraisal(
        actor=staff,
        asset_id=asset.pk,
        appraiser="Saudi Appraisers Co.",
        appraised_on=timezone.localdate(),
        value_minor=9_500_000,
    )
    asset.refresh_from_db()
    return asset
