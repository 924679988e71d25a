"""Durable instructions to call the payment API, written with the business change they serve."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    PENDING = "PENDING", _("Waiting")
    RUNNING = "RUNNING", _("Running")
    DONE = "DONE", _("Done")
    NEEDS_ATTENTION = "NEEDS_ATTENTION", _("Needs a person")


class PaymentJob(models.Model):
    """One call to the payment API (the outbox row), run by the worker after commit.

    The parameters and the idempotency key are fixed when the job is written,
    so every attempt sends the same key and the same bytes.
    """

    operation = models.CharField(_("operation"), max_length=40)
    params = models.JSONField(_("parameters"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=150, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("attempts allowed"), default=8)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    outcome_unknown = models.BooleanField(_("outcome unknown"), default=False)
    last_error = models.TextField(_("last error"), blank=True)
    error = models.JSONField(_("error details"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    court = models.ForeignKey(
        "accounts.Court",
        verbose_name=_("court"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_type = models.CharField(_("for (type)"), max_length=100)
    subject_id = models.CharField(_("for (id)"), max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The id of the request (or other work) that wrote the job: the worker logs its runs with it.
    request_id = models.CharField(_("request id"), max_length=128, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values),
                name="payments_paymentjob_status_known",
            ),
        ]
        verbose_name = _("payment job")
        verbose_name_plural = _("payment jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["PENDING", "RUNNING"]),
                name="payments_job_due",
            ),
            models.Index(fields=["subject_type", "subject_id"], name="payments_job_subject"),
            # The metrics count the jobs not done at every scrape: done ones are most of them.
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status__in=["PENDING", "RUNNING", "NEEDS_ATTENTION"]),
                name="payments_job_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key} ({self.status})"
