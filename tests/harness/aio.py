"""Running asyncio scenarios from sync tests, even while Playwright's loop owns the main thread."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    """Run `scenario()` in a fresh event loop on its own thread and return its result."""

    def call() -> T:
        from django.db import connections

        try:
            return asyncio.run(scenario())  # type: ignore[arg-type]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


async def in_thread(function: Callable[..., T], /, *args: object, **kwargs: object) -> T:
    """Run blocking (database) code off the loop, closing the thread's connections after."""
    import asyncio

    from django.db import connections

    def call() -> T:
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return await asyncio.to_thread(call)
