"""Bad input is refused with the field and the rule named, and changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.errors import DomainError
from enforcement import services, validators
from enforcement.models import AssetPhoto, EnforcementFile, Party, SeizedAsset
from tests.conftest import pixel_bomb
from tests.enforcement.conftest import (
    IBAN_SA,
    VIN_EUROPE,
    VIN_NORTH_AMERICA,
    company,
    open_file,
    person,
    png_upload,
    vehicle,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "iban",
    [
        IBAN_SA,
        "sa03 8000 0000 6080 1016 7519",
        "KW81CBKU0000000000001234560101",
        "GB82WEST12345698765432",
    ],
)
def test_valid_ibans_are_accepted(iban):
    validators.validate_iban(validators.normalise_iban(iban))


@pytest.mark.parametrize(
    "iban",
    [
        "SA0480000000608010167519",  # check digits wrong
        "SA038000000060801016751",  # one digit short for Saudi Arabia
        "XX0380000000608010167519",  # no such country
        "not an iban",
    ],
)
def test_invalid_ibans_are_refused_naming_the_rule(iban):
    with pytest.raises(ValidationError) as refused:
        validators.validate_iban(validators.normalise_iban(iban))

    assert refused.value.code == "iban"


def test_a_vin_with_a_valid_check_digit_is_accepted():
    validators.validate_vin(VIN_NORTH_AMERICA)
    validators.validate_vin(VIN_EUROPE)  # European VINs carry no check digit


@pytest.mark.parametrize(
    ("vin", "code"),
    [
        ("1M8GDM9A1KP042788", "vin_check_digit"),  # position 9 should be X
        ("1M8GDM9AXKP04278", "vin_format"),  # 16 characters
        ("1M8GDM9AXKP0427O8", "vin_format"),  # the letter O is never used
        ("IM8GDM9AXKP042788", "vin_format"),  # nor I
    ],
)
def test_invalid_vins_are_refused_naming_the_rule(vin, code):
    with pytest.raises(ValidationError) as refused:
        validators.validate_vin(vin)

    assert refused.value.code == code


def test_registering_a_vehicle_with_a_wrong_check_digit_changes_nothing(staff, file):
    with pytest.raises(DomainError) as refused:
        services.register_asset(
            actor=staff, file_id=file.pk, details=vehicle(vin="1M8GDM9A1KP042788")
        )

    assert refused.value.field == "vin"
    assert refused.value.code == "vin_check_digit"
    assert not SeizedAsset.objects.exists()


@pytest.mark.parametrize(
    ("id_number", "code"),
    [("1000000009", "national_id"), ("3000000008", "national_id"), ("10000000", "national_id")],
)
def test_a_party_with_an_invalid_national_id_is_refused(staff, id_number, code):
    with pytest.raises(DomainError) as refused:
        open_file(staff, debtors=[person(id_number=id_number)])

    assert refused.value.field == "id_number"
    assert refused.value.code == code
    assert not EnforcementFile.objects.exists()
    assert not Party.objects.exists()


def test_a_party_with_a_bad_iban_is_refused(staff):
    with pytest.raises(DomainError) as refused:
        open_file(staff, debtors=[person(iban="SA0480000000608010167519")])

    assert refused.value.field == "iban"
    assert not EnforcementFile.objects.exists()


def test_a_company_needs_a_commercial_registration_number(staff):
    bad = services.PartyDetails(**{**company().__dict__, "id_number": "12AB"})

    with pytest.raises(DomainError) as refused:
        open_file(staff, applicants=[bad])

    assert refused.value.code == "commercial_registration"
    assert not EnforcementFile.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_as_a_photo(staff, asset):
    fake = SimpleUploadedFile(
        "car.jpg", b"MZ\x90\x00 this is an executable", content_type="image/jpeg"
    )

    with pytest.raises(DomainError) as refused:
        services.add_photos(actor=staff, asset_id=asset.pk, uploads=[png_upload(), fake])

    assert refused.value.field == "photos"
    assert refused.value.code == "not_an_image"
    assert not AssetPhoto.objects.exists()  # the valid one is not kept either


def test_an_oversized_photo_is_refused(staff, asset, settings):
    big = SimpleUploadedFile(
        "big.png", png_upload().read() + b"\0" * (8 * 1024 * 1024), content_type="image/png"
    )

    with pytest.raises(DomainError) as refused:
        services.add_photos(actor=staff, asset_id=asset.pk, uploads=[big])

    assert refused.value.code == "file_too_large"
    assert not AssetPhoto.objects.exists()


def test_a_photo_that_would_decode_to_too_many_pixels_is_refused_undecoded(staff, asset):
    bomb = SimpleUploadedFile("bomb.png", pixel_bomb(), content_type="image/png")

    with pytest.raises(DomainError) as refused:
        services.add_photos(actor=staff, asset_id=asset.pk, uploads=[bomb])

    assert (refused.value.code, refused.value.field) == ("image_too_large", "photos")
    assert "too many pixels" in refused.value.render()
    assert not AssetPhoto.objects.exists()


def test_a_photo_is_re_encoded_with_a_thumbnail(staff, asset):
    (photo,) = services.add_photos(
        actor=staff, asset_id=asset.pk, uploads=[png_upload(size=(2400, 1600))]
    )

    assert (photo.width, photo.height) == (1600, 1067)
    with photo.thumbnail.open("rb") as thumbnail:
        assert thumbnail.read(3) == b"\xff\xd8\xff"  # JPEG


def test_a_non_image_photo_upload_shows_the_rule_on_the_page(client, staff, asset):
    client.force_login(staff)

    response = client.post(
        reverse("enforcement:photos_add", args=[asset.pk]),
        {"photos": SimpleUploadedFile("x.png", b"not a png", content_type="image/png")},
        follow=True,
    )

    assert "not a readable image" in response.content.decode()
    assert not AssetPhoto.objects.exists()


def test_the_file_form_names_the_field_and_rule(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("enforcement:file_create"),
        {
            "applicant-id_kind": "NATIONAL_ID",
            "applicant-id_country": "SA",
            "applicant-id_number": "1000000009",
            "applicant-name_ar": "أ",
            "applicant-name_en": "A",
            "debtor-id_kind": "NATIONAL_ID",
            "debtor-id_country": "SA",
            "debtor-id_number": "1000000008",
            "debtor-name_ar": "ب",
            "debtor-name_en": "B",
            "debtor-iban": "SA0480000000608010167519",
            "instrument_kind": "JUDGMENT",
            "instrument_reference": "J-1",
            "instrument_issued_on": "2026-01-01",
            "claim": "1,000.555",
        },
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "check digit must match" in page
    assert "check digits must match" in page
    assert "at most 2 decimals" in page
    assert 'aria-invalid="true"' in page
    assert not EnforcementFile.objects.exists()


@pytest.mark.parametrize(
    ("language", "rule"),
    [("en", "Null characters are not allowed"), ("ar", "الأحرف الخالية غير مسموح بها")],
)
def test_a_reason_with_a_nul_character_is_refused_naming_the_rule_and_changes_nothing(
    client, supervisor, asset, language, rule
):
    """A button's reason is posted without a form; a NUL the database cannot store is refused
    like a form's text field would refuse it, instead of failing the audit record's write."""
    from core.models import AuditRecord

    supervisor.preferred_language = language
    supervisor.save(update_fields=["preferred_language"])
    client.force_login(supervisor)
    records = AuditRecord.objects.count()

    response = client.post(
        reverse("enforcement:asset_release", args=[asset.pk]),
        {"reason": "Paid\x00 in full"},
        follow=True,
    )

    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any(rule in m for m in shown), shown
    asset.refresh_from_db()
    assert asset.status != SeizedAsset.Status.RELEASED
    assert AuditRecord.objects.count() == records
