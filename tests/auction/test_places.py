"""Where a listed asset is, as the public may know it: a home's area rounded, never its exact
place unless staff chose to publish it; the map's tiles only from the configured server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from auction import places
from enforcement.models import SeizedAsset
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

LAT, LNG = Decimal("24.713552"), Decimal("46.675296")


def home(court, *, shown: str = "AREA") -> SeizedAsset:
    asset = factories.approved_asset(court)
    SeizedAsset.objects.filter(pk=asset.pk).update(
        kind="REAL_ESTATE",
        deed_number=f"D-{asset.pk}",
        plate="",
        title="Villa in Al Olaya",
        district="Al Olaya",
        city="Riyadh",
        latitude=LAT,
        longitude=LNG,
        public_location=shown,
    )
    asset.refresh_from_db()
    return asset


def test_a_home_shows_only_its_area_rounded_on_the_lot_page_and_in_the_catalog(client, court):
    lot = factories.lot(court, asset=home(court))

    page = client.get(f"/lots/{lot.pk}/").content.decode()
    catalog = client.get("/auctions/").content.decode()

    for html in (page, catalog):
        assert "24.713552" not in html
        assert "46.675296" not in html
        assert "24.71" in html
        assert "46.68" in html
    points = json.loads(page.split('id="lot-places" type="application/json">')[1].split("<")[0])
    assert points == [
        {
            "lot": lot.pk,
            "title": "Villa in Al Olaya",
            "lat": 24.71,
            "lng": 46.68,
            "exact": False,
            "where": "Al Olaya · Riyadh",
            "url": f"/lots/{lot.pk}/",
            "radius": places.AREA_RADIUS_M,
        }
    ]
    assert "area only" in page


def test_the_exact_place_only_when_staff_chose_it_and_nothing_when_hidden(client, court):
    exact = factories.lot(court, asset=home(court, shown="EXACT"))
    hidden = factories.lot(court, asset=home(court, shown="HIDDEN"))

    exact_page = client.get(f"/lots/{exact.pk}/").content.decode()
    hidden_page = client.get(f"/lots/{hidden.pk}/").content.decode()

    assert "24.713552" in exact_page
    assert "exact place" in exact_page
    assert "24.71" not in hidden_page
    assert 'id="lot-places"' not in hidden_page
    assert "leaflet" not in hidden_page  # no map, no map script


def test_no_tiles_are_named_unless_a_tile_server_is_set(client, court):
    lot = factories.lot(court, asset=home(court))

    page = client.get(f"/lots/{lot.pk}/").content.decode()

    assert django_settings.MAP_TILE_URL == ""
    assert 'data-tiles=""' in page
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "unpkg" not in page
    assert "openstreetmap" not in page


def test_a_tile_server_is_admitted_by_the_image_policy():
    env = {
        **os.environ,
        "MAP_TILE_URL": "https://{s}.tiles.court.example/{z}/{x}/{y}.png",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
    }
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=django_settings.BASE_DIR,
    )

    assert "https://*.tiles.court.example" in out.stdout


def test_staff_choose_what_the_map_shows_and_a_bad_choice_is_refused(client, court):
    asset = home(court)
    # Chosen with the description, before a supervisor approves the sale (then it is fixed).
    SeizedAsset.objects.filter(pk=asset.pk).update(
        status="SEIZED", approved_by=None, approved_at=None
    )
    staff = make_user("EXECUTION_STAFF", court=court)
    client.force_login(staff)
    url = reverse("enforcement:asset_edit", args=[asset.pk])
    form = client.get(url).content.decode()
    data = {
        "kind": "REAL_ESTATE",
        "title": "Villa in Al Olaya",
        "deed_number": asset.deed_number,
        "city": "Riyadh",
        "latitude": "24.713552",
        "longitude": "46.675296",
        "occupancy": "VACANT",
    }

    bad = client.post(url, {**data, "public_location": "STREET"})
    asset.refresh_from_db()
    unchanged = asset.public_location
    good = client.post(url, {**data, "public_location": "EXACT"})
    asset.refresh_from_db()

    assert 'name="public_location"' in form
    assert good.status_code == 302, good.context["form"].errors
    assert bad.status_code == 400
    assert "public_location" in bad.context["form"].errors
    assert unchanged == "AREA"
    assert good.status_code == 302
    assert asset.public_location == "EXACT"
