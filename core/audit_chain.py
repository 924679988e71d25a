"""The tamper-evident audit trail: a hash chain per court, checkpointed outside the database.

Services write audit records as usual (core/audit.py) inside their own
transactions, so nothing on a hot path waits for a chain-wide lock. Shortly
after, `link_pending` (run by the clock on every pass) gives each new record
its place in its court's chain: the hash of the previous record and the hash
of its own content with that previous hash. The database lets these fields be
filled in once and nothing else ever change (migration core 0005).

At intervals `checkpoint` writes each chain's head — position and hash — to a
file outside the database, signed with the platform's Ed25519 key, which can
be handed to the court. `verify` walks each chain, recomputes every hash,
compares the chain with every checkpoint, and names the first broken record:
an edited record breaks its own hash, a deleted one leaves a gap, reordered
ones break the links, and a deleted tail is caught by a later checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core import bulk_writes
from core.models import AuditChain, AuditRecord

PLATFORM = "platform"
BATCH = 5000
GENESIS = "0" * 64


def chain_of(court_id: int | None) -> str:
    return f"court:{court_id}" if court_id is not None else PLATFORM


def content(record: AuditRecord) -> str:
    """The canonical text of what a record says (as read back from the database)."""
    return json.dumps(
        {
            "id": record.pk,
            "at": record.at.isoformat(),
            "actor_id": record.actor_id,
            "actor_label": record.actor_label,
            "court_id": record.court_id,
            "action": record.action,
            "object_type": record.object_type,
            "object_id": record.object_id,
            "before": record.before,
            "after": record.after,
            "note": record.note,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
    )


def record_hash(previous_hash: str, record: AuditRecord) -> str:
    return hashlib.sha256(f"{previous_hash}|{content(record)}".encode()).hexdigest()


def link_pending(limit: int = BATCH) -> int:
    """Give unlinked records their place in their chain; returns how many were linked."""
    with transaction.atomic():
        pending = list(
            AuditRecord.objects.select_for_update(skip_locked=True)
            .filter(record_hash="")
            .order_by("pk")[:limit]
        )
        if not pending:
            return 0
        heads = _lock_heads({chain_of(r.court_id) for r in pending})
        for record in pending:
            head = heads[chain_of(record.court_id)]
            head.last_sequence += 1
            record.chain = head.chain
            record.chain_sequence = head.last_sequence
            record.previous_hash = head.last_hash or GENESIS
            record.record_hash = record_hash(record.previous_hash, record)
            head.last_hash = record.record_hash
        # One UPDATE a table (Django's bulk_update would compile a CASE per field and record:
        # most of the settler's CPU while a hot lot writes a record per bid).
        bulk_writes.execute(
            [
                *bulk_writes.update(
                    AuditRecord,
                    pending,
                    ["chain", "chain_sequence", "previous_hash", "record_hash"],
                ),
                *bulk_writes.update(
                    AuditChain, list(heads.values()), ["last_sequence", "last_hash"]
                ),
            ]
        )
    return len(pending)


def _lock_heads(chains: set[str]) -> dict[str, AuditChain]:
    for chain in sorted(chains):
        AuditChain.objects.get_or_create(chain=chain)
    return {
        head.chain: head
        for head in AuditChain.objects.select_for_update()
        .filter(chain__in=chains)
        .order_by("chain")
    }


# --- signing and checkpoints -----------------------------------------------------------------


def _key_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / "signing.key"


def signing_key() -> Ed25519PrivateKey:
    """The platform's key: AUDIT_SIGNING_KEY (base64 of 32 bytes), else one kept beside the
    checkpoints (created on first use, for development)."""
    configured = getattr(settings, "AUDIT_SIGNING_KEY", "")
    if configured:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(configured))
    path = _key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        from cryptography.hazmat.primitives import serialization

        raw = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        path.write_bytes(base64.b64encode(raw))
        path.chmod(0o600)
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_bytes()))


def public_key_text() -> str:
    from cryptography.hazmat.primitives import serialization

    raw = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()


def _payload(chain: str, sequence: int, hash_: str, at: str) -> bytes:
    return json.dumps(
        {"chain": chain, "sequence": sequence, "hash": hash_, "at": at},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def checkpoint(now: datetime | None = None) -> list[Path]:
    """Write every chain's head to a signed file outside the database; returns the files."""
    link_pending()
    now = now or timezone.now()
    key = signing_key()
    written = []
    for head in AuditChain.objects.filter(last_sequence__gt=0).order_by("chain"):
        at = now.isoformat()
        payload = _payload(head.chain, head.last_sequence, head.last_hash, at)
        document = {
            "chain": head.chain,
            "sequence": head.last_sequence,
            "hash": head.last_hash,
            "at": at,
            "public_key": public_key_text(),
            "signature": base64.b64encode(key.sign(payload)).decode(),
        }
        folder = Path(settings.AUDIT_CHECKPOINT_DIR) / head.chain.replace(":", "-")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{now:%Y%m%dT%H%M%S}-{head.last_sequence:012d}.json"
        path.write_text(json.dumps(document, indent=1))
        written.append(path)
    return written


