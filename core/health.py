"""Checks of the services the platform depends on, for /healthz."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

CHECK_TIMEOUT_SECONDS = 2.0


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def check_database() -> None:
    await sync_to_async(_database, thread_sensitive=True)()


async def check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel(prefix="healthz")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned another message")


async def check_payment_api() -> None:
    async with httpx.AsyncClient(
        base_url=settings.STRIPE_API_BASE, timeout=CHECK_TIMEOUT_SECONDS
    ) as client:
        response = await client.get(
            "/v1/balance", headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"}
        )
        response.raise_for_status()


CHECKS = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "payment_api": check_payment_api,
}


async def run_checks() -> dict[str, str]:
    """Each dependency's state: "up", or "down: <reason>"."""

    async def one(name: str) -> tuple[str, str]:
        try:
            await asyncio.wait_for(CHECKS[name](), timeout=CHECK_TIMEOUT_SECONDS)
        except Exception as error:
            return name, f"down: {type(error).__name__}: {error}"[:300]
        return name, "up"

    results = await asyncio.gather(*(one(name) for name in CHECKS))
    return dict(results)
