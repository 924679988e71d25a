"""Run the auction clock: open and close lots on time, compensate outages. Stops on SIGTERM."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from auction import clock
from core import audit_chain
from core.clock import db_now


class Command(BaseCommand):
    help = "Open lots at their start and close them at their (possibly extended) end."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval", type=float, default=0.25, help="seconds between passes (default 0.25)"
        )
        parser.add_argument("--once", action="store_true", help="run one pass and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        running = True

        def stop(*_: Any) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        notifier = None
        if not options["once"]:
            # Notices on a thread of their own: thousands of them (a hot lot outbids someone
            # with every bid) must not delay the closes of this loop.
            notifier = threading.Thread(
                target=self.notify, args=(lambda: running, options["interval"]), daemon=True
            )
            notifier.start()
        next_checkpoint = time.monotonic()
        self.stdout.write("auction clock started")
        self.stdout.flush()
        while running:
            started = time.monotonic()
            try:
                report = clock.tick(db_now(), notices=notifier is None)
                if report.opened or report.closed or report.extended:
                    self.stdout.write(
                        f"opened {report.opened} closed {report.closed} extended {report.extended}"
                    )
            except Exception as error:  # the clock survives a bad pass
                self.stderr.write(f"clock pass failed: {error}")
                close_old_connections()
            if time.monotonic() >= next_checkpoint:
                next_checkpoint = time.monotonic() + settings.AUDIT_CHECKPOINT_MINUTES * 60
                try:
                    audit_chain.checkpoint()
                except Exception as error:  # retried at the next interval
                    self.stderr.write(f"audit checkpoint failed: {error}")
            if options["once"]:
                return
            time.sleep(max(0.0, options["interval"] - (time.monotonic() - started)))
        if notifier is not None:
            notifier.join(timeout=10)

    def notify(self, running: Callable[[], bool], interval: float) -> None:
        while running():
            started = time.monotonic()
            try:
                clock.notify(db_now())
            except Exception as error:
                self.stderr.write(f"notice pass failed: {error}")
            finally:
                close_old_connections()
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
