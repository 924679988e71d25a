"""The server's time. The database's clock decides; the app's clock is corrected towards it.

`db_now()` reads PostgreSQL's `clock_timestamp()` (the real time, not the
transaction's start). `server_now()` is the app's clock plus an offset
measured against the database now and then, so that arrival stamps taken
without a round trip still agree with the clock that decides closes, even if
this machine's clock is skewed.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

REMEASURE_SECONDS = 10.0

_offset = timedelta(0)
_measured_at = float("-inf")
_lock = threading.Lock()


def db_now() -> datetime:
    """The database's current time (UTC); the app's own clock on SQLite."""
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        value: datetime = cursor.fetchone()[0]
    return value


def measure_offset() -> timedelta:
    """How far the database's clock is ahead of this process's clock."""
    global _offset, _measured_at
    before = timezone.now()
    database = db_now()
    after = timezone.now()
    offset = database - (before + (after - before) / 2)
    with _lock:
        _offset, _measured_at = offset, time.monotonic()
    return offset


def server_now() -> datetime:
    """The app's clock corrected to the database's; re-measured every few seconds (sync code)."""
    if time.monotonic() - _measured_at > REMEASURE_SECONDS:
        try:
            measure_offset()
        except Exception:  # keep the last offset while the database is away
            logger.debug("could not measure the clock offset", exc_info=True)
    return timezone.now() + _offset


def stamp() -> datetime:
    """An arrival stamp usable from async code: no database access, the last known offset."""
    return timezone.now() + _offset
