"""Receipts: numbered, hashed, printed as a PDF whose QR code opens the verification page."""

from __future__ import annotations

import io
import re
import threading

import pytest
from django.db import connections, transaction
from django.urls import reverse
from pypdf import PdfReader

from core import receipts
from core.models import Receipt
from core.money import Money
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


PAID = Money(125_000, "SAR")


def issue_one(user, court, amount=PAID):
    with transaction.atomic():
        return receipts.issue(
            kind=Receipt.Kind.PAYMENT,
            title="Payment received",
            subject=user,
            court=court,
            issued_to=user,
            lines=[receipts.Line("Amount", amount), receipts.Line("Paid by", user.full_name)],
        )


def test_receipts_are_numbered_per_court_kind_and_year_without_gaps(court):
    user = make_user()

    first, second = issue_one(user, court), issue_one(user, court)

    year = first.issued_at.year
    assert first.number == f"RYC-PAY-{year}-000001"
    assert second.number == f"RYC-PAY-{year}-000002"


def test_the_content_is_frozen_in_both_languages_and_hashed(court):
    receipt = issue_one(make_user(), court)

    line = receipt.content["lines"][0]
    assert line["value"]["en"] == "SAR\xa01,250.00"
    assert "ر.س" in line["value"]["ar"]
    assert receipts.is_intact(receipt)


def test_the_pdf_opens_and_its_qr_address_resolves_to_the_verification_page(client, court):
    user = make_user()
    receipt = issue_one(user, court)
    client.force_login(user)

    response = client.get(reverse("receipt_pdf", args=[receipt.number]))

    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert receipt.number in text
    assert receipt.content_hash in text.replace("\n", "")
    url = receipts.verification_url(receipt)
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200
    assert "Genuine." in page.content.decode()


def test_a_tampered_hash_is_reported_as_not_matching(client, court):
    receipt = issue_one(make_user(), court)
    forged = ("0" if receipt.content_hash[0] != "0" else "1") + receipt.content_hash[1:]

    page = client.get(reverse("receipt_verify", args=[receipt.number]), {"h": forged})

    assert "Does not match." in page.content.decode()
    assert "Genuine." not in page.content.decode()


def test_an_unknown_number_is_reported(client):
    page = client.get(reverse("receipt_verify", args=["RYC-PAY-2026-999999"]), {"h": "ab"})

    assert page.status_code == 404
    assert "No receipt has this number." in page.content.decode()


def test_altered_stored_content_no_longer_verifies(client, court):
    receipt = issue_one(make_user(), court)
    Receipt.objects.filter(pk=receipt.pk).update(content={"lines": []})

    page = client.get(reverse("receipt_verify", args=[receipt.number]), {"h": receipt.content_hash})

    assert "Does not match." in page.content.decode()


def test_only_the_owner_and_staff_of_the_court_can_download_the_pdf(client, court, other_court):
    owner = make_user()
    receipt = issue_one(owner, court)
    url = reverse("receipt_pdf", args=[receipt.number])

    client.force_login(make_user())
    assert client.get(url).status_code == 404
    client.force_login(make_user("EXECUTION_STAFF", court=other_court))
    assert client.get(url).status_code == 404
    client.force_login(make_user("FINANCE_STAFF", court=court))
    assert client.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuers_never_share_or_skip_a_number(court):
    user = make_user()
    barrier = threading.Barrier(8)
    numbers: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            numbers.append(issue_one(user, court).number)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sequence = sorted(int(re.search(r"(\d+)$", n).group(1)) for n in numbers)
    assert sequence == list(range(1, 9))
