"""What people keep and ask in the catalog: saved searches and their alerts, questions on lots.

Imported by `auction.models`, so the models belong to the auction app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SavedSearch(models.Model):
    """A person's named catalog search (its text and filters, as the catalog's query string)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(_("name"), max_length=80)
    # The catalog's own query string (q, kind, city, status, price bounds, ending_soon, sort),
    # read back through `catalog.Filters.from_query`, so a saved search means what the
    # catalog means by it.
    query = models.CharField(_("search"), max_length=600, blank=True)
    alerts = models.BooleanField(_("e-mail me new lots that match"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="auction_savedsearch_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


class LotAlertScan(models.Model):
    """A published lot already compared with every saved search: inserted once, by the pass
    that claims the lot (a second pass racing for it waits on the key, then inserts nothing)."""

    lot = models.OneToOneField(
        "auction.Lot", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    scanned_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"lot {self.lot_id} scanned"


class SearchAlert(models.Model):
    """One saved search told of one newly published lot: at most once (the unique key)."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="matches")
    lot = models.ForeignKey("auction.Lot", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    # Set in the transaction that claims the alert for sending, before the e-mail goes: a
    # crash after it loses at most that e-mail, never sends it twice.
    claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["search", "lot"], name="auction_searchalert_once"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(claimed_at__isnull=True),
                name="auction_searchalert_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"search {self.search_id}: lot {self.lot_id}"


class Question(models.Model):
    """A question a person asked about a lot, answered (shown on the lot page) or rejected."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Awaiting an answer")
        ANSWERED = "ANSWERED", _("Answered")
        REJECTED = "REJECTED", _("Rejected")

    lot = models.ForeignKey("auction.Lot", on_delete=models.CASCADE, related_name="questions")
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lot_questions"
    )
    text = models.TextField(_("question"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    answer = models.TextField(_("answer"), blank=True)
    rejection_reason = models.CharField(_("reason"), max_length=300, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    asked_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    # The asker is told of the answer or the rejection once, by the clock's notice pass.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "ANSWERED", "REJECTED"]),
                name="auction_question_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="ANSWERED") | ~Q(answer=""),
                name="auction_question_answered_has_an_answer",
            ),
            models.CheckConstraint(
                condition=~Q(status="REJECTED") | ~Q(rejection_reason=""),
                name="auction_question_rejected_has_a_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["lot", "status"], name="auction_question_lot_status"),
            models.Index(fields=["asker", "asked_at"], name="auction_question_asker"),
            models.Index(
                fields=["answered_at"],
                condition=Q(notified_at__isnull=True) & ~Q(status="PENDING"),
                name="auction_question_to_notify",
            ),
        ]

    def __str__(self) -> str:
        return f"question {self.pk} on lot {self.lot_id}"
