"""Readiness of a web process (/readyz), and the payment provider's reachability for staff.

Readiness asks only what this process cannot serve without: the database, Redis (when the
deployment uses it) and the database's schema being the code's (no unapplied migration).
It never asks the payment provider: a provider outage must not take every web node out of
a load balancer, since bidding, pages and the worker's retries carry on without it. The
answer names failing checks and nothing else; the reasons go to the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor

from core import redis_urls

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0
# Once the schema is found current it stays so until new code (a new process) arrives; it is
# looked at again now and then, not on every probe, as loading the migration graph is slow.
MIGRATIONS_RECHECK_SECONDS = 60.0
_migrations_current_until = float("-inf")


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _migrations() -> None:
    global _migrations_current_until
    if time.monotonic() < _migrations_current_until:
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RuntimeError("unapplied migrations")
    _migrations_current_until = time.monotonic() + MIGRATIONS_RECHECK_SECONDS


async def check_database() -> None:
    await sync_to_async(_database, thread_sensitive=True)()


async def check_migrations() -> None:
    await sync_to_async(_migrations, thread_sensitive=True)()


async def check_redis() -> None:
    client = redis_urls.async_client(
        settings.REDIS_URL,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
    )
    try:
        if not await client.ping():
            raise RuntimeError("Redis did not answer PING")
    finally:
        await client.aclose()


def readiness_checks() -> dict[str, Callable[[], Awaitable[None]]]:
    """The checks of this deployment, in order: Redis only where REDIS_URL is set."""
    checks: dict[str, Callable[[], Awaitable[None]]] = {"database": check_database}
    if settings.REDIS_URL:
        checks["redis"] = check_redis
    checks["migrations"] = check_migrations
    return checks


async def _fails(name: str, check: Callable[[], Awaitable[None]]) -> bool:
    try:
        await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("readiness check %s failed: %s", name, type(error).__name__)
        return True
    return False


async def failing_checks() -> list[str]:
    """Names of the readiness checks that fail now (empty: ready). Reasons are only logged.

    The migrations cannot be read while the database is away: that case reports the database.
    """
    checks = readiness_checks()
    if await _fails("database", checks.pop("database")):
        checks.pop("migrations")
        failing = ["database"]
    else:
        failing = []
    results = await asyncio.gather(*(_fails(name, check) for name, check in checks.items()))
    failing += [name for name, failed in zip(checks, results, strict=True) if failed]
    return failing


@dataclass(frozen=True)
class ProviderState:
    is_reachable: bool
    answered_in_ms: int | None


async def payment_provider() -> ProviderState:
    """Whether the payment API answers an authenticated read (for staff, never for readiness)."""
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(
            base_url=settings.STRIPE_API_BASE, timeout=CHECK_TIMEOUT_SECONDS
        ) as client:
            response = await client.get(
                "/v1/balance", headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"}
            )
            response.raise_for_status()
    except Exception as error:
        logger.warning("payment provider unreachable: %s", type(error).__name__)
        return ProviderState(is_reachable=False, answered_in_ms=None)
    return ProviderState(
        is_reachable=True, answered_in_ms=round((time.monotonic() - started) * 1000)
    )
