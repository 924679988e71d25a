"""Background coroutines of a web process, started with its first connection.

Django has no lifespan hook, so an ASGI wrapper starts the coroutines named in
settings.BACKGROUND_TASKS (dotted paths) the first time the process serves
anything. Each runs until the process ends; a crash is logged and restarted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def _keep_running(name: str, factory: Callable[[], Awaitable[None]]) -> None:
    delay = 1.0
    while True:
        try:
            await factory()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("background task %s failed; restarting in %.0f s", name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


class BackgroundTasks:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.tasks: list[asyncio.Task[None]] = []
        self.started = False

    def _start(self) -> None:
        self.started = True
        loop = asyncio.get_running_loop()
        for path in getattr(settings, "BACKGROUND_TASKS", []):
            self.tasks.append(loop.create_task(_keep_running(path, import_string(path))))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self.started and scope["type"] in ("http", "websocket"):
            self._start()
        await self.app(scope, receive, send)
