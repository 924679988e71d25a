"""Link, checkpoint or verify the audit chains, or record a restore of the database:
`manage.py audit_chain link|checkpoint|verify|public-key`, and after a point-in-time restore
`manage.py audit_chain restored --to 2026-12-06T17:03:00+03:00 --reason "..."`
(docs/operations.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core import audit_chain


def moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(
            f"--to: {text!r} is not a date and time such as 2026-12-06T17:03:00+03:00"
        ) from error
    if timezone.is_naive(value):
        raise CommandError("--to: give the time zone too, such as +03:00 or Z")
    return value


class Command(BaseCommand):
    help = (
        "Link new audit records into their chains, write signed checkpoints, verify, or "
        "record a restore of the database to an earlier moment."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", choices=["link", "checkpoint", "verify", "public-key", "restored"]
        )
        parser.add_argument(
            "--to",
            dest="restored_to",
            help="restored: the moment the database was restored to (ISO 8601, with its zone)",
        )
        parser.add_argument(
            "--reason", default="", help="restored: why, in a sentence, for the audit record"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "link":
            total = 0
            while linked := audit_chain.link_pending():
                total += linked
            self.stdout.write(f"linked {total} records")
        elif action == "checkpoint":
            for path in audit_chain.checkpoint():
                self.stdout.write(f"wrote {path}")
        elif action == "public-key":
            self.stdout.write(audit_chain.public_key_text())
        elif action == "restored":
            self.restored(options)
        else:
            self.verify()

    def restored(self, options: dict[str, Any]) -> None:
        if not options["restored_to"]:
            raise CommandError("--to: the moment the database was restored to is required")
        if not options["reason"].strip():
            raise CommandError("--reason: say why the database was restored")
        try:
            done = audit_chain.restored(
                moment(options["restored_to"]), reason=options["reason"].strip()
            )
        except audit_chain.RestoreRefused as error:
            raise CommandError(f"not recorded, nothing changed: {error}") from error
        for name in done.set_aside:
            self.stdout.write(f"set aside {name} (newer than the restore point)")
        self.stdout.write(f"kept {done.kept} checkpoints that agree with the restored chains")
        self.stdout.write(f"restore recorded in {done.record}")
        self.verify()

    def verify(self) -> None:
        while audit_chain.link_pending():
            pass
        problems = audit_chain.verify_all()
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            raise CommandError(
                f"{len(problems)} chain(s) broken; the first bad record of each is named above"
            )
        for record in audit_chain.restore_records():
            self.stdout.write(
                f"restored to {record['restored_to']} (recorded {record['recorded_at']}: "
                f"{record['reason']}); {len(record['set_aside'])} checkpoint(s) set aside"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"every chain verifies ({', '.join(audit_chain.chains()) or 'none yet'})"
            )
        )
