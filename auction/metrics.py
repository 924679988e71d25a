"""Auction metrics: lot sockets and resumes, bid batches, the clock's lag; lots and notices waiting.

The counters on the bid path are bumped once a batch or once a fan-out, never
once a watcher; the labelled children used there are bound here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Min
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from auction.bidding.rules import CLOSE_GRACE
from auction.models import Lot, Notification
from core.clock import db_now
from core.live.metrics import SOCKETS
from core.metrics import DatabaseState

# -- live sockets (web processes; the frame counters are core/live/metrics.py's) ------------------

LOT_SOCKETS = SOCKETS.labels("lot")
RESUMES = Counter("mazad_live_resumes", "Resume requests answered (replays and snapshots).")

# -- bids (the batcher of each web process) -----------------------------------------------------

BATCH_SIZE = Histogram(
    "mazad_bid_batch_size",
    "Instructions (bids and automatic maxima) decided together in one transaction.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
DECISION_SECONDS = Histogram(
    "mazad_bid_decision_seconds",
    "Time to decide one batch, from its hand-off to a bid thread to its answers: the wait for "
    "a thread, locks, rules, writes and the commit.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
BIDS = Counter(
    "mazad_bids",
    "Bid instructions decided, by outcome (accepted, refused, failed: the database was away).",
    ["outcome"],
)
BIDS_ACCEPTED = BIDS.labels("accepted")
BIDS_REFUSED = BIDS.labels("refused")
BIDS_FAILED = BIDS.labels("failed")

# -- the clock -----------------------------------------------------------------------------------

LAG_BUCKETS = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
CLOSE_LAG = Histogram(
    "mazad_lot_close_lag_seconds",
    "From a lot's end to its close being decided (the grace of 0.5 s included).",
    buckets=LAG_BUCKETS,
)
SETTLEMENT_LAG = Histogram(
    "mazad_lot_settlement_lag_seconds",
    "From a lot's end to its settlement (deposits, the asset, the buyer's balance).",
    buckets=LAG_BUCKETS,
)


def observe_closes(lots: Iterable[Lot]) -> None:
    """After commit: the lag of each close decided by the clock (withdrawals have none)."""
    for lot in lots:
        if lot.closed_at is not None:
            CLOSE_LAG.observe(max(0.0, (lot.closed_at - lot.ends_at).total_seconds()))


def observe_settlement(lot: Lot) -> None:
    if lot.settled_at is not None:
        SETTLEMENT_LAG.observe(max(0.0, (lot.settled_at - lot.ends_at).total_seconds()))


# -- state read at each scrape (web processes) ----------------------------------------------------


def _age(now: datetime, moment: datetime | None) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment is not None else 0.0


class LotState(DatabaseState):
    """Lots past their end still open, and closes not settled: the clock's lag as it stands.

    Read from the database, so it rises while no clock runs at all.
    """

    def read(self) -> Iterable[Metric]:

        now = db_now()
        overdue = Lot.objects.filter(status=Lot.Status.OPEN, ends_at__lt=now - CLOSE_GRACE)
        open_row = overdue.order_by().aggregate(count=Count("id"), first=Min("ends_at"))
        unsettled = Lot.objects.filter(
            status__in=[Lot.Status.SOLD, Lot.Status.UNSOLD], settled_at__isnull=True
        )
        settle_row = unsettled.order_by().aggregate(count=Count("id"), first=Min("ends_at"))
        waiting = GaugeMetricFamily(
            "mazad_lots_waiting",
            "Lots waiting for the clock: past their end and open (close), or closed and not "
            "settled (settlement).",
            labels=["step"],
        )
        waiting.add_metric(["close"], open_row["count"])
        waiting.add_metric(["settlement"], settle_row["count"])
        lag = GaugeMetricFamily(
            "mazad_clock_lag_seconds",
            "How long past its end the longest-waiting lot has waited for its close or its "
            "settlement (0 when none waits).",
            labels=["step"],
        )
        lag.add_metric(["close"], _age(now, open_row["first"]))
        lag.add_metric(["settlement"], _age(now, settle_row["first"]))
        return [waiting, lag]


class NoticeState(DatabaseState):
    """The outbox of bidders' notices (pushed and e-mailed by the clock's notifier)."""

    def read(self) -> Iterable[Metric]:
        now = db_now()
        row = Notification.objects.filter(pushed_at__isnull=True).aggregate(
            count=Count("id"), first=Min("created_at")
        )
        waiting = GaugeMetricFamily(
            "mazad_notices_waiting", "Bidders' notices written and not delivered yet."
        )
        waiting.add_metric([], row["count"])
        oldest = GaugeMetricFamily(
            "mazad_notices_waiting_oldest_age_seconds",
            "Age of the oldest notice not delivered yet (0 when none waits).",
        )
        oldest.add_metric([], _age(now, row["first"]))
        return [waiting, oldest]
