"""Durable payment jobs: the outbox of calls to the payment API, and the worker's steps.

A service writes a job with `enqueue` in the same transaction as the business
change it serves; the worker (`manage.py run_payment_worker`) claims due jobs
with SELECT ... FOR UPDATE SKIP LOCKED under a lease, calls the API outside
any transaction, and records the result and the business consequence in one
transaction. A worker killed at any point leaves the job PENDING or RUNNING
with a lease that expires; the next claim replays the same idempotency key
and the same parameters, so the provider answers with the object it already
made instead of making a second one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit, logs
from core.errors import DomainError, InvalidTransition
from payments import locks, metrics
from payments.client import (
    APIError,
    RateLimitError,
    StripeClient,
    StripeConnectionError,
    StripeError,
    StripeObject,
)
from payments.models import JobStatus, PaymentJob

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120  # longer than one call with its retries (3 × timeout + 10 s of pauses)
# Pause before attempt n+1 of a job, after the client's own quick retries gave up.
JOB_BACKOFF_SECONDS = (15, 60, 300, 900, 1800, 3600, 3600)
PAUSE_POINTS = ("after_claim", "after_call")


class JobKeyReused(DomainError):
    code = "job_key_reused"
    status = 409
    message = _("This payment instruction was already given with other parameters.")


@dataclass(frozen=True)
class Operation:
    """What a job does: the API call, and what its answer or a final refusal means for us.

    `succeeded` and `refused` run inside the transaction that marks the job
    done, with the job row locked. `refused` returns True when the refusal is
    a business outcome it recorded (a declined card); otherwise the job waits
    for a person.
    """

    call: Callable[[StripeClient, PaymentJob], StripeObject]
    succeeded: Callable[[PaymentJob, StripeObject], None]
    refused: Callable[[PaymentJob, StripeError], bool] | None = None


OPERATIONS: dict[str, Operation] = {}


def register(name: str, operation: Operation) -> None:
    OPERATIONS[name] = operation


def _operations() -> dict[str, Operation]:
    """The operations registered at start-up (payments.operations, aftersale.operations)."""
    return OPERATIONS


def enqueue(
    *,
    operation: str,
    params: dict[str, Any],
    idempotency_key: str,
    subject: models.Model,
    court: Any = None,
) -> PaymentJob:
    """Write one instruction in the caller's transaction; it runs once that commits.

    The same key with the same operation and parameters returns the job
    already written; with others it raises JobKeyReused (a changed amount
    needs a new key version, never a reused key).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enqueue runs inside the transaction of the change it serves")
    existing = PaymentJob.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.operation != operation or existing.params != params:
            raise JobKeyReused(params={"key": idempotency_key})
        return existing
    return PaymentJob.objects.create(
        operation=operation,
        params=params,
        idempotency_key=idempotency_key,
        next_attempt_at=timezone.now(),
        court=court,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        request_id=logs.request_id(),
    )


def _due(now: datetime) -> Q:
    return Q(status=JobStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=JobStatus.RUNNING, lease_expires_at__lte=now
    )


def claim(*, now: datetime, lease_seconds: float = LEASE_SECONDS) -> PaymentJob | None:
    """Take the next due job (or one whose worker's lease ran out) under a lease; None if none."""
    with transaction.atomic():
        job = locks.claim_job(_due(now))
        if job is None:
            return None
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.lease_expires_at = now + timedelta(seconds=lease_seconds)
        job.save(update_fields=["status", "attempts", "lease_expires_at"])
        return job


def run_job(
    job: PaymentJob,
    client: StripeClient,
    *,
    now: datetime,
    pause: Callable[[str, PaymentJob], None] | None = None,
) -> None:
    """Call the API for a claimed job and record what came of it.

    Everything logged meanwhile carries the job's request id, id and operation.
    """
    with logs.bound(request_id=job.request_id or None, job=job.pk, operation=job.operation):
        _run_job(job, client, now=now, pause=pause)


def _run_job(
    job: PaymentJob,
    client: StripeClient,
    *,
    now: datetime,
    pause: Callable[[str, PaymentJob], None] | None,
) -> None:
    operation = _operations()[job.operation]
    if pause:
        pause("after_claim", job)
    started = time.perf_counter()
    try:
        result = operation.call(client, job)
    except StripeError as error:
        metrics.JOB_CALL_SECONDS.labels(job.operation).observe(time.perf_counter() - started)
        outcome = record_failure(job, error, now=now)
        metrics.JOBS_RUN.labels(job.operation, outcome).inc()
        logger.info("payment job %s: %s (%s)", job.pk, outcome, error)
        return
    metrics.JOB_CALL_SECONDS.labels(job.operation).observe(time.perf_counter() - started)
    if pause:
        pause("after_call", job)
    record_success(job, result)
    metrics.JOBS_RUN.labels(job.operation, "done").inc()
    logger.info("payment job %s done", job.pk)


