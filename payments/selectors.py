"""Reads of the payment app for pages and for other apps; nothing here changes state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from payments.models import (
    DistributionHold,
    EventStatus,
    JobStatus,
    JournalEntry,
    Method,
    Payment,
    PaymentJob,
    PaymentStatus,
    Refund,
    RefundStatus,
    WebhookEvent,
)


def payments_of(payer: Any) -> QuerySet[Payment]:
    return Payment.objects.filter(payer=payer).select_related("court", "receipt")


def payment_of(payer: Any, public_id: Any) -> Payment | None:
    """The payer's own payment, or None (someone else's looks the same as a missing one)."""
    return payments_of(payer).filter(public_id=public_id).first()


def payment_for_bank_reference(reference: str) -> Payment | None:
    """The bank-transfer payment a statement line's reference names (for reconciliation)."""
    return Payment.objects.filter(bank_reference=reference.replace(" ", "").upper()).first()


def has_distribution_hold(*, court: Any, file_number: str) -> bool:
    """Whether something (a disputed card payment) stops the file's proceeds being paid out."""
    return DistributionHold.objects.filter(
        court=court, file_number=file_number, released_at__isnull=True
    ).exists()


def jobs_needing_attention(court: Any) -> QuerySet[PaymentJob]:
    return PaymentJob.objects.filter(court=court, status=JobStatus.NEEDS_ATTENTION).order_by(
        "-finished_at"
    )


def refunds_needing_attention(court: Any) -> QuerySet[Refund]:
    return (
        Refund.objects.filter(payment__court=court)
        .filter(Q(needs_attention=True) | Q(status=RefundStatus.AWAITING_BANK))
        .select_related("payment", "payment__payer")
    )


def transfers_awaiting(court: Any) -> QuerySet[Payment]:
    return Payment.objects.filter(
        court=court, method=Method.BANK_TRANSFER, status=PaymentStatus.AWAITING_PAYMENT
    ).select_related("payer")


def open_holds(court: Any) -> QuerySet[DistributionHold]:
    return DistributionHold.objects.filter(court=court, released_at__isnull=True)


def journal_entries(court: Any) -> QuerySet[JournalEntry]:
    """The court's journal entries, newest first (the ledger page walks them by keyset)."""
    return (
        JournalEntry.objects.filter(court=court)
        .prefetch_related("postings__account")
        .order_by("-posted_at", "-id")
    )


def attention_count(court: Any) -> int:
    """How many things wait for finance staff (shown on the workspace card)."""
    return (
        jobs_needing_attention(court).count()
        + refunds_needing_attention(court).count()
        + transfers_awaiting(court).count()
    )


@dataclass(frozen=True)
class Backlog:
    """Work waiting: how many, and the age in seconds of the oldest (None when none waits)."""

    waiting: int
    oldest_seconds: float | None
    needs_attention: int


def _age(now: datetime, since: datetime | None) -> float | None:
    return None if since is None else max(0.0, (now - since).total_seconds())


def job_backlog(now: datetime) -> Backlog:
    """Payment jobs due (or running) now, the oldest one's wait, and those needing a person."""
    due = PaymentJob.objects.filter(
        status__in=[JobStatus.PENDING, JobStatus.RUNNING], next_attempt_at__lte=now
    )
    found = due.aggregate(count=Count("pk"), oldest=Min("next_attempt_at"))
    stuck = PaymentJob.objects.filter(status=JobStatus.NEEDS_ATTENTION).count()
    return Backlog(found["count"], _age(now, found["oldest"]), stuck)


def event_backlog(now: datetime) -> Backlog:
    """Provider events stored but not processed yet, and those that failed every attempt."""
    waiting = WebhookEvent.objects.filter(status=EventStatus.RECEIVED)
    found = waiting.aggregate(count=Count("pk"), oldest=Min("received_at"))
    failed = WebhookEvent.objects.filter(status=EventStatus.FAILED).count()
    return Backlog(found["count"], _age(now, found["oldest"]), failed)
