"""The browsers a person has let the site send notifications to (web push, accounts/webpush.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PushSubscription(models.Model):
    """One browser's push subscription: where its push service takes messages, and its keys.

    The endpoint is the browser's own address at its push service, so it belongs to one account
    at a time: a person signing in on a browser another used takes its subscription over. Made
    with the VAPID key `vapid_public_key`; a push signed with another key would be refused, so
    after a key rotation the browser subscribes again on its next visit.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
    )
    endpoint = models.URLField(_("push service address"), max_length=2000, unique=True)
    p256dh = models.CharField(_("browser's public key"), max_length=100)
    auth = models.CharField(_("browser's authentication secret"), max_length=50)
    vapid_public_key = models.CharField(_("VAPID key subscribed with"), max_length=100)
    created_at = models.DateTimeField(_("subscribed"), auto_now_add=True)
    last_success_at = models.DateTimeField(_("last delivered"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("failures since the last delivery"), default=0)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"{self.user_id} {self.endpoint[:60]}"
