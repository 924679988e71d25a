"""Heartbeats of the payment worker and the auction clock, and how stale each may grow.

Each process beats at most once a second from its main loop (not from a thread of its
own), so a beat means the loop still turns. `manage.py healthcheck worker|clock` reads the
beat of its own host, for a container's health check; the status page and the metrics read
`latest()`.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from core.clock import db_now
from core.models import ProcessHeartbeat

Role = ProcessHeartbeat.Role

# A beat older than this means the process is stuck or gone. The worker's loop may spend a
# job's whole lease on one provider call (payments.jobs.LEASE_SECONDS, 120 s), and a pass
# takes up to 50 jobs, most of them quick; the clock's loop turns every quarter second.
STALE_AFTER = {Role.WORKER: timedelta(seconds=300), Role.CLOCK: timedelta(seconds=30)}
BEAT_EVERY_SECONDS = 1.0


def this_host() -> str:
    """The name a container's health check finds again: the container's host name."""
    return socket.gethostname()[:255]


class Beater:
    """Beats for one process, at most once every BEAT_EVERY_SECONDS however often it is asked."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.host = this_host()
        self.pid = os.getpid()
        self.started_at: datetime | None = None
        self._next = 0.0

    def beat(self) -> None:
        """Write the beat (database time) if one is due; database errors reach the caller."""
        if time.monotonic() < self._next:
            return
        now = db_now()
        if self.started_at is None:
            self.started_at = now
        with transaction.atomic():
            ProcessHeartbeat.objects.update_or_create(
                role=self.role,
                host=self.host,
                defaults={"pid": self.pid, "started_at": self.started_at, "beat_at": now},
            )
        self._next = time.monotonic() + BEAT_EVERY_SECONDS


@dataclass(frozen=True)
class Beat:
    role: str
    host: str
    pid: int
    beat_at: datetime
    age_seconds: float
    is_fresh: bool


def beats(role: str | None = None, host: str | None = None) -> list[Beat]:
    """Every recorded beat (of a role, of a host), with its age measured by the database."""
    now = db_now()
    rows = ProcessHeartbeat.objects.all()
    if role is not None:
        rows = rows.filter(role=role)
    if host is not None:
        rows = rows.filter(host=host)
    found = []
    for row in rows.order_by("role", "-beat_at"):
        age = max(0.0, (now - row.beat_at).total_seconds())
        found.append(
            Beat(
                role=row.role,
                host=row.host,
                pid=row.pid,
                beat_at=row.beat_at,
                age_seconds=age,
                is_fresh=age <= STALE_AFTER[Role(row.role)].total_seconds(),
            )
        )
    return found


def latest(role: str) -> Beat | None:
    """The freshest beat of any host for a role, or None if it never beat."""
    found = beats(role)
    return found[0] if found else None
