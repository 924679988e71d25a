"""Agencies online: their systems (OAuth2 clients), the answers they send, the webhooks they get.

A structured request is an AgencyLetter with a typed `payload` (the letter is the one
follow-up surface: its due date, status, pages and API). The agency answers it with one or
more AgencyAnswer rows, typed per kind of order; each moves the order and the file's history.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage


class AgencyEndpoint(models.Model):
    """Where an agency's system receives webhooks, and the secret they are signed with."""

    agency = models.OneToOneField(
        "accounts.Agency",
        verbose_name=_("agency"),
        on_delete=models.CASCADE,
        related_name="endpoint",
    )
    url = models.URLField(_("webhook address"), max_length=300, blank=True)
    secret = models.CharField(_("signing secret"), max_length=128)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency endpoint")
        verbose_name_plural = _("agency endpoints")

    def __str__(self) -> str:
        return self.url or "—"


class AgencyApplication(models.Model):
    """An OAuth2 client-credentials application bound to one agency, with the scopes it may ask."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="agency_binding",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    # The agency's system acts as this user (role agency, no password): its answers are
    # "answered by" and "executed by" it, like an agency officer's.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("system user"),
        on_delete=models.PROTECT,
        related_name="agency_application",
    )
    scopes = models.CharField(_("scopes"), max_length=500)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("agency application")
        verbose_name_plural = _("agency applications")

    def __str__(self) -> str:
        return f"{self.agency.code}: {self.scopes}"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class AgencyAnswer(models.Model):
    """One typed answer of an agency to a structured request (a seizure or a lift)."""

    class Kind(models.TextChoices):
        FROZEN = "FROZEN", _("Accounts found and funds frozen")
        TRANSFERRED = "TRANSFERRED", _("Funds transferred to the court account")
        BLOCKED = "BLOCKED", _("Vehicle transfer blocked")
        ANNOTATED = "ANNOTATED", _("Deed annotated")
        BAN_IN_FORCE = "BAN_IN_FORCE", _("Travel ban in force")
        NOTHING_FOUND = "NOTHING_FOUND", _("Nothing found")
        REFUSED = "REFUSED", _("Refused")
        LIFTED = "LIFTED", _("Seizure lifted")

    letter = models.ForeignKey(
        "enforcement.AgencyLetter",
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="answers",
    )
    order = models.ForeignKey(
        "enforcement.SeizureOrder",
        verbose_name=_("seizure order"),
        on_delete=models.PROTECT,
        related_name="answers",
    )
    agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(
        AgencyApplication,
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answers",
    )
    kind = models.CharField(_("answer"), max_length=16, choices=Kind.choices)
    amount_minor = models.BigIntegerField(_("amount"), null=True, blank=True)
    accounts = models.JSONField(_("accounts found"), default=list, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    location = models.CharField(_("location"), max_length=300, blank=True)
    effective_on = models.DateField(_("in force from"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    document = models.FileField(
        _("document"), storage=private_storage, upload_to="agencies/answers/%Y/", blank=True
    )
    document_type = models.CharField(_("document type"), max_length=40, blank=True)
    answered_at = models.DateTimeField(_("answered"), auto_now_add=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)
    request_hash = models.CharField(_("request fingerprint"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("agency answer")
        verbose_name_plural = _("agency answers")
        ordering = ["answered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="enf_answer_idempotency_key_once",
            ),
            # One transfer per order: the court account receives the frozen funds once.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(kind="TRANSFERRED"),
                name="enf_answer_one_transfer_per_order",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__isnull=True) | Q(amount_minor__gte=0),
                name="enf_answer_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class WebhookDelivery(models.Model):
    """One event pushed to an agency's endpoint: signed, retried with backoff, logged."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting to be sent")
        DELIVERED = "DELIVERED", _("Delivered")
        FAILED = "FAILED", _("Gave up")

    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True)
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="webhook_deliveries",
    )
    letter = models.ForeignKey(
        "enforcement.AgencyLetter",
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="PENDING"),
                name="enf_webhook_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.delivery_id}"
