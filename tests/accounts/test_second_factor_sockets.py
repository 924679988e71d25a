"""A session that has not proved its second factor gets an anonymous visitor's sockets.

Real web processes (uvicorn and daphne), real WebSocket clients, sessions made by the real
log-in page: after the password alone, court staff and a bidder who enrolled an authenticator
app get no personal notice on `ws/me/`, no `you` on the lot socket and no bid; once the code
is typed on the page, the same person's new sockets are their own.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from auction.models import Bid, Lot
from core.live import users
from tests.auction import factories
from tests.conftest import make_user
from tests.harness.aio import in_thread, run
from tests.harness.http import cookie_header, logged_in_client
from tests.harness.second_factor import prove_over_http

pytestmark = [
    pytest.mark.servers,
    pytest.mark.real_second_factor,
    pytest.mark.django_db(transaction=True),
]


async def receive(socket: Any, timeout: float = 10.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def answer_to(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = await receive(socket)
        for item in frame["events"] if frame.get("type") == "batch" else [frame]:
            if item["type"] == kind:
                return item


def password_only(server: Any, user: Any) -> httpx.Client:
    return logged_in_client(server.base_url, user.email, second_factor=False)


def prove(client: httpx.Client, user: Any) -> None:
    """Type the app's code on the page a signed-in page sends the session to."""
    held = client.get("/my-auctions/")
    assert held.status_code == 302
    assert held.headers["location"].startswith("/accounts/second-factor/")
    prove_over_http(client, user, held)
    assert client.get("/my-auctions/").status_code == 200


def bid_and_auto_bid(server: Any, lot: Lot, cookie: str, amount: int) -> tuple[Any, ...]:
    async def scenario() -> tuple[Any, ...]:
        async with connect(
            f"{server.ws_url}/ws/lots/{lot.pk}/",
            origin=server.base_url,
            additional_headers={"Cookie": cookie},
        ) as socket:
            snapshot = await receive(socket)
            await socket.send(
                json.dumps({"type": "bid", "amount_minor": amount, "client_id": f"b{amount}"})
            )
            bid = await answer_to(socket, "bid_result")
            await socket.send(json.dumps({"type": "auto_bid", "maximum_minor": amount * 3}))
            auto = await answer_to(socket, "auto_bid_result")
            return snapshot, bid, auto

    return run(scenario)


@pytest.mark.parametrize("kind", ["uvicorn", "daphne"])
def test_a_bidder_with_an_app_bids_on_the_socket_only_after_typing_its_code(
    web_servers, court, kind
):
    server = web_servers[kind]
    lot = factories.lot(court, opening_minor=1_000)
    registration = factories.registered_bidder(lot, second_factor=True, preferred_language="en")
    bidder = registration.bidder
    client = password_only(server, bidder)

    snapshot, refused, auto_refused = bid_and_auto_bid(server, lot, cookie_header(client), 1_000)

    assert snapshot["type"] == "snapshot"
    assert snapshot["you"] is None  # no registration, deposit or maximum of theirs is shown
    for answer in (refused, auto_refused):
        assert answer["accepted"] is False
        assert answer["error"]["code"] == "second_factor_required"
        assert "passkey or code" in answer["error"]["message"]
    assert not Bid.objects.filter(lot=lot).exists()
    assert Lot.objects.get(pk=lot.pk).seq == 0

    prove(client, bidder)
    snapshot, accepted, auto = bid_and_auto_bid(server, lot, cookie_header(client), 1_000)

    assert snapshot["you"]["paddle"] == registration.paddle
    assert accepted["accepted"] is True, accepted
    assert auto["type"] == "auto_bid_result"
    assert list(Bid.objects.filter(lot=lot).values_list("registration_id", "amount_minor")) == [
        (registration.pk, 1_000)
    ]


def test_staff_without_the_code_get_no_personal_notice_and_cannot_bid(web_servers, court):
    server = web_servers["uvicorn"]
    supervisor = make_user("SUPERVISOR", court=court)
    lot = factories.lot(court, opening_minor=1_000)
    factories.registered_bidder(lot)
    client = password_only(server, supervisor)

    def notices_then_announcement(cookie: str) -> list[dict[str, Any]]:
        """What `ws/me/` is told of a notice to the supervisor, then of an announcement.

        Both reach one socket through the same channel, in order: a socket in the
        supervisor's group gets the notice first, any other socket only the announcement.
        """

        async def scenario() -> list[dict[str, Any]]:
            async with connect(
                f"{server.ws_url}/ws/me/",
                origin=server.base_url,
                additional_headers={"Cookie": cookie},
            ) as socket:
                await socket.send(json.dumps({"type": "ping"}))
                assert await receive(socket) == {"type": "pong"}
                await in_thread(
                    users.push_notices,
                    [(supervisor.pk, {"text": "Ticket T-7: refund of a deposit", "url": "/"})],
                )
                await in_thread(
                    users.announce_after_commit, {"id": 9, "text_ar": "صيانة", "text_en": "Upkeep"}
                )
                told = [await receive(socket)]
                if told[0]["type"] != "announcement":
                    told.append(await receive(socket))
                return told

        return run(scenario)

    held = notices_then_announcement(cookie_header(client))
    _snapshot, refused, _auto = bid_and_auto_bid(server, lot, cookie_header(client), 1_000)

    assert [frame["type"] for frame in held] == ["announcement"]
    assert refused["error"]["code"] == "second_factor_required"
    assert not Bid.objects.filter(lot=lot).exists()

    prove(client, supervisor)
    proved = notices_then_announcement(cookie_header(client))

    assert [frame["type"] for frame in proved] == ["notification", "announcement"]
    assert proved[0]["text"] == "Ticket T-7: refund of a deposit"


def test_staff_who_have_not_enrolled_yet_get_an_anonymous_lot_socket(web_servers, court):
    server = web_servers["daphne"]
    staff = make_user("EXECUTION_STAFF", court=court, second_factor=False)
    lot = factories.lot(court, opening_minor=1_000)
    client = password_only(server, staff)
    assert client.get("/workspace/").headers["location"].startswith("/accounts/security/")

    snapshot, refused, _auto = bid_and_auto_bid(server, lot, cookie_header(client), 1_000)

    assert snapshot["you"] is None
    assert refused["error"]["code"] == "second_factor_required"


def test_a_bidder_without_a_factor_bids_after_the_password_alone(web_servers, court):
    server = web_servers["uvicorn"]
    lot = factories.lot(court, opening_minor=1_000)
    registration = factories.registered_bidder(lot)
    client = password_only(server, registration.bidder)

    snapshot, accepted, _auto = bid_and_auto_bid(server, lot, cookie_header(client), 1_000)

    assert snapshot["you"]["paddle"] == registration.paddle
    assert accepted["accepted"] is True
    assert Bid.objects.filter(lot=lot, registration=registration).count() == 1
