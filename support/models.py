"""Support desk records: tickets and their thread, attachments, ratings, and service levels."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage
from support import engine


class Kind(models.TextChoices):
    COMPLAINT = "COMPLAINT", _("Complaint")
    QUESTION = "QUESTION", _("Question")
    SUGGESTION = "SUGGESTION", _("Suggestion")


class Topic(models.TextChoices):
    REGISTRATION = "REGISTRATION", _("Registration")
    DEPOSIT = "DEPOSIT", _("Security deposit")
    BIDDING = "BIDDING", _("Bidding")
    PAYMENT = "PAYMENT", pgettext_lazy("ticket topic", "Payment")
    TRANSFER = "TRANSFER", _("Transfer of proceeds")
    FILE = "FILE", _("Enforcement file")
    LOT = "LOT", _("Lot")


class Team(models.TextChoices):
    EXECUTION = engine.EXECUTION, _("Execution team")
    FINANCE = engine.FINANCE, _("Finance team")


class Status(models.TextChoices):
    OPEN = "OPEN", _("Awaiting the court")
    AWAITING_INFORMATION = "AWAITING_INFORMATION", _("Awaiting your information")
    RESOLVED = "RESOLVED", _("Resolved")
    CLOSED = "CLOSED", _("Closed")


class LinkKind(models.TextChoices):
    LOT = "LOT", _("Lot")
    REGISTRATION = "REGISTRATION", _("Registration")
    PAYMENT = "PAYMENT", _("Payment")
    FILE = "FILE", _("Enforcement file")


class Ticket(models.Model):
    """A complaint, question or suggestion from one user to one court's team.

    Service-level targets are copied from the court's settings when the ticket
    opens, so a later change of targets never rewrites past performance.
    """

    number = models.CharField(_("ticket number"), max_length=40, unique=True)
    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="support_tickets",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    topic = models.CharField(_("topic"), max_length=14, choices=Topic.choices)
    team = models.CharField(_("team"), max_length=10, choices=Team.choices)
    subject = models.CharField(_("subject"), max_length=150)
    status = models.CharField(
        _("status"), max_length=22, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    link_kind = models.CharField(
        _("about"), max_length=14, choices=LinkKind.choices, blank=True, default=""
    )
    lot = models.ForeignKey(
        "auction.Lot",
        verbose_name=_("lot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    registration = models.ForeignKey(
        "auction.Registration",
        verbose_name=_("registration"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payment = models.ForeignKey(
        "payments.Payment",
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.ForeignKey(
        "enforcement.EnforcementFile",
        verbose_name=_("enforcement file"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened"), db_index=True)
    first_response_target_minutes = models.PositiveIntegerField(_("first response target"))
    resolution_target_minutes = models.PositiveIntegerField(_("resolution target"))
    first_response_due_at = models.DateTimeField(_("first response due"))
    resolution_due_at = models.DateTimeField(_("resolution due"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("working minutes to the first response"), null=True, blank=True
    )
    information_requested_at = models.DateTimeField(
        _("information requested"), null=True, blank=True
    )
    waiting_minutes = models.PositiveIntegerField(
        _("working minutes waiting for the requester"), default=0
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution_minutes = models.PositiveIntegerField(
        _("working minutes to resolution"), null=True, blank=True
    )
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    updated_at = models.DateTimeField(_("last activity"))

    class Meta:
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["court", "team", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="support_ticket_status_known"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="support_ticket_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(topic__in=Topic.values), name="support_ticket_topic_known"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["RESOLVED", "CLOSED"])
                | (Q(resolved_at__isnull=False) & Q(resolution_minutes__isnull=False)),
                name="support_ticket_resolved_has_a_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="AWAITING_INFORMATION")
                | Q(information_requested_at__isnull=False),
                name="support_ticket_awaiting_since",
            ),
            models.CheckConstraint(
                condition=Q(link_kind="")
                | Q(link_kind="LOT", lot__isnull=False)
                | Q(link_kind="REGISTRATION", registration__isnull=False)
                | Q(link_kind="PAYMENT", payment__isnull=False)
                | Q(link_kind="FILE", file__isnull=False),
                name="support_ticket_link_is_set",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_pending(self) -> bool:
        return self.status in (Status.OPEN, Status.AWAITING_INFORMATION)

    @property
    def linked(self) -> Any:
        return {
            LinkKind.LOT: self.lot,
            LinkKind.REGISTRATION: self.registration,
            LinkKind.PAYMENT: self.payment,
            LinkKind.FILE: self.file,
        }.get(self.link_kind)  # type: ignore[call-overload]


class Message(models.Model):
    """One entry of a ticket's thread: what was said and what it did to the ticket."""

    class Action(models.TextChoices):
        OPENED = "OPENED", _("Opened the ticket")
        REPLIED = "REPLIED", _("Replied")
        INFORMATION_REQUESTED = "INFORMATION_REQUESTED", _("Asked for information")
        INFORMATION_GIVEN = "INFORMATION_GIVEN", _("Sent information")
        COMMENTED = "COMMENTED", _("Added a message")
        RESOLVED = "RESOLVED", _("Resolved the ticket")
        REOPENED = "REOPENED", _("Reopened the ticket")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT
    )
    is_from_staff = models.BooleanField(_("from the court"))
    action = models.CharField(_("action"), max_length=22, choices=Action.choices)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="support_message_has_a_body"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.action}"


