"""The socket every page opens: announcements for all, personal notices for a signed-in user.

It also carries the end of a session: when a user logs out, is deactivated or
changes role, `session.ended` reaches every socket of theirs and closes it.
"""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.events import user_group
from core import metrics
from core.consumers import GroupRefresher
from frontend.events import ANNOUNCEMENTS_GROUP

CLOSE_SESSION_ENDED = 4001
# Servers allow applications only 1000 and 3000-4999, so "message too big" (1009) is 4009.
CLOSE_TOO_LARGE = 4009
MAX_FRAME_BYTES = 1024


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
        await self.send_json(
            {
                "type": "announcement",
                "id": event["id"],
                "text_ar": event["text_ar"],
                "text_en": event["text_en"],
            }
        )

    async def user_notification(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "notification", **event["payload"]})

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "session_ended", "reason": event["reason"]})
        await self.close(code=CLOSE_SESSION_ENDED)
