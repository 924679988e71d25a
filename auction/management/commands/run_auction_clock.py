"""Run the auction clock: open and close lots on time, compensate outages. Stops on SIGTERM.

The clock is a small family of processes, so that a thousand lots ending in the
same minute are each closed within a second of their end:

- the main process beats, compensates outages, opens lots, decides closes and
  writes the audit checkpoints;
- `--closers N` (default `CLOCK_CLOSERS`, 2) processes decide closes, the main
  one included: each is a short transaction under the lot's lock, taken with
  SKIP LOCKED, so they share the due lots without closing one twice;
- one process settles the decided closes (deposits, assets, balances) and links
  the audit chain, at a lower priority: it must keep up, not be first;
- one process delivers notices, lower still: thousands of them (every bid on a
  hot lot outbids someone) must not take the closers' time.

The helpers are started by the main process, restarted if they die, stopped with
it, and stop on their own if it is killed (Linux tells them; they also watch
their parent).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from auction import clock
from core import audit_chain, heartbeats, metrics
from core.clock import db_now

ROLES = ("main", "closer", "settler", "notifier")
# On a busy machine bids and closes come first, settlements next, notices last.
NICENESS = {"settler": 10, "notifier": 15}
# Starts, stops and what each pass did: written whatever LOG_LEVEL is (core/logs.py).
process_log = logging.getLogger("mazad.process")


class Command(BaseCommand):
    help = "Open lots at their start and close them at their (possibly extended) end."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval", type=float, default=0.25, help="longest wait between passes (0.25 s)"
        )
        parser.add_argument("--once", action="store_true", help="run one pass and exit")
        parser.add_argument(
            "--closers",
            type=int,
            default=None,
            help="processes that decide closes, this one included (default CLOCK_CLOSERS)",
        )
        parser.add_argument("--role", choices=ROLES, default="main", help="(started by the clock)")
        parser.add_argument("--parent", type=int, default=0, help="(started by the clock)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True
        self.parent = options["parent"]

        def stop(*_: Any) -> None:
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        interval = options["interval"]
        role = options["role"]
        os.nice(NICENESS.get(role, 0))
        if role == "closer":
            self.loop(lambda: clock.close_due(db_now()), interval, clock.seconds_to_next)
        elif role == "settler":
            self.loop(self.settle, interval, lambda _now: 0.0 if clock.to_settle() else None)
        elif role == "notifier":
            self.loop(self.notify, interval, None)
        elif options["once"]:
            clock.tick(db_now())
        else:
            closers = options["closers"] or settings.CLOCK_CLOSERS
            self.main(interval, max(1, closers))

    def main(self, interval: float, closers: int) -> None:
        roles = ["settler", "notifier"] + ["closer"] * (closers - 1)
        # The helpers write their metrics beside the main process's, which serves them all.
        metrics.serve_from_settings()
        if settings.METRICS_PORT and not metrics.MULTIPROCESS_DIR:
            process_log.warning(
                "PROMETHEUS_MULTIPROC_DIR is not set: the metrics of the clock's helpers "
                "(closes, settlements, notices) are not served"
            )
        helpers = [self.start(role, interval) for role in roles]
        next_beat = next_checkpoint = time.monotonic()
        beater = heartbeats.Beater(heartbeats.Role.CLOCK)  # `manage.py healthcheck clock`
        process_log.info("auction clock started (%s closing; settlements, notices apart)", closers)

        def pass_() -> int:
            nonlocal next_beat, next_checkpoint
            now = db_now()
            if time.monotonic() >= next_beat:  # the platform's heartbeat, once a second is plenty
                next_beat = time.monotonic() + 1.0
                clock.beat(now)
            beater.beat()
            extended = clock.compensate_outages(now)
            opened, closed = clock.open_due(now), clock.close_due(now)
            if opened or closed or extended:
                process_log.info("opened %s closed %s extended %s", opened, closed, extended)
            if time.monotonic() >= next_checkpoint:
                next_checkpoint = time.monotonic() + settings.AUDIT_CHECKPOINT_MINUTES * 60
                try:
                    audit_chain.checkpoint()
                except Exception as error:  # retried at the next interval
                    process_log.warning("audit checkpoint failed: %s", error)
            for index, (role, process) in enumerate(zip(roles, helpers, strict=True)):
                if process.poll() is not None and self.running:
                    process_log.warning(
                        "clock %s exited (%s); restarting it", role, process.returncode
                    )
                    helpers[index] = self.start(role, interval)
            return opened + closed

        try:
            self.loop(pass_, interval, clock.seconds_to_next)
        finally:
            for process in helpers:
                process.terminate()
            for process in helpers:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def start(self, role: str, interval: float) -> subprocess.Popen[bytes]:
        manage = str(settings.BASE_DIR / "manage.py")
        command = [sys.executable, manage, "run_auction_clock", "--role", role]
        command += ["--interval", str(interval), "--parent", str(os.getpid())]
        return subprocess.Popen(command, preexec_fn=_die_with_parent)  # noqa: S603

    def loop(
        self,
        work: Callable[[], int],
        interval: float,
        next_due: Callable[[datetime], float | None] | None,
    ) -> None:
        """Run `work` until stopped (or orphaned); between passes, sleep until more is due.

        `next_due(now)` gives the seconds until the next piece of work (None: nothing
        waits); without it the passes come every `interval`. A pass that made
        progress while more is due is followed at once; one that made none waits the
        whole interval, so a locked or failing lot is retried without spinning.
        """
        while self.running and (not self.parent or os.getppid() == self.parent):
            started = time.monotonic()
            done, wait = 0, None
            try:
                done = work()
                if next_due is not None:
                    wait = next_due(db_now())
            except Exception as error:  # the clock survives a bad pass
                process_log.warning("clock pass failed: %s", error)
            if next_due is None:
                pause = interval - (time.monotonic() - started)
            elif wait is None or (wait == 0 and not done):
                pause = interval
            else:
                pause = min(interval, wait + 0.002)
            close_old_connections()
            time.sleep(max(0.0, pause))

    def settle(self) -> int:
        settled = clock.settle_due(db_now(), clock.SETTLE_BATCH)
        audit_chain.link_pending()
        return settled

    def notify(self) -> int:
        clock.notify(db_now())
        return 0


def _die_with_parent() -> None:
    """In the helper, before it runs: ask Linux to stop it when the clock dies (kill -9)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
