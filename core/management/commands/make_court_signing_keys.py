"""Make a pilot's signing keys: a certificate authority and one certificate per court."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError

from core import pdf_signing


class Command(BaseCommand):
    help = (
        "Make a certificate authority (root.pem, its key in root-key.pem) and a signing key and "
        "certificate for each court code given (CODE.pem), for a pilot or a demonstration "
        "installation; a court in production takes its certificate from the authority its "
        "country's courts use (docs/signed-documents.md). Prints the settings to use."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "courts",
            nargs="+",
            help='court codes, each with its name if wanted: RYC="Riyadh Execution Court" KWC',
        )
        parser.add_argument("--out", default="court-keys", help="the folder to write into")
        parser.add_argument(
            "--authority-name", default="Mazad pilot courts CA", help="the authority's name"
        )
        parser.add_argument(
            "--mounted-at",
            default="/run/court-keys",
            help="where the folder is seen by the application (docker-compose mounts it there)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        root, root_key = out / "root.pem", out / "root-key.pem"
        if root_key.exists():
            raise CommandError(f"{root_key} exists: keep it, or move it away to start over.")
        authority = pdf_signing.make_authority(options["authority_name"])
        _write(root_key, pdf_signing.pem_bundle(authority), private=True)
        _write(root, authority.certificate.public_bytes(serialization.Encoding.PEM))
        entries = []
        for given in options["courts"]:
            code, _sep, name = given.partition("=")
            code = code.strip().upper()
            if not code.isalnum():
                raise CommandError(f"{code!r}: a court code is letters and digits")
            court = pdf_signing.court_certificate(
                authority, code=code, name_en=name.strip() or code
            )
            _write(out / f"{code}.pem", pdf_signing.pem_bundle(court), private=True)
            entries.append(f"{code}={options['mounted_at']}/{code}.pem")
        self.stdout.write(f"COURT_SIGNING_KEYS={','.join(entries)}")
        self.stdout.write(f"COURT_SIGNING_TRUST_ROOTS={options['mounted_at']}/root.pem")


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    path.write_bytes(data)
    os.chmod(path, 0o600 if private else 0o644)
