"""The payment worker: stored provider events, then due payment jobs, until it is stopped."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone

from core import heartbeats, metrics
from payments import jobs, listeners, webhooks
from payments.client import StripeClient
from payments.models import PaymentJob

DATABASE_RETRY_SECONDS = 1.0
# Starts, stops and database outages: written whatever LOG_LEVEL is (core/logs.py).
process_log = logging.getLogger("mazad.process")


class Stop:
    """Asked for by SIGTERM or SIGINT; waits end early once it is.

    A signal handler runs in the main thread between two bytecodes, possibly while that thread
    holds the lock inside `threading.Event.wait`; `Event.set` in the handler would then wait for
    that lock forever (a worker that never stops). So the handler only sets a flag, and the
    waits sleep in short slices.
    """

    SLICE = 0.05

    def __init__(self) -> None:
        self.requested = False

    def request(self, *_: Any) -> None:
        self.requested = True

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, self.SLICE))


class Command(BaseCommand):
    help = "Run the payment worker (events from the provider, then payment jobs) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Stop when nothing is left to do.")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds between idle polls.")
        parser.add_argument(
            "--lease", type=float, default=jobs.LEASE_SECONDS, help="Seconds a claimed job is ours."
        )
        parser.add_argument(
            "--pause-at",
            choices=jobs.PAUSE_POINTS,
            help="Fault-injection tests only: stop forever at this point of the first job.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = Stop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stopping.request)
        pause = self._pauser(options["pause_at"]) if options["pause_at"] else None
        metrics.serve_from_settings()
        process_log.info("payment worker started")
        beater = heartbeats.Beater(heartbeats.Role.WORKER)
        with StripeClient.from_settings() as client:
            while not stopping.requested:
                close_old_connections()
                try:
                    beater.beat()  # `manage.py healthcheck worker` reads it
                    worked = self._pass(client, options["lease"], pause)
                except (OperationalError, InterfaceError) as error:
                    # The database is away (a restart, a fail-over): whatever was in hand is
                    # PENDING, or RUNNING under a lease that expires, so nothing is lost.
                    process_log.warning("worker pass failed, retrying: %s", str(error).strip())
                    connections.close_all()
                    stopping.wait(DATABASE_RETRY_SECONDS)
                    continue
                if options["once"] and not worked:
                    break
                if not worked:
                    stopping.wait(options["poll"])
        close_old_connections()
        process_log.info("payment worker stopped")

    def _pass(self, client: StripeClient, lease: float, pause: Any) -> int:
        worked = webhooks.process_pending(client=client)
        worked += listeners.worker_pass(timezone.now())
        worked += jobs.run_due_jobs(client=client, lease_seconds=lease, pause=pause)
        return worked

    def _pauser(self, point: str) -> Any:
        def pause(reached: str, job: PaymentJob) -> None:
            if reached == point:
                process_log.info("paused at %s job %s", point, job.pk)
                threading.Event().wait()

        return pause
