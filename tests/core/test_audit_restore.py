"""After a point-in-time restore of the database: `audit_chain restored` (docs/operations.md).

A restore takes back the records written after its moment, so checkpoints written after it
saw a longer chain, and `verify` alone would call that tampering. The procedure checks every
checkpoint up to the restore point against the restored chain, sets aside (never deletes) the
newer ones the chain contradicts, records the restore in a signed record and in the audit
trail, and then the chain verifies. What a restore does not explain is still refused.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from core import audit, audit_chain
from core.models import AuditChain, AuditRecord
from core.storage import audit_storage
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_checkpoint_folder(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


def write_records(count: int, court=None) -> list[AuditRecord]:
    user = make_user()
    records = [
        audit.record(
            actor=user,
            action="test.changed",
            obj=user,
            after={"n": n},
            court_id=court.pk if court else None,
        )
        for n in range(count)
    ]
    while audit_chain.link_pending():
        pass
    return records


def newer_checkpoint(chain: str, at, extra: int = 3) -> str:
    """A checkpoint as the platform wrote it before the restore took its records back: signed,
    `extra` positions past the chain's head."""
    head = AuditChain.objects.get(chain=chain)
    sequence, hash_ = head.last_sequence + extra, "f" * 64
    payload = audit_chain._payload(chain, sequence, hash_, at.isoformat())
    document = {
        "chain": chain,
        "sequence": sequence,
        "hash": hash_,
        "at": at.isoformat(),
        "public_key": audit_chain.public_key_text(),
        "signature": base64.b64encode(audit_chain.signing_key().sign(payload)).decode(),
    }
    name = f"{chain.replace(':', '-')}/{at:%Y%m%dT%H%M%S}-{sequence:012d}.json"
    return audit_storage().save(name, ContentFile(json.dumps(document).encode()))


def test_newer_checkpoints_are_set_aside_with_a_signed_record_and_an_audit_record(court):
    write_records(3, court)
    [kept] = audit_chain.checkpoint()
    restored_to = timezone.now()
    stale = newer_checkpoint(f"court:{court.pk}", restored_to + timedelta(minutes=5))
    [problem] = audit_chain.verify_all()
    assert "are missing" in problem.reason  # what verify says before the procedure

    output = io.StringIO()
    call_command(
        "audit_chain",
        "restored",
        "--to",
        restored_to.isoformat(),
        "--reason",
        "disk",
        stdout=output,
    )

    assert f"set aside {stale}" in output.getvalue()
    assert f"restored to {restored_to.isoformat()}" in output.getvalue()
    assert "every chain verifies" in output.getvalue()

    root = Path(settings.AUDIT_CHECKPOINT_DIR)
    assert Path(kept).exists()
    assert not (root / stale).exists(), "moved aside"
    [copy] = list((root / "superseded").rglob("*.json"))
    assert copy.name == Path(stale).name
    assert (
        json.loads(copy.read_text())["sequence"]
        == json.loads(Path(kept).read_text())["sequence"] + 3
    )
    [record] = audit_chain.restore_records()
    assert record["restored_to"] == restored_to.isoformat()
    assert record["reason"] == "disk"
    assert [item["name"] for item in record["set_aside"]] == [stale]
    assert record["set_aside"][0]["original_removed"] is True
    event = AuditRecord.objects.get(action="audit.restored")
    assert event.note == "disk"
    assert event.after["set_aside"] == [stale]
    assert audit_chain.verify_all() == []
    # The restore itself is checkpointed at once.
    platform = list(audit_chain.checkpoints(audit_chain.PLATFORM))
    assert platform[-1]["sequence"] == AuditChain.objects.get(chain="platform").last_sequence


def test_a_checkpoint_from_before_the_restore_point_that_disagrees_is_refused(court):
    write_records(2, court)
    restored_to = timezone.now()
    newer_checkpoint(f"court:{court.pk}", restored_to - timedelta(minutes=1))

    with pytest.raises(audit_chain.RestoreRefused, match="before the restore point"):
        audit_chain.restored(restored_to, reason="claimed restore")

    assert not AuditRecord.objects.filter(action="audit.restored").exists()
    assert audit_chain.restore_records() == []
    assert audit_chain.verify_all() != []


def test_a_restore_point_older_than_the_newest_record_is_refused(court):
    restored_to = timezone.now()
    write_records(1, court)

    with pytest.raises(CommandError, match="after the restore point"):
        call_command("audit_chain", "restored", "--to", restored_to.isoformat(), "--reason", "x")


def test_a_forged_restore_record_is_reported_by_verify(court):
    write_records(2, court)
    restored_to = timezone.now()
    newer_checkpoint(f"court:{court.pk}", restored_to + timedelta(minutes=1))
    audit_chain.restored(restored_to, reason="disk")
    [record] = audit_chain.restore_records()
    path = Path(settings.AUDIT_CHECKPOINT_DIR) / record["name"]
    forged = json.loads(path.read_text())
    forged["restored_to"] = (restored_to - timedelta(days=1)).isoformat()
    path.write_text(json.dumps(forged))

    problems = audit_chain.verify_all()

    assert problems
    assert "bad signature" in problems[0].reason


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--reason", "disk"], "--to"),
        (["--to", "2026-12-06T17:03:00", "--reason", "disk"], "time zone"),
        (["--to", "yesterday", "--reason", "disk"], "not a date"),
        (["--to", "2026-12-06T17:03:00+03:00"], "--reason"),
    ],
)
def test_the_command_names_what_is_missing(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("audit_chain", "restored", *arguments)
    assert not AuditRecord.objects.filter(action="audit.restored").exists()
