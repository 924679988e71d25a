"""Helpers for long-lived WebSocket consumers."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from django.conf import settings

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
