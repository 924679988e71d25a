"""Verify a signed bid receipt (its .json file) offline: exit 0 when valid, 1 when not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from core import receipt_signing


class Command(BaseCommand):
    help = (
        "Verify a signed bid receipt (the .json downloaded from 'My auctions') against the "
        "published keys: with --keys (a copy of /.well-known/mazad-receipt-keys.json) it needs "
        "neither the database nor the network. Exits 0 when valid, 1 when invalid."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the receipt's .json file ('-' for standard input)")
        parser.add_argument(
            "--keys",
            help="the published keys file; without it, the keys this installation signs with",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("en")
        try:
            if options["file"] == "-":
                import sys

                raw = sys.stdin.buffer.read(receipt_signing.MAX_BYTES + 1)
            else:
                with Path(options["file"]).open("rb") as file:
                    raw = file.read(receipt_signing.MAX_BYTES + 1)
        except OSError as error:
            raise CommandError(f"cannot read the receipt: {error}", returncode=2) from error
        if options["keys"]:
            try:
                keys = receipt_signing.keys_from_file(Path(options["keys"]).read_bytes())
            except (OSError, ValueError, AttributeError) as error:
                raise CommandError(f"cannot read the keys file: {error}", returncode=2) from error
        else:
            keys = receipt_signing.published_keys()
        verdict = receipt_signing.verify(raw, keys)
        if not verdict.valid:
            raise CommandError(f"INVALID ({verdict.code}): {verdict.message}", returncode=1)
        receipt = (verdict.document or {}).get("receipt", {})
        key = verdict.key or {}
        self.stdout.write(
            f"VALID: receipt {receipt.get('number')} · lot {receipt.get('lot_reference')} · "
            f"bid {receipt.get('seq')} · {receipt.get('amount_minor')} {receipt.get('currency')} "
            f"(minor units) · {receipt.get('server_time')} · chain {receipt.get('chain_hash')} · "
            f"key {key.get('key_id')} ({key.get('court')})"
        )