def record_success(job: PaymentJob, result: StripeObject) -> None:
    """Mark the job done and apply its result, once, even if two workers got an answer."""
    operation = _operations()[job.operation]
    with transaction.atomic():
        locked = locks.lock_job(job.pk)
        if locked.status == JobStatus.DONE:
            return
        operation.succeeded(locked, result)
        locked.status = JobStatus.DONE
        locked.result = result
        locked.outcome_unknown = False
        locked.lease_expires_at = None
        locked.finished_at = timezone.now()
        locked.save()


def is_transient(error: StripeError) -> bool:
    """Errors worth another attempt later: no answer, 5xx, 409, 429."""
    return (
        error.is_indeterminate
        or isinstance(error, StripeConnectionError | APIError | RateLimitError)
        or error.status == 409
    )


def record_failure(job: PaymentJob, error: StripeError, *, now: datetime) -> str:
    """Schedule another attempt, record a business refusal, or hand the job to a person.

    Returns which: "retry", "refused" or "needs_attention" ("done" if it was done already).
    """
    operation = _operations()[job.operation]
    with transaction.atomic():
        locked = locks.lock_job(job.pk)
        if locked.status == JobStatus.DONE:
            return "done"
        locked.error = error.as_dict()
        locked.last_error = str(error)[:2000]
        locked.lease_expires_at = None
        if is_transient(error):
            locked.outcome_unknown = locked.outcome_unknown or error.is_indeterminate
            if locked.attempts < locked.max_attempts:
                pause = JOB_BACKOFF_SECONDS[min(locked.attempts, len(JOB_BACKOFF_SECONDS)) - 1]
                locked.status = JobStatus.PENDING
                locked.next_attempt_at = now + timedelta(seconds=pause)
                locked.save()
                return "retry"
        elif operation.refused is not None and operation.refused(locked, error):
            locked.status = JobStatus.DONE
            locked.finished_at = timezone.now()
            locked.save()
            return "refused"
        _needs_attention(locked)
        return "needs_attention"


def _needs_attention(job: PaymentJob) -> None:
    job.status = JobStatus.NEEDS_ATTENTION
    job.finished_at = timezone.now()
    job.save()
    logger.error("payment job %s needs a person: %s", job.pk, job.last_error)
    audit.record(
        actor=None,
        action="payment_job.needs_attention",
        obj=job,
        after={
            "error": job.error,
            "attempts": job.attempts,
            "outcome_unknown": job.outcome_unknown,
        },
        court_id=job.court_id,
    )


def retry_job(*, actor: Any, job: PaymentJob) -> PaymentJob:
    """Finance staff send a stuck job again: the same key and parameters, three more attempts."""
    with transaction.atomic():
        locked = locks.lock_job(job.pk)
        if locked.status != JobStatus.NEEDS_ATTENTION:
            raise InvalidTransition(_("Only a job that needs a person can be sent again."))
        locked.status = JobStatus.PENDING
        locked.max_attempts = locked.attempts + 3
        locked.next_attempt_at = timezone.now()
        locked.finished_at = None
        # The attempts from now on are this request's doing: the worker logs them with its id.
        locked.request_id = logs.request_id() or locked.request_id
        locked.save()
        audit.record(
            actor=actor,
            action="payment_job.retried",
            obj=locked,
            before={"status": JobStatus.NEEDS_ATTENTION},
            after={"status": JobStatus.PENDING},
            court_id=locked.court_id,
        )
        return locked


def run_due_jobs(
    *,
    client: StripeClient,
    now: Callable[[], datetime] = timezone.now,
    limit: int = 50,
    lease_seconds: float = LEASE_SECONDS,
    pause: Callable[[str, PaymentJob], None] | None = None,
) -> int:
    """Run up to `limit` due jobs one after another; returns how many ran."""
    ran = 0
    while ran < limit:
        job = claim(now=now(), lease_seconds=lease_seconds)
        if job is None:
            break
        run_job(job, client, now=now(), pause=pause)
        ran += 1
    return ran
