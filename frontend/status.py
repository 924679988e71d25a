"""The platform's operating state, read in one place: the staff status page and the metrics.

Heartbeats of the worker and the clock, the payment jobs and provider events waiting, and
how far the clock is behind, each measured against the database's clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from auction import selectors as auction_records
from core import heartbeats
from core.clock import db_now
from payments import selectors as payment_records


@dataclass(frozen=True)
class OperatingState:
    worker: list[heartbeats.Beat]
    clock: list[heartbeats.Beat]
    jobs: payment_records.Backlog
    events: payment_records.Backlog
    clock_lag: auction_records.ClockLag

    @property
    def beats(self) -> list[heartbeats.Beat]:
        return [*self.worker, *self.clock]

    @property
    def is_worker_beating(self) -> bool:
        return any(beat.is_fresh for beat in self.worker)

    @property
    def is_clock_beating(self) -> bool:
        return any(beat.is_fresh for beat in self.clock)


def operating_state() -> OperatingState:
    now = db_now()
    return OperatingState(
        worker=heartbeats.beats(heartbeats.Role.WORKER),
        clock=heartbeats.beats(heartbeats.Role.CLOCK),
        jobs=payment_records.job_backlog(now),
        events=payment_records.event_backlog(now),
        clock_lag=auction_records.clock_lag(now),
    )
