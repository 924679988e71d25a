"""WebSockets through two real server processes (daphne and uvicorn) sharing one Redis."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import make_user
from tests.harness.aio import run
from tests.harness.http import cookie_header, logged_in_client, post_form

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


async def receive_json(socket, timeout: float = 10.0) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


def test_an_announcement_published_through_daphne_reaches_a_socket_on_uvicorn(web_servers, court):
    daphne, uvicorn = web_servers["daphne"], web_servers["uvicorn"]
    supervisor = make_user("SUPERVISOR", court=court)
    http = logged_in_client(daphne.base_url, supervisor.email)
    now = timezone.localtime()

    async def scenario() -> dict:
        async with connect(f"{uvicorn.ws_url}/ws/me/", origin=uvicorn.base_url) as socket:
            await socket.send(json.dumps({"type": "ping"}))
            assert (await receive_json(socket))["type"] == "pong"  # subscribed before publishing
            response = await asyncio.to_thread(
                post_form,
                http,
                "/workspace/announce/",
                {
                    "text_ar": "صيانة مجدولة الليلة",
                    "text_en": "Maintenance tonight",
                    "starts_at": (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
                    "ends_at": (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                },
            )
            assert response.status_code == 302, response.text[:1000]
            return await receive_json(socket)

    frame = run(scenario)

    assert frame["type"] == "announcement"
    assert frame["text_en"] == "Maintenance tonight"


def test_logging_out_on_daphne_closes_the_users_socket_on_uvicorn(web_servers):
    daphne, uvicorn = web_servers["daphne"], web_servers["uvicorn"]
    bidder = make_user("BIDDER", verified=True)
    http = logged_in_client(daphne.base_url, bidder.email)
    headers = {"Cookie": cookie_header(http)}

    async def scenario() -> tuple[dict, int | None]:
        async with connect(
            f"{uvicorn.ws_url}/ws/me/", origin=uvicorn.base_url, additional_headers=headers
        ) as socket:
            await socket.send(json.dumps({"type": "ping"}))
            await receive_json(socket)
            page = await asyncio.to_thread(http.get, "/")
            token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
            await asyncio.to_thread(
                http.post,
                "/accounts/logout/",
                data={"csrfmiddlewaretoken": token},
                headers={"Referer": f"{daphne.base_url}/"},
            )
            frame = await receive_json(socket)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(socket.recv(), 10)
            return frame, socket.close_code

    frame, code = run(scenario)

    assert frame == {"type": "session_ended", "reason": "logged_out"}
    assert code == 4001


@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_a_socket_from_a_foreign_or_missing_origin_is_refused(web_servers, kind, origin):
    server = web_servers[kind]

    async def scenario() -> None:
        async with connect(f"{server.ws_url}/ws/me/", origin=origin):
            pass

    with pytest.raises((InvalidStatus, ConnectionClosed)):
        run(scenario)


@pytest.mark.parametrize("kind", ["daphne", "uvicorn"])
def test_a_socket_from_the_sites_own_origin_is_accepted(web_servers, kind):
    server = web_servers[kind]

    async def scenario() -> dict:
        async with connect(f"{server.ws_url}/ws/me/", origin=server.base_url) as socket:
            await socket.send(json.dumps({"type": "ping"}))
            return await receive_json(socket)

    assert run(scenario) == {"type": "pong"}


def test_a_socket_open_longer_than_the_group_expiry_still_receives(settings):
    """With a 2 s group expiry, a socket idle for 6 s still gets an announcement (C4).

    Also guards the Redis socket timeout: with redis-py's default of 5 s the consumer's
    blocking read would fail after 5 idle seconds.
    """
    from channels.layers import channel_layers, get_channel_layer
    from channels.testing import WebsocketCommunicator

    from config.asgi import application
    from core.live.users import ANNOUNCEMENTS_GROUP

    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (make test sets it)")
    layer = settings.CHANNEL_LAYERS["default"]
    settings.CHANNEL_LAYERS = {
        "default": {
            **layer,
            "CONFIG": {**layer["CONFIG"], "group_expiry": 2, "prefix": "c4-test"},
        }
    }
    channel_layers.backends.clear()

    async def scenario() -> dict:
        communicator = WebsocketCommunicator(
            application,
            "/ws/me/",
            headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
        )
        connected, _ = await communicator.connect()
        assert connected
        await asyncio.sleep(6)
        await get_channel_layer().group_send(
            ANNOUNCEMENTS_GROUP,
            {"type": "site.announcement", "id": 1, "text_ar": "أ", "text_en": "a"},
        )
        frame = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return frame

    try:
        frame = run(scenario)
    finally:
        channel_layers.backends.clear()

    assert frame["type"] == "announcement"
