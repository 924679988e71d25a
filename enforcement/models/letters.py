"""Electronic letters to government agencies, and the API tokens their systems answer with."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage


class AgencyLetter(models.Model):
    class Subject(models.TextChoices):
        SEIZE = "SEIZE", _("Seize")
        LIFT = "LIFT", _("Lift a seizure")
        TRANSFER_OWNERSHIP = "TRANSFER_OWNERSHIP", _("Transfer ownership")
        INQUIRY = "INQUIRY", _("Inquiry")
        RELEASE_MORTGAGE = "RELEASE_MORTGAGE", _("Cancel a mortgage")

    class Status(models.TextChoices):
        SENT = "SENT", _("Sent")
        ACKNOWLEDGED = "ACKNOWLEDGED", _("Acknowledged")
        ANSWERED = "ANSWERED", _("Answered")

    class Language(models.TextChoices):
        ARABIC = "ar", "العربية"
        ENGLISH = "en", "English"

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("letter number"), max_length=32, unique=True)
    file = models.ForeignKey(
        "enforcement.EnforcementFile",
        verbose_name=_("enforcement file"),
        on_delete=models.PROTECT,
        related_name="letters",
    )
    asset = models.ForeignKey(
        "enforcement.SeizedAsset",
        verbose_name=_("seized asset"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letters",
    )
    order = models.ForeignKey(
        "enforcement.SeizureOrder",
        verbose_name=_("seizure order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letters",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="letters",
    )
    subject_kind = models.CharField(_("subject"), max_length=20, choices=Subject.choices)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ARABIC
    )
    subject = models.CharField(_("subject line"), max_length=300)
    body = models.TextField(_("body"))
    due_on = models.DateField(_("answer due"), db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SENT, db_index=True
    )
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.TextField(_("answer"), blank=True)
    # A structured request (agencies online): what the agency is asked to do, typed per kind of
    # order (docs/agencies.md); empty for a free-text letter.
    payload = models.JSONField(_("structured request"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, db_index=True)
    # How many follow-up steps (reminders, then the escalation) have been sent: the clock's
    # pass reads only the letters with a step due from this and the due date, on an index,
    # instead of locking every unanswered letter on every pass (enforcement/services/followups.py).
    # The LetterFollowUp rows are the record; this follows them under the letter's lock.
    follow_up_steps = models.PositiveSmallIntegerField(_("follow-up steps sent"), default=0)
    answer_document = models.FileField(
        _("document with the answer (PDF)"),
        storage=private_storage,
        upload_to="letters/answers/%Y/",
        blank=True,
    )

    class Meta:
        verbose_name = _("agency letter")
        verbose_name_plural = _("agency letters")
        ordering = ["due_on", "pk"]
        # The letters lists (overdue first, then by due date) walk these by keyset: a court's
        # letters, its unanswered ones (the overdue part and its count), an agency's inbox.
        indexes = [
            models.Index(fields=["court", "due_on", "id"], name="enf_letter_court_due"),
            models.Index(
                fields=["court", "due_on", "id"],
                condition=~Q(status="ANSWERED"),
                name="enf_letter_court_open_due",
            ),
            models.Index(fields=["agency", "due_on", "id"], name="enf_letter_agency_due"),
            models.Index(fields=["agency", "updated_at", "id"], name="enf_letter_agency_updated"),
            models.Index(
                fields=["follow_up_steps", "due_on", "id"],
                condition=~Q(status="ANSWERED"),
                name="enf_letter_follow_up_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["SENT", "ACKNOWLEDGED", "ANSWERED"]),
                name="enforcement_agencyletter_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status="SENT")
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="enforcement_letter_acknowledged_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(status="ANSWERED")
                | (Q(answered_at__isnull=False, answered_by__isnull=False) & ~Q(answer="")),
                name="enforcement_letter_answered_has_an_answer",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Every change moves `updated_at`, so the pull API's `updated_since` sees it."""
        self.updated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)

    @property
    def is_structured(self) -> bool:
        return bool(self.payload)


class ApiToken(models.Model):
    """A bearer token of an agency user's system. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
