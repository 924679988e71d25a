"""Two answers racing for one order, from real concurrent clients against the real server and
PostgreSQL: exactly one takes effect."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from enforcement.models import AgencyAnswer
from payments import ledger
from payments.models import AccountPurpose
from tests.agencies.helpers import issued_order, request_of, system

pytestmark = pytest.mark.django_db(transaction=True)


def bearer(base_url: str, agency_system: Any) -> str:
    response = httpx.post(
        f"{base_url}/api/oauth/token/",
        data={"grant_type": "client_credentials"},
        auth=(agency_system.client_id, agency_system.client_secret),
        trust_env=False,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def race(base_url: str, token: str, number: str, bodies: list[tuple[dict, str]]) -> list[Any]:
    """POST every (body, idempotency key) at the same moment; the responses in order."""
    barrier = threading.Barrier(len(bodies))
    results: list[Any] = [None] * len(bodies)

    def send(index: int, body: dict, key: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as client:
            barrier.wait()
            results[index] = client.post(
                f"/api/v2/requests/{number}/answers", json=body, headers=headers
            )

    threads = [
        threading.Thread(target=send, args=(index, body, key))
        for index, (body, key) in enumerate(bodies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def base_url(web_servers: Any) -> str:
    return str(web_servers["uvicorn"].base_url)


def test_two_different_answers_racing_for_one_order_one_wins(court, base_url):
    traffic = system("VEHICLE")
    order = issued_order(court, "VEHICLE", traffic.agency)
    number = request_of(order).number

    responses = race(
        base_url,
        bearer(base_url, traffic),
        number,
        [({"outcome": "BLOCKED"}, ""), ({"outcome": "NOTHING_FOUND"}, "")] * 2,
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    answer = AgencyAnswer.objects.get(order=order)
    order.refresh_from_db()
    assert order.status == ("EXECUTED" if answer.kind == "BLOCKED" else "NOT_EXECUTED")


def test_a_retried_transfer_racing_itself_books_the_funds_once(court, base_url):
    bank = system("BANK_FUNDS")
    order = issued_order(court, "BANK_FUNDS", bank.agency, claim_minor=900_000, costs_minor=0)
    number = request_of(order).number
    token = bearer(base_url, bank)
    frozen = {"outcome": "FROZEN", "accounts": [order.target_iban], "amount_minor": 900_000}
    assert race(base_url, token, number, [(frozen, "f-1")])[0].status_code == 201
    transfer = {"outcome": "TRANSFERRED", "amount_minor": 900_000, "reference": "TRF-RACE-1"}

    same_key = race(base_url, token, number, [(transfer, "t-1")] * 3)
    other_keys = race(base_url, token, number, [(transfer, "t-2"), (transfer, "t-3")])

    assert [r.status_code for r in same_key] == [201, 201, 201]
    assert len({r.json()["id"] for r in same_key}) == 1
    assert sorted(r.status_code for r in other_keys) == [409, 409]
    assert {r.json()["code"] for r in other_keys} == {"already_transferred"}
    assert AgencyAnswer.objects.filter(order=order, kind="TRANSFERRED").count() == 1
    custody = ledger.account(court=court, purpose=AccountPurpose.COURT_CUSTODY, currency="SAR")
    assert ledger.balance(custody).amount_minor == 900_000
