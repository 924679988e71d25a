"""The demo data of `make run`: files, assets with photos, letters in every state; idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from enforcement.models import AgencyLetter, AssetPhoto, EnforcementFile, SeizedAsset

# Loading the demo renders and signs each seizure order and its minutes (a PDF each).
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(1200)]


def test_seed_demo_loads_enforcement_data_once():
    call_command("seed_demo", verbosity=0)
    counts = (
        EnforcementFile.objects.count(),
        SeizedAsset.objects.count(),
        AgencyLetter.objects.count(),
    )

    call_command("seed_demo", verbosity=0)

    assert (
        EnforcementFile.objects.count(),
        SeizedAsset.objects.count(),
        AgencyLetter.objects.count(),
    ) == counts
    for code in ("RYC", "KWC"):
        # Twelve files of seizures, and one file per asset sold in the demo sales: three live
        # lots, two upcoming, one sold today and ten sold over the past months.
        files = EnforcementFile.objects.filter(court__code=code)
        assert files.filter(instrument_reference__startswith="DEMO-").count() == 12
        assert files.filter(instrument_reference__startswith="SALE-").count() == 6
        assert files.filter(instrument_reference__startswith="PAST-").count() == 10
        assets = SeizedAsset.objects.filter(court__code=code, lots__isnull=True)
        assert 18 <= assets.count() <= 22
        on_sale = SeizedAsset.objects.filter(court__code=code, lots__isnull=False).distinct()
        assert on_sale.count() == 16
        assert {"VEHICLE", "REAL_ESTATE"} <= set(assets.values_list("kind", flat=True))
        assert assets.filter(status="APPROVED_FOR_SALE").exists()
    assert AssetPhoto.objects.count() == 2 * SeizedAsset.objects.count()
    assert set(AgencyLetter.objects.values_list("status", flat=True)) == {
        "SENT",
        "ACKNOWLEDGED",
        "ANSWERED",
    }
    assert (
        AgencyLetter.objects.exclude(status="ANSWERED")
        .filter(due_on__lt=timezone.localdate())
        .exists()
    )
