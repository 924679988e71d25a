"""The plain Channels pattern, as the reference our broadcast must beat.

Every watcher is a consumer in one group; each event published to /publish
becomes one `group_send` through channels_redis, which hands it to every
consumer, which sends it on its socket. Run under uvicorn or daphne as
`bench.reference:application` with REDIS_URL and CHANNEL_PREFIX set.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.reference_settings")

import django

django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

GROUP = "lot"


class WatchConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def lot_event(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])


class PublishConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.channel_layer.group_send(GROUP, {"type": "lot.event", "text": text_data})


application = ProtocolTypeRouter(
    {
        "websocket": URLRouter(
            [path("watch", WatchConsumer.as_asgi()), path("publish", PublishConsumer.as_asgi())]
        )
    }
)
