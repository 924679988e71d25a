"""Typed answers through the agencies API: what each does to the order, and what is refused."""

from __future__ import annotations

import pytest

from core.models import AuditRecord
from enforcement.models import AgencyAnswer
from tests.agencies.helpers import issued_order, request_of, system, token

pytestmark = pytest.mark.django_db


def post(client, bearer, path, body, **headers):
    return client.post(
        path,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer}",
        **headers,
    )


def test_a_bank_freezes_then_transfers_and_the_order_shows_both(client, court):
    bank = system("BANK_FUNDS")
    order = issued_order(court, "BANK_FUNDS", bank.agency, claim_minor=1_000_000, costs_minor=0)
    assert order.amount_ordered_minor == 1_000_000
    letter = request_of(order)
    assert letter.payload["action"] == "freeze_funds"
    bearer = token(client, bank)

    listed = client.get("/api/v2/requests", HTTP_AUTHORIZATION=f"Bearer {bearer}").json()
    assert [item["number"] for item in listed["items"]] == [letter.number]

    frozen = post(
        client,
        bearer,
        f"/api/v2/requests/{letter.number}/answers",
        {"outcome": "FROZEN", "accounts": [order.target_iban], "amount_minor": 600_000},
    )
    assert frozen.status_code == 201, frozen.content
    order.refresh_from_db()
    assert (order.status, order.amount_seized_minor) == ("EXECUTED", 600_000)

    transferred = post(
        client,
        bearer,
        f"/api/v2/requests/{letter.number}/answers",
        {"outcome": "TRANSFERRED", "amount_minor": 600_000, "reference": "TRF-2026-0001"},
    )
    assert transferred.status_code == 201, transferred.content
    order.refresh_from_db()
    assert order.amount_transferred_minor == 600_000
    assert AgencyAnswer.objects.filter(order=order).count() == 2
    assert AuditRecord.objects.filter(action="order.agency_executed").exists()
