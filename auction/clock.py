"""The auction clock: opens lots at their start, closes them after their end, compensates outages.

`tick(now)` is one pass; `manage.py run_auction_clock` calls it a few times a
second with the database's time. Several clocks may run at once: each lot is
taken with SKIP LOCKED and closed under its lock, and a lot's status is
checked under that lock, so every lot opens once and closes once.

A close has two steps (`lifecycle.decide_close`, then `lifecycle.settle_lot`):
a pass decides every due lot before it settles any, so watchers learn of a
close within a second of the end even when a thousand lots end together, and
the settlements (deposits, assets, balances) follow in their own transactions.
A decided lot not yet settled (a clock killed between the two) is settled by
the next pass.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet

from auction import events, locks, notifications, questions, saved_searches
from auction.bidding import rules as bidding_rules
from auction.models import Lot, Outage
from auction.services import lifecycle, viewings
from core import audit_chain

logger = logging.getLogger(__name__)

PLATFORM = "platform"
# No beat for this long means the platform was down.
OUTAGE_THRESHOLD = timedelta(seconds=15)
BATCH = 500
# Lots a settling process settles per transaction round before it looks again.
SETTLE_BATCH = 10
# Due lots a closing process decides per transaction (one commit): enough to share the
# commits of a storm of closes, few enough that the first of them is told within milliseconds.
CLOSE_BATCH = 8
LOCK_WAIT_MS = 300


@dataclass
class TickReport:
    opened: int = 0
    closed: int = 0
    settled: int = 0
    extended: int = 0
    notified: int = 0


def beat(now: datetime) -> Outage | None:
    """Record that the platform is running; returns the outage this beat ended, if any."""
    with transaction.atomic():
        heartbeat, created = locks.heartbeat(PLATFORM, now)
        if created:
            return None
        last = heartbeat.beat_at
        if now <= last:
            return None
        heartbeat.beat_at = now
        heartbeat.save(update_fields=["beat_at"])
        if now - last > OUTAGE_THRESHOLD:
            logger.warning("the platform was down from %s to %s", last, now)
            return Outage.objects.create(started_at=last, ended_at=now)
    return None


def compensate_outages(now: datetime) -> int:
    """Extend every open lot whose final soft-close window overlapped an outage.

    The new end is the old one plus the outage's length plus the window, and
    watchers are told why. Each outage is compensated once.
    """
    extended = 0
    with transaction.atomic():
        for outage in locks.claim_outages():
            extended += _compensate(outage)
            outage.compensated_at = now
            outage.save(update_fields=["compensated_at"])
    return extended


def _compensate(outage: Outage) -> int:
    length = outage.ended_at - outage.started_at
    count = 0
    # The lots only (OF): their auctions are read for the window (docs/concurrency.md, "The
    # global order").
    for lot in locks.open_lots_ending_since(outage.started_at):
        window = timedelta(
            seconds=int((lot.auction.rules or {}).get("soft_close_window_seconds", 180))
        )
        if lot.ends_at - window > outage.ended_at:
            continue  # its final window began after the platform came back
        lot.ends_at = lot.ends_at + length + window
        lot.save(update_fields=["ends_at"])
        events.publish_after_commit(
            [events.extended_frame(lot, lot.seq, lot.ends_at, reason="outage")]
        )
        count += 1
    return count


def _due(status: str, field: str, now: datetime, grace: timedelta) -> list[int]:
    return list(
        Lot.objects.filter(status=status, **{f"{field}__lte": now - grace})
        .order_by(field)
        .values_list("pk", flat=True)[:BATCH]
    )


def _try(
    action: str, lot_id: int, now: datetime, *, wait: bool, failed: set[int] | None = None
) -> bool | None:
    """Open or close one lot; None when its row is locked (by another clock or a bid batch).

    Without `wait` a locked lot is skipped at once (SKIP LOCKED), so several
    clocks spread the work; with `wait` the clock waits briefly for a bid batch
    to commit (they take milliseconds), then decides under the lock.
    """
    try:
        with transaction.atomic():
            if wait:
                _lock_timeout(LOCK_WAIT_MS)
            elif not locks.lot_unless_held(lot_id):
                return None
            if action == "open":
                return lifecycle.open_lot(lot_id=lot_id, now=now) is not None
            if action == "close":
                return lifecycle.decide_close(lot_id=lot_id, now=now) is not None
            return lifecycle.settle_lot(lot_id=lot_id) is not None
    except OperationalError:
        return None  # still locked: the next pass tries again
    except Exception:  # one lot's failure must not hold up the others
        logger.exception("could not %s lot %s; the next pass retries", action, lot_id)
        if failed is not None:
            failed.add(lot_id)
        return False


def _lock_timeout(milliseconds: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{int(milliseconds)}ms'")


def _run(action: str, lot_ids: list[int], now: datetime, failed: set[int] | None = None) -> int:
    """Act on each lot; the ids of those that failed go into `failed`."""
    done, skipped = 0, []
    for lot_id in lot_ids:
        result = _try(action, lot_id, now, wait=False, failed=failed)
        if result is None:
            skipped.append(lot_id)
        done += bool(result)
    if skipped:  # locked a moment ago, by another clock or a bid batch: most are decided by now
        waiting = _waiting(action).filter(pk__in=skipped).order_by("pk")
        for lot_id in waiting.values_list("pk", flat=True):
            done += bool(_try(action, lot_id, now, wait=True, failed=failed))
    return done


def _waiting(action: str) -> QuerySet[Lot]:
    if action == "open":
        return Lot.objects.filter(status=Lot.Status.SCHEDULED)
    if action == "close":
        return Lot.objects.filter(status=Lot.Status.OPEN)
    return Lot.objects.filter(
        status__in=[Lot.Status.SOLD, Lot.Status.UNSOLD], settled_at__isnull=True
    )


def open_due(now: datetime) -> int:
    """Open every scheduled lot whose start has come."""
    return _run("open", _due(Lot.Status.SCHEDULED, "starts_at", now, timedelta(0)), now)


def close_due(now: datetime) -> int:
    """Decide every lot whose end (and grace) has passed; several processes may run this at once.

    The due lots are claimed CLOSE_BATCH at a time, earliest end first, with SKIP LOCKED,
    and each claim is decided in one transaction, one write and one commit: two closers take
    different lots instead of queueing on the same ones, and a storm of closes shares its
    round trips and commits. A claim that fails is decided again lot by lot, each in a
    savepoint, so one that fails is logged and left for the next pass while the others
    close. Lots still due after that were locked a moment ago (by a bid batch, or by another
    closer): each is then waited for briefly, as `_run` does.
    """
    grace = bidding_rules.CLOSE_GRACE + timedelta(microseconds=1)
    done, failed = 0, set[int]()
    while True:
        before = (done, len(failed))
        with transaction.atomic():
            claimed = locks.claim_due_lots(now - grace, failed, CLOSE_BATCH)
            try:
                with transaction.atomic():
                    done += len(lifecycle.decide_locked_closes(claimed, now))
            except Exception:  # then each on its own: one lot's failure must not hold up the others
                for lot in claimed:  # read again: the failed attempt changed them in memory
                    try:
                        with transaction.atomic():
                            done += lifecycle.decide_close(lot_id=lot.pk, now=now) is not None
                    except Exception:
                        logger.exception("could not close lot %s; the next pass retries", lot.pk)
                        failed.add(lot.pk)
        if len(claimed) < CLOSE_BATCH or (done, len(failed)) == before:
            break
    still_due = [pk for pk in _due(Lot.Status.OPEN, "ends_at", now, grace) if pk not in failed]
    return done + _run("close", still_due, now)


# Settlements that failed in this process: lot -> (when to try it again, on the monotonic
# clock; failures so far). A lot whose settlement keeps failing waits twice as long each time,
# up to SETTLE_RETRY_MAX seconds, so it never holds up the lots decided after it.
_settle_retry: dict[int, tuple[float, int]] = {}
SETTLE_RETRY_MAX = 300.0


def _settle_waiting() -> QuerySet[Lot]:
    """Decided closes to settle, less those waiting to be tried again after a failure."""
    moment = time.monotonic()
    backing_off = [lot_id for lot_id, (at, _count) in _settle_retry.items() if at > moment]
    return _waiting("settle").exclude(pk__in=backing_off)


def settle_due(now: datetime, limit: int = BATCH) -> int:
    """Settle up to `limit` decided closes, the earliest first; a failed one is tried again
    later, after the others."""
    lot_ids = list(_settle_waiting().order_by("closed_at").values_list("pk", flat=True)[:limit])
    failed: set[int] = set()
    done = _run("settle", lot_ids, now, failed)
    for lot_id in lot_ids:
        if lot_id in failed:
            count = _settle_retry.get(lot_id, (0.0, 0))[1] + 1
            _settle_retry[lot_id] = (time.monotonic() + min(2.0**count, SETTLE_RETRY_MAX), count)
        else:
            _settle_retry.pop(lot_id, None)
    return done


def to_settle() -> bool:
    """Whether a decided close waits for its settlement (and is not waiting to be retried)."""
    return _settle_waiting().exists()


def seconds_to_next(now: datetime) -> float | None:
    """Seconds from `now` until the next lot is due to open or to close; None if none waits.

    The clock sleeps until then (never longer than its interval), so a close does not
    wait for the next fixed beat: its lag is the grace and the pass, not the interval too.
    """
    start = (
        Lot.objects.filter(status=Lot.Status.SCHEDULED)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    end = (
        Lot.objects.filter(status=Lot.Status.OPEN)
        .order_by("ends_at")
        .values_list("ends_at", flat=True)
        .first()
    )
    due = [moment for moment in (start, end and end + bidding_rules.CLOSE_GRACE) if moment]
    if not due:
        return None
    return max(0.0, (min(due) - now).total_seconds())


def tick(now: datetime, *, settle: int = BATCH) -> TickReport:
    """One whole pass of the clock at `now` (the database's time), everything in turn.

    The embedded clock and `run_auction_clock --once` run this; the clock's
    processes share its parts (`run_auction_clock`). `settle` bounds the
    settlements of this pass.
    """
    report = TickReport()
    beat(now)
    report.extended = compensate_outages(now)
    report.opened = open_due(now)
    report.closed = close_due(now)
    report.settled = settle_due(now, settle)
    report.notified = notify(now)
    audit_chain.link_pending()
    return report


def notify(now: datetime) -> int:
    """One pass of notices: closing soon for watched lots, then the pending ones delivered."""
    notifications.closing_soon(now)
    delivered = notifications.deliver_pending(now)
    # New lots told to the saved searches that match them, and answers told to their askers.
    saved_searches.match_new_lots(now)
    saved_searches.deliver_alerts(now)
    questions.deliver_notices(now)
    # Viewing bookings confirmed, and their bidders reminded before the viewing.
    viewings.deliver_notices(now)
    return delivered
