"""The user socket every page opens, and what long-lived consumers share.

`UserSocketConsumer` (`ws/me/`) carries announcements to everyone and
personal notices to a signed-in user (core/live/users.py says what apps send
through it). It also carries the end of a session: when a user logs out, is
deactivated or changes role, `session.ended` reaches every socket of theirs
and closes it. Who the user is comes from the session, through Channels'
`AuthMiddlewareStack` (config/asgi.py), as `scope["user"]`.

`GroupRefresher` keeps any consumer's channel-layer groups joined for as long
as its socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from core.live import metrics
from core.live.users import ANNOUNCEMENTS_GROUP, user_group

CLOSE_SESSION_ENDED = 4001
# Servers allow applications only 1000 and 3000-4999, so "message too big" (1009) is 4009.
CLOSE_TOO_LARGE = 4009
MAX_FRAME_BYTES = 1024

# Channel-layer group membership expires (channels_redis `group_expiry`); a socket open for
# a long sale re-joins its groups well before that, so it never silently stops receiving.
REFRESH_FRACTION = 0.25


def refresh_interval() -> float:
    layer: dict[str, Any] = settings.CHANNEL_LAYERS["default"]
    expiry = layer.get("CONFIG", {}).get("group_expiry", 86400)
    return max(1.0, float(expiry) * REFRESH_FRACTION)


class GroupRefresher:
    """Re-adds a consumer's channel to its groups periodically until stopped."""

    def __init__(self, layer: object, channel_name: str, groups: list[str]) -> None:
        self.layer, self.channel_name, self.groups = layer, channel_name, groups
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        interval = refresh_interval()
        while True:
            await asyncio.sleep(interval)
            for group in self.groups:
                with contextlib.suppress(Exception):
                    await self.layer.group_add(group, self.channel_name)  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()


class UserSocketConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    groups_joined: list[str]
    refresher: GroupRefresher | None = None
    counted = False  # in the open sockets' gauge

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.groups_joined = [ANNOUNCEMENTS_GROUP]
        if user is not None and user.is_authenticated:
            self.groups_joined.append(user_group(user.pk))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.refresher = GroupRefresher(self.channel_layer, self.channel_name, self.groups_joined)
        self.refresher.start()
        await self.accept()
        metrics.USER_SOCKETS.inc()
        self.counted = True

    async def disconnect(self, code: int) -> None:
        if self.counted:
            metrics.USER_SOCKETS.dec()
            self.counted = False
        if self.refresher is not None:
            self.refresher.stop()
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if text_data is None or len(text_data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        await super().receive(text_data=text_data, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json(
                {
                    "type": "error",
                    "code": "unknown_message",
                    "message": "Only ping is accepted on this socket.",
                }
            )

    async def site_announcement(self, event: dict[str, Any]) -> None:
        """An app's announcement (users.announce_after_commit): its fields, as they came."""
        fields = {key: value for key, value in event.items() if key != "type"}
        await self.send_json({"type": "announcement", **fields})

    async def user_notification(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "notification", **event["payload"]})

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "session_ended", "reason": event["reason"]})
        await self.close(code=CLOSE_SESSION_ENDED)
