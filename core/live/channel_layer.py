"""The Redis channel layer, made to outlive a Redis restart under open sockets.

channels_redis raises from `receive` when Redis goes away, and Channels ends
the consumer on it: a Redis restart would close every socket of the process,
although bids never depend on Redis (PostgreSQL is the record, and the live
fan-out has its own reconnecting hub). Here `receive` waits for Redis to come
back instead, `group_add` and `group_discard` never fail a connect or a
disconnect, and the process's group memberships, which a Redis restarted
without persistence has forgotten, are added again as soon as it answers. A
message sent while Redis was away is lost, as the channel layer allows; the
sockets' own messages are control messages (a session ended) and the record
stays in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from typing import Any

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

REDIS_AWAY = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
FIRST_DELAY, LONGEST_DELAY = 0.1, 2.0


class RedisChannelLayer(BaseRedisChannelLayer):  # type: ignore[misc]
    """channels_redis' layer that waits out a Redis outage and restores its groups after it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.memberships: dict[str, set[str]] = defaultdict(set)  # channel -> groups
        self._rejoining: asyncio.Task[None] | None = None

    async def group_add(self, group: str, channel: str) -> None:
        self.memberships[channel].add(group)
        try:
            await super().group_add(group, channel)
        except REDIS_AWAY as error:
            logger.warning("group %s not joined yet, Redis is away: %s", group, error)
            self._rejoin_soon()

    async def group_discard(self, group: str, channel: str) -> None:
        groups = self.memberships.get(channel)
        if groups is not None:
            groups.discard(group)
            if not groups:
                del self.memberships[channel]
        try:
            await super().group_discard(group, channel)
        except REDIS_AWAY:  # the membership expires by itself (group_expiry)
            logger.info("group %s not left, Redis is away", group)

    async def receive(self, channel: str) -> dict[str, Any]:
        delay = FIRST_DELAY
        while True:
            try:
                message: dict[str, Any] = await super().receive(channel)
                return message
            except REDIS_AWAY as error:
                logger.warning("channel layer receive failed, waiting for Redis: %s", error)
                self._rejoin_soon()
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, LONGEST_DELAY)

    def _rejoin_soon(self) -> None:
        """Add every membership of this process again once Redis answers (one task at a time)."""
        if self._rejoining is None or self._rejoining.done():
            self._rejoining = asyncio.get_running_loop().create_task(self._rejoin())

    async def _rejoin(self) -> None:
        delay = FIRST_DELAY
        while True:
            await asyncio.sleep(delay * (0.5 + random.random()))
            try:
                for channel, groups in list(self.memberships.items()):
                    for group in list(groups):
                        await BaseRedisChannelLayer.group_add(self, group, channel)
            except REDIS_AWAY:
                delay = min(delay * 2, LONGEST_DELAY)
                continue
            logger.warning("Redis is back: the process's channel-layer groups are joined again")
            return
