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
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core import audit, bulk_writes, locks
from core.audit import SYSTEM
from core.models import AuditChain, AuditRecord
from core.storage import audit_storage, where

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
        pending = locks.claim_unlinked_records(limit)
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
    return locks.chain_heads(chains)


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


def _sign(key: Ed25519PrivateKey, payload: bytes) -> str:
    return base64.b64encode(key.sign(payload)).decode()


def _folder(chain: str) -> str:
    return chain.replace(":", "-")


def checkpoint(now: datetime | None = None) -> list[str]:
    """Write every chain's head to a signed file in the audit store (core/storage.py, the
    local disk or a write-once bucket); returns where each file went."""
    link_pending()
    heads = list(AuditChain.objects.filter(last_sequence__gt=0).order_by("chain"))
    # Stamped after the heads were read: everything a checkpoint names was written before it.
    now = now or timezone.now()
    key = signing_key()
    store = audit_storage()
    written = []
    for head in heads:
        at = now.isoformat()
        payload = _payload(head.chain, head.last_sequence, head.last_hash, at)
        document = {
            "chain": head.chain,
            "sequence": head.last_sequence,
            "hash": head.last_hash,
            "at": at,
            "public_key": public_key_text(),
            "signature": _sign(key, payload),
        }
        name = f"{_folder(head.chain)}/{now:%Y%m%dT%H%M%S}-{head.last_sequence:012d}.json"
        # Never over an earlier file: the store picks a fresh name if this one is taken.
        saved = store.save(name, ContentFile(json.dumps(document, indent=1).encode()))
        written.append(where(store, saved))
    return written


def _read(name: str) -> dict[str, Any]:
    with audit_storage().open(name, "rb") as file:
        document: dict[str, Any] = json.loads(file.read())
    return document


def _names(folder: str) -> list[str]:
    store = audit_storage()
    try:
        _dirs, files = store.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(f"{folder}/{name}" for name in files if name.endswith(".json"))


def checkpoints(chain: str) -> Iterator[dict[str, Any]]:
    """A chain's checkpoints in the order written, each with its `name` and `path` (where)."""
    store = audit_storage()
    for name in _names(_folder(chain)):
        yield {**_read(name), "name": name, "path": where(store, name)}


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


def _walk(chain: str) -> tuple[dict[int, str], Problem | None]:
    """The chain's hash at each position, and its first broken record."""
    expected_previous, hashes = GENESIS, dict[int, str]()
    records = (
        AuditRecord.objects.filter(chain=chain)
        .exclude(chain_sequence=None)
        .order_by("chain_sequence")
        .iterator(chunk_size=2000)
    )
    for sequence, record in enumerate(records, start=1):
        if record.chain_sequence != sequence:
            return hashes, Problem(
                chain,
                sequence,
                record.pk,
                f"a record is missing before this one (found position {record.chain_sequence})",
            )
        if record.previous_hash != expected_previous:
            return hashes, Problem(
                chain, sequence, record.pk, "its link to the previous record is broken"
            )
        if record_hash(record.previous_hash, record) != record.record_hash:
            return hashes, Problem(
                chain, sequence, record.pk, "its content was changed after it was written"
            )
        expected_previous = record.record_hash
        hashes[sequence] = record.record_hash
    return hashes, None


def _disagreement(document: dict[str, Any], hashes: dict[int, str]) -> Problem | None:
    """How a checkpoint disagrees with the chain's hashes (None when it agrees)."""
    chain, length = document["chain"], len(hashes)
    if document["sequence"] > length:
        return Problem(
            chain,
            length + 1,
            None,
            f"records after position {length} are missing; checkpoint "
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


def verify(chain: str) -> Problem | None:
    """Walk one chain and check it against its checkpoints; the first problem, or None.

    Checkpoints that a recorded restore set aside (see `restored`) are not compared: they
    describe records the restore took back, and stay in the store for the court to read.
    """
    hashes, problem = _walk(chain)
    if problem is not None:
        return problem
    set_aside, problem = _set_aside(chain)
    if problem is not None:
        return problem
    for document in checkpoints(chain):
        if document["name"] in set_aside:
            continue
        if not signature_is_valid(document, document.get("public_key")):
            return Problem(
                chain,
                document["sequence"],
                None,
                f"checkpoint {document['path']} has a bad signature",
            )
        if (problem := _disagreement(document, hashes)) is not None:
            return problem
    return None


def chains() -> list[str]:
    known = set(AuditChain.objects.values_list("chain", flat=True))
    try:
        folders, _files = audit_storage().listdir("")
    except FileNotFoundError:
        folders = []
    for folder in folders:
        if folder == PLATFORM or folder.startswith("court-"):
            known.add(folder.replace("-", ":", 1))
    return sorted(known)


def verify_all() -> list[Problem]:
    return [problem for chain in chains() if (problem := verify(chain)) is not None]


# --- after a restore of the database -------------------------------------------------------------

RESTORES = "restores"
SUPERSEDED = "superseded"


class RestoreRefused(Exception):
    """The chain cannot be explained by a restore to the given moment: it looks tampered with."""


@dataclass(frozen=True)
class Restore:
    record: str  # where the signed restore record went
    set_aside: list[str]  # checkpoints newer than the restore point that the chain contradicts
    kept: int  # checkpoints that agree with the restored chain


def _restore_payload(document: dict[str, Any]) -> bytes:
    # What was signed: the record without its signature and key, or where it was read from.
    unsigned = {
        k: v for k, v in document.items() if k not in ("signature", "public_key", "name", "path")
    }
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()


def restore_records() -> list[dict[str, Any]]:
    store = audit_storage()
    return [{**_read(name), "name": name, "path": where(store, name)} for name in _names(RESTORES)]


def _set_aside(chain: str) -> tuple[set[str], Problem | None]:
    """The names of the chain's checkpoints set aside by signed restore records."""
    names: set[str] = set()
    for document in restore_records():
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["public_key"]))
        try:
            key.verify(base64.b64decode(document["signature"]), _restore_payload(document))
        except (InvalidSignature, ValueError):
            return names, Problem(
                chain, 0, None, f"restore record {document['path']} has a bad signature"
            )
        names.update(item["name"] for item in document["set_aside"] if item["chain"] == chain)
    return names, None


