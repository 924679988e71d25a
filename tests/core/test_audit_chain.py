"""The tamper-evident audit trail: one linear chain per court, checkpoints, a verifier that names
the first broken record."""

from __future__ import annotations

import json
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from core import audit, audit_chain
from core.models import AuditChain, AuditRecord
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_checkpoint_folder(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


def write_records(count: int, court=None) -> list[AuditRecord]:
    user = make_user()
    return [
        audit.record(
            actor=user,
            action="test.changed",
            obj=user,
            after={"n": n},
            court_id=court.pk if court else None,
        )
        for n in range(count)
    ]


@contextmanager
def tampering():
    """What someone with the table owner's rights could do: switch the guard off for a moment."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks may be pending
        cursor.execute("ALTER TABLE core_auditrecord DISABLE TRIGGER core_auditrecord_append_only")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE core_auditrecord ENABLE TRIGGER core_auditrecord_append_only"
            )


def test_records_are_linked_into_one_chain_per_court_and_verify(court, other_court):
    write_records(3, court)
    write_records(2, other_court)
    write_records(2)

    audit_chain.link_pending()

    assert audit_chain.verify_all() == []
    heads = dict(AuditChain.objects.values_list("chain", "last_sequence"))
    assert heads[f"court:{court.pk}"] >= 3
    assert heads[f"court:{other_court.pk}"] >= 2
    first = AuditRecord.objects.filter(chain=f"court:{court.pk}").order_by("chain_sequence")[0]
    assert first.previous_hash == audit_chain.GENESIS


def test_once_linked_a_record_cannot_be_changed_even_in_its_chain_fields(court):
    record = write_records(1, court)[0]
    audit_chain.link_pending()

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditrecord SET record_hash = %s WHERE id = %s", ["f" * 64, record.pk]
        )


def test_an_edited_record_is_named_as_the_first_broken_one(court):
    records = write_records(5, court)
    audit_chain.link_pending()
    target = AuditRecord.objects.get(pk=records[2].pk)

    with tampering(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditrecord SET after = %s WHERE id = %s",
            [json.dumps({"n": 999}), target.pk],
        )

    problem = audit_chain.verify(f"court:{court.pk}")
    assert problem is not None
    assert problem.record_id == target.pk
    assert problem.sequence == target.chain_sequence
    assert "changed" in problem.reason


def test_a_deleted_record_in_the_middle_is_found(court):
    records = write_records(5, court)
    audit_chain.link_pending()
    gone = AuditRecord.objects.get(pk=records[1].pk)

    with tampering(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditrecord WHERE id = %s", [gone.pk])

    problem = audit_chain.verify(f"court:{court.pk}")
    assert problem is not None
    assert problem.sequence == gone.chain_sequence
    assert "missing" in problem.reason


def test_two_swapped_records_are_found(court):
    records = write_records(4, court)
    audit_chain.link_pending()
    first, second = (AuditRecord.objects.get(pk=r.pk) for r in records[1:3])

    with tampering(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditrecord SET chain_sequence = NULL WHERE id = %s", [first.pk]
        )
        cursor.execute(
            "UPDATE core_auditrecord SET chain_sequence = %s WHERE id = %s",
            [first.chain_sequence, second.pk],
        )
        cursor.execute(
            "UPDATE core_auditrecord SET chain_sequence = %s WHERE id = %s",
            [second.chain_sequence, first.pk],
        )

    problem = audit_chain.verify(f"court:{court.pk}")
    assert problem is not None
    assert problem.sequence == first.chain_sequence
    assert problem.record_id == second.pk


def test_a_deleted_tail_is_caught_by_the_last_checkpoint(court):
    records = write_records(4, court)
    [checkpoint] = audit_chain.checkpoint()
    last = AuditRecord.objects.get(pk=records[-1].pk)

    with tampering(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditrecord WHERE id = %s", [last.pk])

    problem = audit_chain.verify(f"court:{court.pk}")
    assert problem is not None
    assert problem.sequence == last.chain_sequence
    assert str(checkpoint) in problem.reason


def test_a_forged_checkpoint_is_refused(court):
    write_records(2, court)
    [checkpoint] = audit_chain.checkpoint()
    document = json.loads(Path(checkpoint).read_text())
    document["sequence"] += 5
    Path(checkpoint).write_text(json.dumps(document))

    problem = audit_chain.verify(f"court:{court.pk}")

    assert problem is not None
    assert "signature" in problem.reason


def test_the_command_verifies_and_names_the_first_broken_record(court, capsys):
    records = write_records(3, court)
    call_command("audit_chain", "checkpoint")
    call_command("audit_chain", "verify")
    assert "every chain verifies" in capsys.readouterr().out
    target = AuditRecord.objects.get(pk=records[0].pk)

    with tampering(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditrecord SET note = 'forged' WHERE id = %s", [target.pk])

    with pytest.raises(CommandError):
        call_command("audit_chain", "verify")
    assert f"record {target.pk}" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_thousands_of_appends_from_eight_writers_form_one_linear_chain(court):
    user = make_user()
    barrier = threading.Barrier(8)

    def writer() -> None:
        try:
            barrier.wait()
            for n in range(250):
                with transaction.atomic():
                    audit.record(
                        actor=user,
                        action="test.concurrent",
                        obj=user,
                        after={"n": n},
                        court_id=court.pk,
                    )
                if n % 50 == 0:
                    audit_chain.link_pending()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    while audit_chain.link_pending():
        pass

    chain = f"court:{court.pk}"
    sequences = list(
        AuditRecord.objects.filter(chain=chain)
        .order_by("chain_sequence")
        .values_list("chain_sequence", flat=True)
    )
    assert sequences == list(range(1, len(sequences) + 1))
    assert len(sequences) >= 2000
    assert audit_chain.verify(chain) is None
    assert not AuditRecord.objects.filter(record_hash="").exists()


def test_checkpoints_live_outside_the_database_and_carry_the_public_key(court):
    write_records(1, court)

    [path] = audit_chain.checkpoint()

    document = json.loads(Path(path).read_text())
    assert Path(path).is_relative_to(settings.AUDIT_CHECKPOINT_DIR)
    assert document["public_key"] == audit_chain.public_key_text()
    assert audit_chain.signature_is_valid(document)
    shutil.rmtree(settings.AUDIT_CHECKPOINT_DIR)
