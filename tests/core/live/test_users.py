"""What apps tell people's open pages through core.live.users, on the real channel layer."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections, transaction

from config.asgi import application
from core.live import users
from tests.harness.aio import run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def listen(group: str) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def test_each_notice_reaches_its_own_users_pages_only():
    first, second = listen(users.user_group(101)), listen(users.user_group(102))
    layer = get_channel_layer()

    users.push_notices([(101, {"text": "one", "url": "/a/"}), (102, {"text": "two"})])

    assert async_to_sync(layer.receive)(first) == {
        "type": "user.notification",
        "payload": {"text": "one", "url": "/a/"},
    }
    assert async_to_sync(layer.receive)(second)["payload"] == {"text": "two"}


def test_an_announcement_leaves_after_commit_and_never_after_a_rollback(
    django_capture_on_commit_callbacks,
):
    def failing_change() -> None:
        with transaction.atomic():
            users.announce_after_commit({"id": 1, "text_ar": "أ", "text_en": "a"})
            raise RuntimeError("the change fails")

    with django_capture_on_commit_callbacks() as rolled_back, pytest.raises(RuntimeError):
        failing_change()
    channel = listen(users.ANNOUNCEMENTS_GROUP)

    with django_capture_on_commit_callbacks(execute=True) as committed:
        users.announce_after_commit({"id": 2, "text_ar": "ب", "text_en": "b"})

    assert (len(rolled_back), len(committed)) == (0, 1)
    message = async_to_sync(get_channel_layer().receive)(channel)
    assert message == {"type": "site.announcement", "id": 2, "text_ar": "ب", "text_en": "b"}


def test_an_announcement_cannot_set_the_frames_type():
    with pytest.raises(ValueError, match="type"):
        users.announce_after_commit({"type": "session_ended", "id": 3})


def test_the_user_socket_sends_an_announcement_with_its_fields_as_the_app_gave_them():
    def announce() -> None:
        try:  # outside a transaction here: sent at once
            users.announce_after_commit({"id": 7, "text_ar": "صيانة", "text_en": "Upkeep"})
        finally:
            connections.close_all()

    async def scenario() -> str:
        communicator = WebsocketCommunicator(
            application,
            "/ws/me/",
            headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
        )
        connected, _ = await communicator.connect()
        assert connected
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
        await asyncio.to_thread(announce)
        frame: str = await communicator.receive_from(timeout=5)
        await communicator.disconnect()
        return frame

    frame = json.loads(run(scenario))

    assert frame == {"type": "announcement", "id": 7, "text_ar": "صيانة", "text_en": "Upkeep"}
    assert list(frame) == ["type", "id", "text_ar", "text_en"]
