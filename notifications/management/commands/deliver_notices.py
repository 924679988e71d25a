"""Deliver the outbox's due notices: one pass, or a loop until SIGTERM (the clock also runs it)."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from core.clock import db_now
from core.errors import DomainError
from notifications import delivery


class Command(BaseCommand):
    help = "Send the notices of the outbox that are due, with retries; --requeue-failed first."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run one pass and exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between passes")
        parser.add_argument(
            "--requeue-failed",
            nargs="?",
            const="",
            default=None,
            metavar="CHANNEL",
            help="put given-up deliveries (of CHANNEL, or all) back in the queue first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["requeue_failed"] is not None:
            try:
                count = delivery.requeue_failed(
                    now=db_now(), channel=options["requeue_failed"] or None
                )
            except DomainError as error:
                raise CommandError(error.render()) from error
            self.stdout.write(f"requeued {count}")
        if options["once"]:
            self.stdout.write(f"sent {delivery.deliver_due(db_now())}")
            return
        stopping = False

        def stop(*_args: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            delivery.deliver_due(db_now())
            close_old_connections()
            time.sleep(max(0.0, options["interval"]))
