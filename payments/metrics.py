"""Payment metrics: what the worker did (counted as it works), and the backlog (read at scrape)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from core.metrics import DatabaseState
from payments.models import EventStatus, JobStatus, PaymentJob, WebhookEvent

JOBS_RUN = Counter(
    "mazad_payment_jobs_run",
    "Attempts of payment jobs by the worker, by operation and what came of them "
    "(done, retry, refused, needs_attention).",
    ["operation", "outcome"],
)
JOB_CALL_SECONDS = Histogram(
    "mazad_payment_job_call_duration_seconds",
    "Time of one payment job's call to the provider, retries of the client included.",
    ["operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
EVENTS_PROCESSED = Counter(
    "mazad_webhook_events_processed",
    "Provider events the worker processed, by the status it left them in.",
    ["status"],
)

# Jobs finished (DONE) are history, not backlog: only the open states are counted.
OPEN_STATES = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.NEEDS_ATTENTION)


class PaymentState(DatabaseState):
    """Payment jobs by state and the age of the oldest; events received but not processed."""

    def read(self) -> Iterable[Metric]:
        now = timezone.now()
        jobs = GaugeMetricFamily(
            "mazad_payment_jobs",
            "Payment jobs not done, by state (PENDING, RUNNING, NEEDS_ATTENTION).",
            labels=["state"],
        )
        oldest = GaugeMetricFamily(
            "mazad_payment_job_oldest_age_seconds",
            "Age of the oldest payment job in each open state (0 when there is none).",
            labels=["state"],
        )
        found: dict[str, Any] = {
            row["status"]: row
            for row in PaymentJob.objects.filter(status__in=OPEN_STATES)
            .order_by()
            .values("status")
            .annotate(count=Count("id"), first=Min("created_at"))
        }
        for state in OPEN_STATES:
            row = found.get(state)
            jobs.add_metric([state], row["count"] if row else 0)
            oldest.add_metric([state], (now - row["first"]).total_seconds() if row else 0.0)
        yield jobs
        yield oldest
        yield from self._events(now)

    def _events(self, now: Any) -> Iterable[Metric]:
        backlog = GaugeMetricFamily(
            "mazad_webhook_backlog",
            "Provider events received and not processed yet, by status (RECEIVED, FAILED).",
            labels=["status"],
        )
        oldest = GaugeMetricFamily(
            "mazad_webhook_backlog_oldest_age_seconds",
            "Age of the oldest provider event received and not processed yet.",
        )
        found = {
            row["status"]: row
            for row in WebhookEvent.objects.filter(
                status__in=[EventStatus.RECEIVED, EventStatus.FAILED]
            )
            .order_by()
            .values("status")
            .annotate(count=Count("id"), first=Min("received_at"))
        }
        for status in (EventStatus.RECEIVED, EventStatus.FAILED):
            backlog.add_metric([status], found[status]["count"] if status in found else 0)
        waiting = found.get(EventStatus.RECEIVED)
        oldest.add_metric([], (now - waiting["first"]).total_seconds() if waiting else 0.0)
        yield backlog
        yield oldest