class Attachment(models.Model):
    """A document or image sent with a message; stored privately, served after an access check."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    document = models.FileField(
        _("attachment"), storage=private_storage, upload_to="support/%Y/%m/"
    )
    original_name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(_("content type"), max_length=40)
    size_bytes = models.PositiveIntegerField(_("size"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class Rating(models.Model):
    """The requester's satisfaction with a resolved ticket: 1 to 5 and a comment."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), db_index=True)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="support_rating_one_to_five"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.score}"


class ServiceCalendar(models.Model):
    """A court's working week and hours, against which service levels are counted."""

    court = models.OneToOneField(
        "accounts.Court",
        verbose_name=_("court"),
        on_delete=models.CASCADE,
        related_name="service_calendar",
    )
    weekend_days = models.JSONField(
        _("weekend days"), default=list, help_text=_("Weekday numbers, Monday 0 to Sunday 6.")
    )
    opens_at = models.TimeField(_("opens"), default=engine.DEFAULT_OPENS)
    closes_at = models.TimeField(_("closes"), default=engine.DEFAULT_CLOSES)
    reopen_days = models.PositiveSmallIntegerField(_("days to reopen a resolved ticket"), default=7)

    class Meta:
        verbose_name = _("service calendar")
        verbose_name_plural = _("service calendars")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")),
                name="support_calendar_opens_before_closing",
            ),
            models.CheckConstraint(
                condition=Q(reopen_days__gte=1) & Q(reopen_days__lte=90),
                name="support_calendar_reopen_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.court_id}"


class Holiday(models.Model):
    """Days a court does not work (Eid, national day), from `starts_on` to `ends_on` inclusive."""

    court = models.ForeignKey(
        "accounts.Court",
        verbose_name=_("court"),
        on_delete=models.CASCADE,
        related_name="holidays",
    )
    name_ar = models.CharField(_("name in Arabic"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="support_holiday_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class ServiceTarget(models.Model):
    """A court's target times for one kind of ticket, in working hours."""

    court = models.ForeignKey(
        "accounts.Court",
        verbose_name=_("court"),
        on_delete=models.CASCADE,
        related_name="service_targets",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    first_response_hours = models.PositiveSmallIntegerField(_("first response (working hours)"))
    resolution_hours = models.PositiveSmallIntegerField(_("resolution (working hours)"))

    class Meta:
        verbose_name = _("service target")
        verbose_name_plural = _("service targets")
        ordering = ["court", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["court", "kind"], name="support_target_once"),
            models.CheckConstraint(
                condition=Q(first_response_hours__gte=1)
                & Q(resolution_hours__gte=models.F("first_response_hours")),
                name="support_target_resolution_after_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.court_id}:{self.kind}"
