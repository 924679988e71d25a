"""What an operator watches of the outbox: deliveries waiting, the oldest one's age, given up."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Min
from prometheus_client.core import GaugeMetricFamily, Metric

from core.clock import db_now
from core.metrics import DatabaseState
from notifications.models import Delivery


def _age(now: datetime, first: datetime | None) -> float:
    return max(0.0, (now - first).total_seconds()) if first is not None else 0.0


class OutboxState(DatabaseState):
    """Deliveries of the outbox by channel: waiting (and the oldest's age), and given up."""

    def read(self) -> Iterable[Metric]:
        now = db_now()
        waiting = GaugeMetricFamily(
            "mazad_outbox_waiting",
            "Outbox deliveries not sent yet (new or waiting for a retry), by channel.",
            labels=["channel"],
        )
        oldest = GaugeMetricFamily(
            "mazad_outbox_waiting_oldest_age_seconds",
            "Age of the oldest notice with a delivery not sent yet, by channel (0 when none).",
            labels=["channel"],
        )
        failed = GaugeMetricFamily(
            "mazad_outbox_given_up",
            "Outbox deliveries given up after every retry or refused for good, by channel.",
            labels=["channel"],
        )
        rows = (
            Delivery.objects.filter(status=Delivery.Status.WAITING)
            .values("channel")
            .annotate(count=Count("id"), first=Min("notice__created_at"))
        )
        for row in rows:
            waiting.add_metric([row["channel"]], row["count"])
            oldest.add_metric([row["channel"]], _age(now, row["first"]))
        given_up = (
            Delivery.objects.filter(status=Delivery.Status.FAILED)
            .values("channel")
            .annotate(count=Count("id"))
        )
        for row in given_up:
            failed.add_metric([row["channel"]], row["count"])
        return [waiting, oldest, failed]
