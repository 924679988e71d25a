"""Exit 0 while this host's payment worker or auction clock beats; 1 when its beat is stale."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from core import heartbeats

ROLES = {"worker": heartbeats.Role.WORKER, "clock": heartbeats.Role.CLOCK}


class Command(BaseCommand):
    help = (
        "Check that the payment worker or the auction clock of this host beats: exits 1 when "
        "its last beat is older than the limit (a container's health check)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("role", choices=sorted(ROLES))
        parser.add_argument(
            "--max-age",
            type=float,
            default=None,
            help="seconds a beat stays fresh (default: 300 for the worker, 30 for the clock)",
        )
        parser.add_argument(
            "--any-host",
            action="store_true",
            help="accept a beat from any host (the whole platform's check, not one container's)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role = ROLES[options["role"]]
        limit = options["max_age"] or heartbeats.STALE_AFTER[role].total_seconds()
        host = None if options["any_host"] else heartbeats.this_host()
        try:
            found = heartbeats.beats(role, host)
        except DatabaseError:
            self.stderr.write("unhealthy: the database cannot be read")
            raise SystemExit(1) from None
        if not found:
            self.stderr.write(f"unhealthy: no beat from the {options['role']} yet")
            raise SystemExit(1)
        beat = found[0]
        if beat.age_seconds > limit:
            self.stderr.write(f"unhealthy: last beat {beat.age_seconds:.0f} s ago")
            raise SystemExit(1)
        self.stdout.write(f"healthy: last beat {beat.age_seconds:.1f} s ago")
