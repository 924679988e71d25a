"""Background work of a web process: the platform heartbeat, and the clock in embedded mode."""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections

from auction import clock
from core import heartbeats
from core.clock import db_now

logger = logging.getLogger(__name__)

BEAT_SECONDS = 5.0
CLOCK_SECONDS = 0.25


def _beat() -> None:
    close_old_connections()
    try:
        clock.beat(db_now())
    finally:
        close_old_connections()


_clock_beater: heartbeats.Beater | None = None


def _tick() -> None:
    global _clock_beater
    close_old_connections()
    try:
        if _clock_beater is None:
            _clock_beater = heartbeats.Beater(heartbeats.Role.CLOCK)
        try:
            _clock_beater.beat()  # the embedded clock beats as run_auction_clock does
        except DatabaseError:
            logger.warning("clock heartbeat skipped: the database is unavailable")
        clock.tick(db_now())
    finally:
        close_old_connections()


async def platform_heartbeat() -> None:
    """Every web process beats, so an outage is only a time when nothing ran.

    A beat the database cannot take (it is restarting) is skipped, and the
    next comes on time: a crash and a growing restart delay would leave the
    platform looking down for longer than it was.
    """
    while True:
        try:
            await sync_to_async(_beat, thread_sensitive=False)()
        except (OperationalError, InterfaceError):
            logger.warning("heartbeat skipped: the database is unavailable")
        await asyncio.sleep(BEAT_SECONDS)


async def embedded_clock() -> None:
    """The clock inside the web process (`make run`); production runs run_auction_clock."""
    while True:
        await sync_to_async(_tick, thread_sensitive=False)()
        await asyncio.sleep(CLOCK_SECONDS)