def restored(restored_to: datetime, *, reason: str, actor_label: str = SYSTEM) -> Restore:
    """Record that the database was restored to `restored_to` (docs/operations.md).

    Run after a point-in-time restore and before the web processes, the clock and the worker
    start again. Every chain must verify, and every checkpoint written up to the restore point
    must agree with it: anything else is not explained by the restore, and nothing is changed.
    Checkpoints written after the restore point that the restored chain contradicts (they saw
    records the restore took back) are set aside: copied under superseded/<moment>/, the
    original removed where the store allows (a write-once bucket keeps it), and named in a
    restore record signed with the platform's key, which `verify` reads. Nothing is deleted.
    The restore itself becomes an audit record, and a fresh checkpoint covers it.
    """
    while link_pending():
        pass
    newest = AuditRecord.objects.order_by("-at").values_list("at", flat=True).first()
    if newest is not None and newest > restored_to:
        raise RestoreRefused(
            f"the database holds an audit record of {newest.isoformat()}, after the restore "
            f"point {restored_to.isoformat()}: give the moment the database was restored to, "
            "and run this before the platform's processes start"
        )
    set_aside: list[dict[str, Any]] = []
    kept = 0
    for chain in chains():
        hashes, problem = _walk(chain)
        if problem is not None:
            raise RestoreRefused(f"the restored chain is broken: {problem}")
        already, problem = _set_aside(chain)
        if problem is not None:
            raise RestoreRefused(str(problem))
        for document in checkpoints(chain):
            if document["name"] in already:
                continue
            if not signature_is_valid(document, document.get("public_key")):
                raise RestoreRefused(f"checkpoint {document['path']} has a bad signature")
            disagreement = _disagreement(document, hashes)
            if disagreement is None:
                kept += 1
            elif datetime.fromisoformat(document["at"]) <= restored_to:
                raise RestoreRefused(
                    f"checkpoint {document['path']} was written before the restore point and "
                    f"the restored chain disagrees with it: {disagreement}"
                )
            else:
                set_aside.append(document)

    now = timezone.now()
    stamp = f"{now:%Y%m%dT%H%M%S}"
    store = audit_storage()
    moved = []
    for document in set_aside:
        with store.open(document["name"], "rb") as file:
            copy = store.save(f"{SUPERSEDED}/{stamp}/{document['name']}", ContentFile(file.read()))
        try:
            store.delete(document["name"])
            removed = True
        except Exception:  # a write-once store refuses: the original stays, named below
            removed = False
        moved.append(
            {
                "name": document["name"],
                "chain": document["chain"],
                "sequence": document["sequence"],
                "hash": document["hash"],
                "at": document["at"],
                "copy": copy,
                "original_removed": removed,
            }
        )
    key = signing_key()
    record_document: dict[str, Any] = {
        "kind": "restore",
        "restored_to": restored_to.isoformat(),
        "recorded_at": now.isoformat(),
        "recorded_by": actor_label,
        "reason": reason,
        "heads": {
            head.chain: {"sequence": head.last_sequence, "hash": head.last_hash}
            for head in AuditChain.objects.order_by("chain")
        },
        "set_aside": moved,
    }
    record_document["public_key"] = public_key_text()
    record_document["signature"] = _sign(key, _restore_payload(record_document))
    name = store.save(
        f"{RESTORES}/{stamp}.json",
        ContentFile(json.dumps(record_document, indent=1, ensure_ascii=False).encode()),
    )
    with transaction.atomic():
        head, _created = AuditChain.objects.get_or_create(chain=PLATFORM)
        audit.record(
            actor=None,
            action="audit.restored",
            obj=head,
            after={
                "restored_to": restored_to.isoformat(),
                "restore_record": name,
                "set_aside": [item["name"] for item in moved],
            },
            note=reason,
        )
    checkpoint()
    return Restore(where(store, name), [item["name"] for item in moved], kept)
