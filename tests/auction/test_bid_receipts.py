"""Signed receipts of accepted bids: issued on the bidder's request, after the bid's commit,
the same PDF as every receipt, verified on the same page; the bid's path is untouched."""

from __future__ import annotations

import io
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from auction.bidding import decide as bidding
from auction.models import Bid
from auction.services import receipts as bid_receipts
from core import receipts
from core.errors import NotFound
from core.models import Receipt
from tests.auction import factories
from tests.conftest import make_user


@pytest.mark.django_db
def test_the_bidder_downloads_a_receipt_of_their_bid_and_anyone_can_verify_it(court):
    lot = factories.lot(court, opening_minor=1_000)
    mine = factories.registered_bidder(lot)
    assert bidding.place_bid(lot_id=lot.pk, user_id=mine.bidder_id, amount_minor=1_500).accepted
    assert not Receipt.objects.exists()  # the bid's path issued nothing
    client = Client()
    client.force_login(mine.bidder)
    page = client.get(f"/lots/{lot.pk}/").content.decode()
    assert reverse("auction:bid_receipt", args=[lot.pk, 1]) in page

    response = client.post(reverse("auction:bid_receipt", args=[lot.pk, 1]))

    receipt = Receipt.objects.get(kind=Receipt.Kind.BID)
    assert response.status_code == 302
    assert response["Location"] == reverse("receipt_pdf", args=[receipt.number])
    assert receipt.issued_to_id == mine.bidder_id
    assert receipt.number.startswith("RYC-BID-")
    values = [line["value"]["en"] for line in receipt.content["lines"]]
    assert str(mine.paddle) in values
    assert "1" in values  # the sequence number
    assert any(lot.reference in value for value in values)
    pdf = client.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert receipt.number in text
    verify = Client().get(
        reverse("receipt_verify", args=[receipt.number]), {"h": receipt.content_hash}
    )
    assert verify.status_code == 200
    assert "Genuine." in verify.content.decode()
    assert receipts.is_intact(receipt)

    again = client.post(reverse("auction:bid_receipt", args=[lot.pk, 1]))
    assert again["Location"] == response["Location"]  # the same receipt, never a second
    assert Receipt.objects.filter(kind=Receipt.Kind.BID).count() == 1


@pytest.mark.django_db
def test_a_receipt_is_only_for_the_bidders_own_bid_and_not_for_an_annulled_one(court):
    lot = factories.lot(court, opening_minor=1_000)
    mine, other = factories.registered_bidder(lot), factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=mine.bidder_id, amount_minor=1_000)
    bidding.place_bid(lot_id=lot.pk, user_id=other.bidder_id, amount_minor=1_200)
    Bid.objects.filter(lot=lot, seq=2).update(is_annulled=True, annulled_reason="error")
    client = Client()
    client.force_login(other.bidder)

    assert client.post(reverse("auction:bid_receipt", args=[lot.pk, 1])).status_code == 404
    assert client.post(reverse("auction:bid_receipt", args=[lot.pk, 2])).status_code == 404
    assert client.post(reverse("auction:bid_receipt", args=[lot.pk, 99])).status_code == 404
    assert client.get(reverse("auction:bid_receipt", args=[lot.pk, 2])).status_code == 405
    anonymous = Client().post(reverse("auction:bid_receipt", args=[lot.pk, 1]))
    assert anonymous.status_code == 302
    assert not Receipt.objects.exists()
    with pytest.raises(NotFound):
        bid_receipts.bid_receipt(user=make_user(), lot_id=lot.pk, seq=1)


@pytest.mark.django_db
def test_the_bid_path_costs_the_same_round_trips_with_receipts(court):
    """Receipts are issued on request, so deciding a bid sends exactly the statements it
    sent before them: nothing of the receipts' tables is read or written."""
    lot = factories.lot(court, opening_minor=1_000)
    mine = factories.registered_bidder(lot)

    with CaptureQueriesContext(connection) as queries:
        assert bidding.place_bid(lot_id=lot.pk, user_id=mine.bidder_id, amount_minor=1_000).accepted

    assert not any("core_receipt" in q["sql"] for q in queries.captured_queries)
    assert not any("core_counter" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_issue_one_receipt(court):
    lot = factories.lot(court, opening_minor=1_000)
    mine = factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=mine.bidder_id, amount_minor=1_000)
    barrier = threading.Barrier(4)
    numbers: list[str] = []

    def ask() -> None:
        try:
            barrier.wait()
            numbers.append(bid_receipts.bid_receipt(user=mine.bidder, lot_id=lot.pk, seq=1).number)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(numbers)) == 1
    assert len(numbers) == 4
    assert Receipt.objects.filter(kind=Receipt.Kind.BID).count() == 1