def checkpoints(chain: str) -> Iterator[dict[str, Any]]:
    folder = Path(settings.AUDIT_CHECKPOINT_DIR) / chain.replace(":", "-")
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        yield {**json.loads(path.read_text()), "path": str(path)}


def signature_is_valid(document: dict[str, Any], public_key: str | None = None) -> bool:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key or public_key_text()))
    payload = _payload(document["chain"], document["sequence"], document["hash"], document["at"])
    try:
        key.verify(base64.b64decode(document["signature"]), payload)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    chain: str
    sequence: int
    record_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"record {self.record_id}" if self.record_id else "no record"
        return f"{self.chain} position {self.sequence} ({where}): {self.reason}"


def verify(chain: str) -> Problem | None:
    """Walk one chain and check it against its checkpoints; the first problem, or None."""
    expected_previous, sequence, hashes = GENESIS, 0, {}
    records = (
        AuditRecord.objects.filter(chain=chain)
        .exclude(chain_sequence=None)
        .order_by("chain_sequence")
        .iterator(chunk_size=2000)
    )
    for record in records:
        sequence += 1
        if record.chain_sequence != sequence:
            return Problem(
                chain,
                sequence,
                record.pk,
                f"a record is missing before this one (found position {record.chain_sequence})",
            )
        if record.previous_hash != expected_previous:
            return Problem(chain, sequence, record.pk, "its link to the previous record is broken")
        if record_hash(record.previous_hash, record) != record.record_hash:
            return Problem(
                chain, sequence, record.pk, "its content was changed after it was written"
            )
        expected_previous = record.record_hash
        hashes[sequence] = record.record_hash
    for document in checkpoints(chain):
        if not signature_is_valid(document, document.get("public_key")):
            return Problem(
                chain,
                document["sequence"],
                None,
                f"checkpoint {document['path']} has a bad signature",
            )
        if document["sequence"] > sequence:
            return Problem(
                chain,
                sequence + 1,
                None,
                f"records after position {sequence} are missing; checkpoint "
                f"{document['path']} saw position {document['sequence']}",
            )
        if hashes.get(document["sequence"]) != document["hash"]:
            return Problem(
                chain,
                document["sequence"],
                None,
                f"the chain differs from checkpoint {document['path']}",
            )
    return None


def chains() -> list[str]:
    known = set(AuditChain.objects.values_list("chain", flat=True))
    for path in Path(settings.AUDIT_CHECKPOINT_DIR).glob("*/*.json"):
        known.add(json.loads(path.read_text())["chain"])
    return sorted(known)


def verify_all() -> list[Problem]:
    return [problem for chain in chains() if (problem := verify(chain)) is not None]
