"""Link, checkpoint or verify the audit chains: `manage.py audit_chain link|checkpoint|verify`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core import audit_chain


class Command(BaseCommand):
    help = "Link new audit records into their chains, write signed checkpoints, or verify."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["link", "checkpoint", "verify", "public-key"])

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
        else:
            while audit_chain.link_pending():
                pass
            problems = audit_chain.verify_all()
            if problems:
                for problem in problems:
                    self.stderr.write(f"BROKEN {problem}")
                raise CommandError(
                    f"{len(problems)} chain(s) broken; the first bad record of each is named above"
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"every chain verifies ({', '.join(audit_chain.chains()) or 'none yet'})"
                )
            )
