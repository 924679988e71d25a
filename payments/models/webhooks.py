"""Events received from the payment provider, each stored once."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EventStatus(models.TextChoices):
    RECEIVED = "RECEIVED", _("Received")
    PROCESSED = "PROCESSED", _("Processed")
    IGNORED = "IGNORED", _("Ignored")
    FAILED = "FAILED", _("Failed")


class WebhookEvent(models.Model):
    """A verified event, stored once by its own id; `object_id` is blank for an object without one.

    Two events of one type about one object (a refund pending, then succeeded)
    are two facts, both kept: the handlers move each object's state forward in
    its explicit order, so a repeat changes nothing.
    """

    event_id = models.CharField(_("event id"), max_length=100, unique=True)
    type = models.CharField(_("type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=100, blank=True)
    livemode = models.BooleanField(_("live mode"), default=False)
    created = models.BigIntegerField(_("created (provider time)"), default=0)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.RECEIVED
    )
    note = models.TextField(_("note"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # The id of the delivery's request: the worker logs the event's processing with it.
    request_id = models.CharField(_("request id"), max_length=128, blank=True, default="")

    class Meta:
        verbose_name = _("payment provider event")
        verbose_name_plural = _("payment provider events")
        ordering = ["received_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EventStatus.values),
                name="payments_webhook_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="payments_event_status"),
            models.Index(fields=["object_id"], name="payments_event_object"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
