"""The lot socket through real web processes (uvicorn and daphne) with a real WebSocket client."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from auction.bidding import decide as bidding
from auction.models import Bid, Lot
from tests.auction import factories
from tests.harness.aio import in_thread, run
from tests.harness.http import cookie_header, logged_in_client

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


def socket_url(server, lot) -> str:
    return f"{server.ws_url}/ws/lots/{lot.pk}/"


def headers_for(server, registration) -> dict[str, str]:
    client = logged_in_client(server.base_url, registration.bidder.email)
    return {"Cookie": cookie_header(client)}


async def receive(socket, timeout: float = 10.0) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def receive_until(socket, predicate, timeout: float = 10.0) -> dict:
    while True:
        frame = await receive(socket, timeout)
        for item in frame["events"] if frame.get("type") == "batch" else [frame]:
            if predicate(item):
                return item


def flatten(frames: list[dict]) -> list[dict]:
    out = []
    for frame in frames:
        out.extend(frame["events"] if frame.get("type") == "batch" else [frame])
    return out


@pytest.fixture
def live_lot(court):
    lot = factories.lot(court, opening_minor=1_000)
    return lot, factories.registered_bidder(lot), factories.registered_bidder(lot)


def test_the_snapshot_tells_the_state_the_last_bids_and_the_bidders_own_standing(
    web_servers, live_lot
):
    lot, first, _second = live_lot
    bidding.place_bid(lot_id=lot.pk, user_id=first.bidder_id, amount_minor=1_000)
    server = web_servers["uvicorn"]

    async def scenario():
        async with connect(
            socket_url(server, lot),
            origin=server.base_url,
            additional_headers=headers_for(server, first),
        ) as socket:
            return await receive(socket)

    snapshot = run(scenario)

    assert snapshot["type"] == "snapshot"
    assert (snapshot["seq"], snapshot["status"], snapshot["price_minor"]) == (1, "OPEN", 1_000)
    assert snapshot["next_minimum_minor"] == 1_100
    assert snapshot["bids"] == [
        {
            "seq": 1,
            "paddle": first.paddle,
            "amount_minor": 1_000,
            "source": "MANUAL",
            "received_at": snapshot["bids"][0]["received_at"],
        }
    ]
    assert snapshot["you"]["paddle"] == first.paddle
    assert snapshot["you"]["is_leading"] is True
    assert "server_time" in snapshot
    assert first.bidder.full_name not in json.dumps(snapshot), "bidders appear only by paddle"


def test_a_bid_is_answered_once_and_every_watcher_sees_it_with_its_sequence_number(
    web_servers, live_lot
):
    lot, first, _second = live_lot
    server = web_servers["uvicorn"]

    async def scenario():
        async with (
            connect(socket_url(server, lot), origin=server.base_url) as watcher,
            connect(
                socket_url(server, lot),
                origin=server.base_url,
                additional_headers=headers_for(server, first),
            ) as bidder,
        ):
            await receive(watcher)
            await receive(bidder)
            await bidder.send(
                json.dumps({"type": "bid", "amount_minor": 1_000, "client_id": "b-1"})
            )
            result = await receive_until(bidder, lambda f: f["type"] == "bid_result")
            await bidder.send(
                json.dumps({"type": "bid", "amount_minor": 1_050, "client_id": "b-2"})
            )
            refused = await receive_until(bidder, lambda f: f["type"] == "bid_result")
            seen = await receive_until(watcher, lambda f: f["type"] == "bid_accepted")
            return result, refused, seen

    result, refused, seen = run(scenario)

    assert result["accepted"] is True
    assert (result["seq"], result["amount_minor"], result["client_id"]) == (1, 1_000, "b-1")
    assert refused["accepted"] is False
    assert refused["error"]["code"] == "already_leading"
    assert (seen["seq"], seen["amount_minor"], seen["paddle"]) == (1, 1_000, first.paddle)
    assert Bid.objects.filter(lot=lot).count() == 1


BAD_MESSAGES = [
    ("not json", "invalid_json", None),
    ("[1, 2]", "invalid_message", None),
    ('{"type": "shout"}', "invalid_message", "type"),
    ('{"amount_minor": 1000}', "invalid_message", "type"),
    (
        '{"type": "bid", "amount_minor": 1000.5, "client_id": "x"}',
        "invalid_message",
        "amount_minor",
    ),
    (
        '{"type": "bid", "amount_minor": "1000", "client_id": "x"}',
        "invalid_message",
        "amount_minor",
    ),
    ('{"type": "bid", "amount_minor": -5, "client_id": "x"}', "invalid_message", "amount_minor"),
    ('{"type": "bid", "amount_minor": 1e30, "client_id": "x"}', "invalid_message", "amount_minor"),
    ('{"type": "bid", "amount_minor": 1000}', "invalid_message", "client_id"),
    (
        '{"type": "bid", "amount_minor": 1000, "client_id": "x", "paddle": 1}',
        "invalid_message",
        "paddle",
    ),
    (
        '{"type": "bid", "amount_minor": 1000, "client_id": "bad id!"}',
        "invalid_message",
        "client_id",
    ),
    ('{"type": "resume", "seq": -1}', "invalid_message", "seq"),
    ('{"type": "auto_bid", "maximum_minor": true}', "invalid_message", "maximum_minor"),
    # Python 3.11 and 3.12's decoder gives up on nesting this deep (invalid JSON); 3.13's
    # reads it, and a list is then not a message. Either way: refused, naming no field.
    (
        "[" * 1000 + "]" * 1000,
        "invalid_json" if sys.version_info < (3, 13) else "invalid_message",
        None,
    ),
]


@pytest.mark.parametrize(("text", "code", "field"), BAD_MESSAGES)
def test_every_bad_message_gets_a_clear_error_and_changes_nothing(
    web_servers, live_lot, text, code, field
):
    lot, first, _second = live_lot
    server = web_servers["uvicorn"]
    before = Lot.objects.values("seq", "price_minor").get(pk=lot.pk)

    async def scenario():
        async with connect(
            socket_url(server, lot),
            origin=server.base_url,
            additional_headers=headers_for(server, first),
        ) as socket:
            await receive(socket)
            await socket.send(text)
            return await receive(socket)

    frame = run(scenario)

    assert frame["type"] == "error"
    assert frame["error"]["code"] == code
    assert frame["error"]["field"] == field
    assert frame["error"]["message"]
    assert Lot.objects.values("seq", "price_minor").get(pk=lot.pk) == before
    assert not Bid.objects.filter(lot=lot).exists()


@pytest.mark.parametrize("kind", ["uvicorn", "daphne"])
def test_an_oversized_or_binary_frame_closes_the_socket_with_4009(web_servers, live_lot, kind):
    lot, _first, _second = live_lot
    server = web_servers[kind]

    async def scenario(payload):
        async with connect(socket_url(server, lot), origin=server.base_url) as socket:
            await receive(socket)
            await socket.send(payload)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 10)
            return socket.close_code

    assert run(lambda: scenario("x" * 3000)) == 4009
    assert run(lambda: scenario(b"\x00\x01")) == 4009


@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
def test_a_frame_of_a_thousand_emoji_is_measured_in_bytes_and_closes_the_socket(
    web_servers, live_lot, kind
):
    lot, _first, _second = live_lot
    server = web_servers[kind]
    before = Lot.objects.values("seq", "price_minor", "bid_count").get(pk=lot.pk)
    # About 1,020 characters (under the limit if it counted characters) but over 4,000 bytes.
    frame = json.dumps({"type": "ping", "note": "\U0001f600" * 1000}, ensure_ascii=False)
    assert len(frame) < 2048 < len(frame.encode())

    async def scenario():
        async with connect(socket_url(server, lot), origin=server.base_url) as socket:
            await receive(socket)
            await socket.send(frame)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 10)
            return socket.close_code

    assert run(scenario) == 4009
    assert Lot.objects.values("seq", "price_minor", "bid_count").get(pk=lot.pk) == before


def test_an_anonymous_watcher_cannot_bid(web_servers, live_lot):
    lot, _first, _second = live_lot
    server = web_servers["daphne"]

    async def scenario():
        async with connect(socket_url(server, lot), origin=server.base_url) as socket:
            snapshot = await receive(socket)
            await socket.send(
                json.dumps({"type": "bid", "amount_minor": 1_000, "client_id": "anon"})
            )
            return snapshot, await receive_until(socket, lambda f: f["type"] == "bid_result")

    snapshot, result = run(scenario)

    assert snapshot["you"] is None
    assert result["accepted"] is False
    assert result["error"]["code"] == "not_registered"
    assert not Bid.objects.filter(lot=lot).exists()


def test_a_socket_from_another_origin_is_refused(web_servers, live_lot):
    lot, _first, _second = live_lot
    server = web_servers["uvicorn"]

    async def scenario():
        async with connect(socket_url(server, lot), origin="https://evil.example"):
            pass

    with pytest.raises((InvalidStatus, ConnectionClosed)):
        run(scenario)


def test_resume_after_a_disconnect_in_a_burst_yields_exactly_the_missed_bids(web_servers, live_lot):
    lot, first, second = live_lot
    server = web_servers["uvicorn"]
    for index in range(5):
        bidder = first if index % 2 == 0 else second
        bidding.place_bid(lot_id=lot.pk, user_id=bidder.bidder_id, amount_minor=1_000 + 100 * index)

    async def scenario():
        async with connect(socket_url(server, lot), origin=server.base_url) as socket:
            last_seen = (await receive(socket))["seq"]
        # While the page is away, the burst goes on.
        for index in range(5, 25):
            bidder = first if index % 2 == 0 else second
            await in_thread(
                bidding.place_bid,
                lot_id=lot.pk,
                user_id=bidder.bidder_id,
                amount_minor=1_000 + 100 * index,
            )
        async with connect(socket_url(server, lot), origin=server.base_url) as socket:
            await receive(socket)
            await socket.send(json.dumps({"type": "resume", "seq": last_seen}))
            replay = await receive_until(socket, lambda f: f["type"] == "replay")
        return last_seen, replay

    last_seen, replay = run(scenario)

    assert last_seen == 5
    assert [e["seq"] for e in replay["events"]] == list(range(6, 26))
    assert [e["amount_minor"] for e in replay["events"]] == [1_000 + 100 * i for i in range(5, 25)]
    assert replay["seq"] == 25
    assert replay["state"]["price_minor"] == 3_400


def test_a_resume_from_too_far_back_gets_a_fresh_snapshot(web_servers, live_lot):
    lot, _first, _second = live_lot
    server = web_servers["uvicorn"]

    async def scenario():
        async with connect(socket_url(server, lot), origin=server.base_url) as socket:
            await receive(socket)
            await socket.send(json.dumps({"type": "resume", "seq": 999}))
            return await receive(socket)

    frame = run(scenario)

    assert frame["type"] == "snapshot"
    assert frame["reason"] == "resume_too_old"


def test_watchers_on_two_processes_receive_identical_event_sequences(web_servers, live_lot):
    lot, first, second = live_lot
    daphne, uvicorn = web_servers["daphne"], web_servers["uvicorn"]
    bids = 16  # within each bidder's burst allowance (10 quick bids each)

    async def scenario():
        watchers = []
        for index in range(6):
            server = daphne if index % 2 else uvicorn
            socket = await connect(socket_url(server, lot), origin=server.base_url)
            await receive(socket)
            watchers.append(socket)
        bidders = [
            await connect(
                socket_url(uvicorn, lot),
                origin=uvicorn.base_url,
                additional_headers=headers_for(uvicorn, first),
            ),
            await connect(
                socket_url(daphne, lot),
                origin=daphne.base_url,
                additional_headers=headers_for(daphne, second),
            ),
        ]
        for socket in bidders:
            await receive(socket)
        for index in range(bids):
            socket = bidders[index % 2]
            await socket.send(
                json.dumps(
                    {
                        "type": "bid",
                        "amount_minor": 1_000 + 100 * index,
                        "client_id": uuid.uuid4().hex,
                    }
                )
            )
            result = await receive_until(socket, lambda f: f["type"] == "bid_result")
            assert result["accepted"], result
        sequences = []
        for socket in watchers:
            seen = []
            try:
                while len(seen) < bids:
                    frame = await receive(socket)
                    seen += [e["seq"] for e in flatten([frame]) if e["type"] == "bid_accepted"]
            except TimeoutError:
                break
            sequences.append(sorted(set(seen)))
        for socket in watchers + bidders:
            await socket.close()
        return sequences

    sequences = run(scenario)

    assert all(sequence == list(range(1, bids + 1)) for sequence in sequences)
    assert Lot.objects.get(pk=lot.pk).seq == bids


def test_a_flooding_bidder_is_rate_limited_without_harming_the_others(web_servers, live_lot):
    lot, first, second = live_lot
    server = web_servers["uvicorn"]

    async def scenario():
        async with (
            connect(
                socket_url(server, lot),
                origin=server.base_url,
                additional_headers=headers_for(server, first),
            ) as flooder,
            connect(
                socket_url(server, lot),
                origin=server.base_url,
                additional_headers=headers_for(server, second),
            ) as honest,
        ):
            await receive(flooder)
            await receive(honest)
            codes = []
            for index in range(25):
                await flooder.send(
                    json.dumps(
                        {
                            "type": "bid",
                            "amount_minor": 1_000 + 1_000 * index,
                            "client_id": f"flood-{index}",
                        }
                    )
                )
                result = await receive_until(
                    flooder, lambda f: f["type"] in ("bid_result", "error")
                )
                codes.append(
                    result.get("error", {}).get("code")
                    if not result.get("accepted")
                    else "accepted"
                )
            await honest.send(
                json.dumps({"type": "bid", "amount_minor": 900_000, "client_id": "honest"})
            )
            honest_result = await receive_until(honest, lambda f: f["type"] == "bid_result")
            return codes, honest_result

    codes, honest_result = run(scenario)

    assert "rate_limited" in codes
    assert codes.count("accepted") <= 11
    assert honest_result["accepted"] is True


def test_logging_out_closes_the_users_lot_sockets_at_once(web_servers, live_lot):
    lot, first, _second = live_lot
    daphne, uvicorn = web_servers["daphne"], web_servers["uvicorn"]
    client = logged_in_client(daphne.base_url, first.bidder.email)

    async def scenario():
        async with connect(
            socket_url(uvicorn, lot),
            origin=uvicorn.base_url,
            additional_headers={"Cookie": cookie_header(client)},
        ) as socket:
            await receive(socket)
            page = await asyncio.to_thread(client.get, "/")
            token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
            await asyncio.to_thread(
                client.post,
                "/accounts/logout/",
                data={"csrfmiddlewaretoken": token},
                headers={"Referer": f"{daphne.base_url}/"},
            )
            frame = await receive_until(socket, lambda f: f["type"] == "session_ended")
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 10)
            return frame, socket.close_code

    frame, code = run(scenario)

    assert frame["reason"] == "logged_out"
    assert code == 4001


@pytest.mark.parametrize("kind", ["uvicorn", "daphne"])
def test_a_notice_for_the_users_other_sockets_leaves_their_lot_socket_open(
    web_servers, live_lot, kind
):
    from auction import notifications
    from auction.models import Notification

    lot, first, second = live_lot
    server = web_servers[kind]
    client = logged_in_client(server.base_url, first.bidder.email)

    async def scenario():
        async with connect(
            socket_url(server, lot),
            origin=server.base_url,
            additional_headers={"Cookie": cookie_header(client)},
        ) as socket:
            await receive(socket)
            # Outbid: the clock pushes the notice to the bidder's page sockets, not to this one.
            await in_thread(
                bidding.place_bid, lot_id=lot.pk, user_id=first.bidder_id, amount_minor=1_000
            )
            await in_thread(
                bidding.place_bid, lot_id=lot.pk, user_id=second.bidder_id, amount_minor=1_100
            )
            delivered = await in_thread(notifications.deliver_pending, lot.ends_at)
            await socket.send(json.dumps({"type": "ping"}))
            pong = await receive_until(socket, lambda f: f["type"] == "pong")
            return delivered, pong

    delivered, pong = run(scenario)

    assert delivered >= 1
    assert Notification.objects.filter(user=first.bidder, kind=Notification.Kind.OUTBID).exists()
    assert pong["type"] == "pong"
