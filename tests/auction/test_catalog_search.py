"""The catalog's search on PostgreSQL: stems in Arabic and English, near plates, hostile input."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from auction import catalog
from enforcement.models import SeizedAsset
from tests.auction import factories

pytestmark = pytest.mark.django_db


def _lot_with(court: Any, **asset_fields: Any) -> Any:
    asset = factories.approved_asset(court)
    SeizedAsset.objects.filter(pk=asset.pk).update(**asset_fields)
    return factories.lot(court, asset=asset)


def _found(client: Any, query: str, **more: str) -> list[int]:
    response = client.get(reverse("auction:catalog"), {"q": query, **more})
    assert response.status_code == 200
    return [lot.pk for lot in response.context["page"].rows]


def test_an_arabic_plural_finds_the_singular_and_the_article_is_ignored(client, court):
    car = _lot_with(court, title="سيارة تويوتا لاند كروزر", make="تويوتا")
    flat = _lot_with(
        court, kind="REAL_ESTATE", title="شقة في حي النرجس", plate="", deed_number="5501"
    )

    assert _found(client, "سيارات") == [car.pk]
    assert _found(client, "السيارة") == [car.pk]
    assert _found(client, "شقة") == [flat.pk]


def test_an_english_query_is_stemmed(client, court):
    trucks = _lot_with(court, title="Two trucks with trailers", make="Volvo")
    _lot_with(court, title="Villa with garden")

    assert _found(client, "truck") == [trucks.pk]
    assert _found(client, "trailer") == [trucks.pk]


def test_a_plate_with_one_wrong_character_is_found_first(client, court):
    wanted = _lot_with(court, plate="KSA 4821")
    for n in range(6):
        _lot_with(court, plate=f"XYZ {n}{n}90")

    found = _found(client, "KSA 4824")

    assert found[0] == wanted.pk


def test_a_vin_and_a_deed_number_with_one_wrong_character_are_found(client, court):
    truck = _lot_with(court, vin="JTMHV05J604123456")
    land = _lot_with(court, kind="REAL_ESTATE", deed_number="310118004567", plate="")

    assert _found(client, "JTMHV05J604123457")[0] == truck.pk
    assert _found(client, "310118004568")[0] == land.pk


def test_a_query_mixing_arabic_and_english_finds_the_lot_with_both(client, court):
    both = _lot_with(court, title="سيارة Land Cruiser", make="Toyota")
    _lot_with(court, title="سيارة نيسان باترول", make="Nissan")
    _lot_with(court, title="Land for sale", make="")

    assert _found(client, "سيارات cruiser") == [both.pk]


@pytest.mark.parametrize(
    "query",
    [
        "'",
        '"unbalanced',
        "a & b | !c",
        "toyota:* & (land | !cruiser)",
        "<->",
        "()!!&&||::**",
        "\\",
        "%_%",
        "' OR 1=1 --",
        "سيارة' ; DROP TABLE auction_lot; --",
        "x" * 5000,
        "تويوتا " * 400,
        "\x00null\x01",
    ],
)
def test_hostile_queries_answer_a_page_never_an_error(client, court, query):
    lot = _lot_with(court, title="Toyota Land Cruiser 2020", plate="QWQ 9")

    response = client.get(reverse("auction:catalog"), {"q": query})

    assert response.status_code == 200
    assert lot.pk not in [row.pk for row in response.context["page"].rows] or (
        "toyota" in query.lower() or "تويوتا" in query
    )


def test_a_search_combines_with_the_filters(client, court):
    car = _lot_with(court, title="Toyota Hilux")
    _lot_with(court, title="Toyota Hilux", kind="MOVABLE")

    assert _found(client, "hilux", kind="VEHICLE") == [car.pk]


def test_an_auction_number_is_found_as_a_substring(client, court):
    lot = _lot_with(court, title="Generator")

    assert _found(client, lot.auction.number[-6:]) == [lot.pk]


def _plan(queryset: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            return str(queryset.explain())
        finally:
            cursor.execute("SET enable_seqscan = on")


def test_the_search_reads_the_text_and_trigram_indexes(court):
    _lot_with(court, title="Toyota")
    filters = catalog.Filters(q="KSA 4824", sort="relevance")

    plan = _plan(catalog.search(filters, now=timezone.now()))

    assert "enforcement_seizedasset_search" in plan
    assert "enforcement_seizedasset_plate_trgm" in plan
    assert "enforcement_seizedasset_vin_trgm" in plan
