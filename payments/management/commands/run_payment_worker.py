"""The payment worker: stored provider events, then due payment jobs, until it is stopped."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from payments import jobs, listeners, webhooks
from payments.client import StripeClient
from payments.models import PaymentJob


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
        stopping = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.set())
        pause = self._pauser(options["pause_at"]) if options["pause_at"] else None
        self.stdout.write("payment worker started", ending="\n")
        self.stdout.flush()
        with StripeClient.from_settings() as client:
            while not stopping.is_set():
                close_old_connections()
                worked = webhooks.process_pending()
                worked += listeners.worker_pass(timezone.now())
                worked += jobs.run_due_jobs(
                    client=client, lease_seconds=options["lease"], pause=pause
                )
                if options["once"] and not worked:
                    break
                if not worked:
                    stopping.wait(options["poll"])
        close_old_connections()
        self.stdout.write("payment worker stopped")

    def _pauser(self, point: str) -> Any:
        def pause(reached: str, job: PaymentJob) -> None:
            if reached == point:
                self.stdout.write(f"paused at {point} job {job.pk}")
                self.stdout.flush()
                threading.Event().wait()

        return pause
