"""The outbox: a notice, its deliveries (one per channel), their attempts, and preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """What a person is told, written in the transaction of its cause.

    `key` names the cause (`sale.won:42`): a cause retried or replayed writes no second
    notice. The recipient is a user or a bare address (a party to a file without an
    account): the e-mail, phone and language are copied here when the notice is written.
    `params` hold typed values (money, moments, message ids) written in the reader's
    language and format only when the notice is rendered (notifications/values.py).
    """

    key = models.CharField(_("cause"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=60)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=8, default="ar")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Riyadh")
    params = models.JSONField(_("details"), default=dict)
    url = models.CharField(_("address"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="notifications_notice_user")]

    def __str__(self) -> str:
        return self.key


class Delivery(models.Model):
    """One notice on one channel: waiting, sent once, or given up after every retry."""

    class Status(models.TextChoices):
        WAITING = "WAITING", _("Waiting")
        SENT = "SENT", _("Sent")
        FAILED = "FAILED", _("Given up")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    due_at = models.DateTimeField(_("next attempt"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_reference = models.CharField(_("provider's reference"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel"], name="notifications_once"),
            models.CheckConstraint(
                condition=Q(status="SENT", sent_at__isnull=False) | ~Q(status="SENT"),
                name="notifications_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="notifications_waiting_due",
                condition=Q(status="WAITING"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.channel}:{self.status}"


class Attempt(models.Model):
    """One try at a delivery, recorded in the transaction that marks its outcome."""

    class Outcome(models.TextChoices):
        SENT = "SENT", _("Sent")
        RETRY = "RETRY", _("Will retry")
        GAVE_UP = "GAVE_UP", _("Given up")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(_("at"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id}:{self.outcome}"


class Preference(models.Model):
    """Whether a user wants one topic's notices on one channel (absent: the default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences"
    )
    topic = models.CharField(_("topic"), max_length=20)
    channel = models.CharField(_("channel"), max_length=20)
    is_enabled = models.BooleanField(_("on"))

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic", "channel"], name="notifications_preference_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.topic}:{self.channel}:{self.is_enabled}"
