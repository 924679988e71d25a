"""Running asyncio scenarios from sync tests, even while Playwright's loop owns the main thread."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    """Run `scenario()` in a fresh event loop on its own thread and return its result."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result()  # type: ignore[arg-type]
