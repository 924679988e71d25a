"""Open records: each closed lot's bid record with its hash chain, and the results of all lots."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse

from auction import open_records
from auction.bidding import decide as bidding
from auction.models import Bid
from auction.services import lifecycle
from core import audit_chain
from tests.auction import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_lot(court):
    lot = factories.lot(court)
    first = factories.registered_bidder(lot, full_name="Hidden Person One")
    second = factories.registered_bidder(lot, full_name="Hidden Person Two")
    for amount, registration in ((1_000, first), (1_100, second), (1_300, first)):
        bidding.place_bid(lot_id=lot.pk, user_id=registration.bidder_id, amount_minor=amount)
    lifecycle.close_lot(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))
    audit_chain.link_pending()
    lot.refresh_from_db()
    return lot, first, second


def recompute(lot, rows) -> str:
    previous = hashlib.sha256(f"mazad-bid-record|{lot.reference}".encode()).hexdigest()
    for row in rows:
        text = "|".join(
            [
                previous,
                str(row["seq"]),
                str(row["paddle"]),
                str(row["amount_minor"]),
                row["currency"],
                row["received_at"],
                row["source"],
                "1" if row["annulled"] in (True, "True", "1") else "0",
            ]
        )
        previous = hashlib.sha256(text.encode()).hexdigest()
    return previous


def test_the_bid_record_is_downloadable_after_the_close_and_its_chain_recomputes(
    client, closed_lot
):
    lot, first, second = closed_lot

    data = client.get(reverse("auction:lot_record", args=[lot.pk, "json"])).json()
    text = client.get(reverse("auction:lot_record", args=[lot.pk, "csv"])).content.decode()

    assert [(b["seq"], b["paddle"], b["amount_minor"]) for b in data["bids"]] == [
        (1, first.paddle, 1_000),
        (2, second.paddle, 1_100),
        (3, first.paddle, 1_300),
    ]
    assert recompute(lot, data["bids"]) == data["record_hash"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert recompute(lot, rows) == data["record_hash"]
    assert data["closing_audit_hash"]
    assert "Hidden Person" not in json.dumps(data) + text


def test_a_changed_bid_changes_the_record_hash(closed_lot):
    lot, _first, _second = closed_lot
    before = open_records.bid_record(lot).record_hash

    Bid.objects.filter(lot=lot, seq=2).update(amount_minor=1_150)

    assert open_records.bid_record(lot).record_hash != before


def test_an_open_lot_has_no_public_record_yet(client, court):
    lot = factories.lot(court)

    assert client.get(reverse("auction:lot_record", args=[lot.pk, "json"])).status_code == 404
    assert client.get(reverse("auction:lot_record", args=[lot.pk, "xml"])).status_code == 404


def test_open_results_list_every_closed_lot_without_personal_data(client, closed_lot, court):
    lot, _first, _second = closed_lot
    unsold = factories.lot(court)
    lifecycle.close_lot(lot_id=unsold.pk, now=unsold.ends_at + timedelta(seconds=1))

    data = client.get(reverse("auction:open_results", args=["json"])).json()["results"]
    text = b"".join(
        client.get(reverse("auction:open_results", args=["csv"])).streaming_content
    ).decode()

    by_lot = {row["lot"]: row for row in data}
    assert by_lot[lot.reference]["final_price_minor"] == 1_300
    assert by_lot[lot.reference]["bids"] == 3
    assert by_lot[lot.reference]["bidders"] == 2
    assert by_lot[lot.reference]["outcome"] == "SOLD"
    assert by_lot[lot.reference]["appraisal_minor"] == 10_000_000
    assert by_lot[unsold.reference]["final_price_minor"] is None
    assert next(iter(csv.DictReader(io.StringIO(text)))).keys() == set(open_records.RESULT_FIELDS)
    assert "Hidden Person" not in text
    assert client.get(reverse("auction:open_data")).status_code == 200
