"""Backups with point-in-time recovery: archive, bid and pay, restore to a named point, check.

A stack of its own whose PostgreSQL archives its WAL into a pgBackRest repository in a
temporary folder (scripts/backup.sh enable-archiving, then `scripts/backup.sh` for the first,
full backup). Real bidders bid through the web processes and card deposits are paid through
stripe-mock and the worker; a checkpoint of the audit chains is written; a named restore point
is marked (scripts/backup.sh restore-point); then the lot closes, the clock settles it, the
worker refunds the losers' deposits and another checkpoint is written. The stack stops, and
the repository is restored into a fresh data directory up to the named point
(scripts/backup.sh restore) and started. There: every bid and deposit of before the point and
nothing of after, the invariants (tests/faults/invariants.py) with the ledger summing to zero,
and `audit_chain verify` once `audit_chain restored` has set aside the checkpoint written after
the point, as docs/operations.md tells the operator to do.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.faults import invariants
from tests.faults.provider import all_done, pay_deposits, register_by_card, wait_until
from tests.faults.sale import accepted_count, clients_for, db_now, joined, live_sale, wait_for
from tests.harness.aio import run
from tests.harness.servers import ARTIFACTS_LOGS, ROOT
from tests.harness.stack import Postgres, Stack, stack_database

pytestmark = [pytest.mark.faults, pytest.mark.servers]

BIDDERS = 3
SCRIPT = ROOT / "scripts" / "backup.sh"
LOGS = ARTIFACTS_LOGS / "backup-restore"


def backup_env(postgres: Postgres) -> dict[str, str]:
    return {
        **os.environ,
        "PGDATA": str(postgres.data),
        "PGPORT": str(postgres.port),
        "PGHOST": str(postgres.root),
        "BACKUP_DIR": str(postgres.root.parent / "backup"),
        "BACKUP_STANZA": "mazad",
        "BACKUP_FILES": "0",
    }


def backup(postgres: Postgres, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(SCRIPT), *args],
        env={**backup_env(postgres), **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, f"backup.sh {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def archiving(postgres: Postgres) -> None:
    """What an operator does once: archive the WAL into the repository, restart."""
    backup(postgres, "enable-archiving")
    postgres.stop("fast")
    postgres.start()


@pytest.fixture
def archived_stack(django_db_blocker):
    if shutil.which("pgbackrest") is None:
        pytest.fail("pgbackrest is missing: scripts/bootstrap.sh test-deps installs it")
    with Stack.started(LOGS, prepare=archiving) as stack, django_db_blocker.unblock():
        yield stack


def counts() -> dict[str, int]:
    from auction.models import Bid, Registration
    from payments.models import JournalEntry, Refund

    return {
        "bids": Bid.objects.count(),
        "held": Registration.objects.filter(deposit_status="HELD").count(),
        "refunds": Refund.objects.count(),
        "entries": JournalEntry.objects.count(),
    }


def test_a_restore_to_a_named_point_keeps_the_invariants_and_the_audit_chain(archived_stack):
    from auction.models import Lot
    from core import audit_chain

    stack = archived_stack
    backup(stack.postgres, env={"BACKUP_TYPE": "full"})
    assert "full backup" in backup(stack.postgres, "info")

    with stack_database(stack):
        # Before the point: deposits paid by card, then live bidding through the web processes.
        sale = live_sale(stack, bidders=0)
        lot, court = sale.lot, sale.court
        registrations = register_by_card(stack, sale, lot, BIDDERS)
        wait_until(
            all_done("payment_intent.create", court, BIDDERS), timeout=30, what="the intents"
        )
        pay_deposits(stack, registrations)
        wait_until(lambda: counts()["held"] == BIDDERS, timeout=30, what="the deposits to be held")
        bidders, watchers = clients_for(stack, sale, lot, watchers=1)

        async def bidding():
            for client in bidders + watchers:
                client.start(bid=True)
            await joined(bidders + watchers)
            await wait_for(lambda: accepted_count(bidders) >= 8, timeout=30, what="bids")
            await asyncio.gather(*(client.settle() for client in bidders + watchers))
            await asyncio.gather(*(client.stop() for client in bidders + watchers))

        run(bidding)
        report = invariants.check_clients(lot.pk, bidders + watchers)
        assert not report.violations, report.violations
        while audit_chain.link_pending():
            pass
        audit_chain.checkpoint()
        at_point = counts()
        assert at_point["bids"] >= 8

        name, restored_to = backup(stack.postgres, "restore-point", "before-the-close").split()
        assert name == "before-the-close"

        # After the point: the lot closes and settles; the losers' deposits are refunded.
        now = db_now()
        Lot.objects.filter(pk=lot.pk).update(ends_at=now, original_ends_at=now)
        wait_until(all_done("refund.create", court, BIDDERS - 1), timeout=60, what="the refunds")
        wait_until(lambda: counts()["refunds"] == BIDDERS - 1, timeout=30, what="refunds")
        while audit_chain.link_pending():
            pass
        [newer] = [path for path in audit_chain.checkpoint() if f"court-{court.pk}" in path]
        after_point = counts()
        assert after_point["refunds"] == BIDDERS - 1
        assert after_point["entries"] > at_point["entries"]
        backup(stack.postgres, "check")  # the WAL up to now is in the repository

    # The machine is lost: every process stops; the data directory is not used again.
    for process in reversed(stack.processes()):
        process.kill()
    original = stack.postgres
    original.stop("immediate")
    restored = Postgres(original.root.parent / "restored", LOGS / "restored")
    restored.root.mkdir(parents=True)
    shutil.chown(restored.root, "postgres", "postgres")
    backup(original, "restore", str(restored.data), "name", "before-the-close")
    restored.start()
    stack.postgres = restored  # the stack's teardown stops it
    # It answers (read-only) while it replays the WAL, and is promoted once at the point.
    wait_until(
        lambda: restored.psql("select pg_is_in_recovery()") == "f",
        timeout=60,
        what="the restored cluster to reach the point and be promoted",
    )
    assert "before-the-close" in restored.log_path.read_text()

    with stack_database(stack):
        found = counts()
        assert found["bids"] >= at_point["bids"]
        assert found["bids"] <= after_point["bids"]
        assert found["held"] == BIDDERS
        assert found["refunds"] == 0, "nothing of after the point"
        assert Lot.objects.get(pk=lot.pk).status == "OPEN"

        # The checkpoints written after the point saw records the restore took back.
        problems = audit_chain.verify_all()
        assert problems, "verify alone reads the restore as a deleted tail"
        assert any(problem.chain == f"court:{court.pk}" for problem in problems), problems

        call_command("audit_chain", "restored", "--to", restored_to, "--reason", "restore test")

        assert Path(newer).exists() is False, "set aside"
        assert audit_chain.verify_all() == []
        report = invariants.check()
        assert not report.violations, "\n".join(report.violations)
        assert report.counts["journal_entries"] == found["entries"]
        totals = invariants._rows(
            "select a.currency, sum(p.amount_minor) from payments_posting p "
            "join payments_ledgeraccount a on a.id = p.account_id group by a.currency"
        )
        assert totals
        assert all(total == 0 for _currency, total in totals), totals
