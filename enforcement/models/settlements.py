"""Instalment settlements of a file's debt, and the follow-up of unanswered agency letters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage


class SettlementRules(models.Model):
    """A court's rules for instalment settlements; edited by its supervisors (admin)."""

    court = models.OneToOneField(
        "accounts.Court",
        verbose_name=_("court"),
        on_delete=models.CASCADE,
        related_name="settlement_rules",
    )
    notice_days = models.PositiveSmallIntegerField(
        _("days between the notice of a missed instalment and enforcement resuming"), default=14
    )
    max_instalments = models.PositiveSmallIntegerField(
        _("most instalments after the first payment"), default=36
    )
    max_first_due_days = models.PositiveSmallIntegerField(
        _("the first payment is due within this many days"), default=30
    )

    class Meta:
        verbose_name = _("settlement rules")
        verbose_name_plural = _("settlement rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(notice_days__gte=1), name="enforcement_settlementrules_notice"
            ),
            models.CheckConstraint(
                condition=Q(max_instalments__gte=1, max_first_due_days__gte=1),
                name="enforcement_settlementrules_limits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.court_id}"


class Settlement(models.Model):
    """The debtor's plan to pay a file's debt by instalments; the judge approves or refuses it."""

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED", _("Awaiting the judge")
        APPROVED = "APPROVED", _("In force")
        REFUSED = "REFUSED", _("Refused")
        DEFAULTED = "DEFAULTED", _("Ended: an instalment was missed")
        COMPLETED = "COMPLETED", _("Completed: every instalment paid")

    class Origin(models.TextChoices):
        DEBTOR = "DEBTOR", _("Proposed by the debtor")
        STAFF = "STAFF", _("Recorded by execution staff")

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.ForeignKey(
        "enforcement.EnforcementFile",
        verbose_name=_("enforcement file"),
        on_delete=models.PROTECT,
        related_name="settlements",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    origin = models.CharField(_("origin"), max_length=6, choices=Origin.choices)
    total_minor = models.BigIntegerField(_("total to pay"))
    owed_minor = models.BigIntegerField(_("balance owed when proposed"))
    currency = models.CharField(_("currency"), max_length=3)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons of the decision"), blank=True)
    # The decision as the judge signed it (PAdES, the court's key), and its SHA-256.
    decision_pdf = models.FileField(
        _("signed decision"),
        storage=private_storage,
        upload_to="settlements/signed/%Y/",
        max_length=200,
        blank=True,
    )
    decision_sha256 = models.CharField(
        _("SHA-256 of the signed decision"), max_length=64, blank=True
    )
    # The court's notice period when the judge approved, kept for the life of the settlement.
    notice_days = models.PositiveSmallIntegerField(_("notice period (days)"), null=True, blank=True)
    notice_sent_on = models.DateField(_("missed-instalment notice sent"), null=True, blank=True)
    resumes_on = models.DateField(_("enforcement resumes on"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("instalment settlement")
        verbose_name_plural = _("instalment settlements")
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["PROPOSED", "APPROVED", "REFUSED", "DEFAULTED", "COMPLETED"]
                ),
                name="enforcement_settlement_status_known",
            ),
            models.CheckConstraint(
                condition=Q(origin__in=["DEBTOR", "STAFF"]),
                name="enforcement_settlement_origin_known",
            ),
            # A plan covers the whole debt: never less than what was owed when it was made.
            models.CheckConstraint(
                condition=Q(total_minor__gt=0) & Q(total_minor__gte=F("owed_minor")),
                name="enforcement_settlement_covers_the_debt",
            ),
            # One plan at a time per file: awaiting the judge or in force.
            models.UniqueConstraint(
                fields=["file"],
                condition=Q(status__in=["PROPOSED", "APPROVED"]),
                name="enforcement_settlement_one_live_per_file",
            ),
            models.CheckConstraint(
                condition=Q(status="PROPOSED")
                | (Q(decided_at__isnull=False, decided_by__isnull=False) & ~Q(decision_reason="")),
                name="enforcement_settlement_decided_has_who_and_why",
            ),
            # The judge is not the person who proposed or recorded the plan.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="enforcement_settlement_not_decided_by_its_author",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["PROPOSED", "REFUSED"]) | Q(notice_days__isnull=False),
                name="enforcement_settlement_approved_has_notice_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id}:{self.pk}:{self.status}"


class Instalment(models.Model):
    """One payment of a settlement: the first payment is number 1."""

    settlement = models.ForeignKey(
        Settlement,
        verbose_name=_("settlement"),
        on_delete=models.CASCADE,
        related_name="instalments",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due"))
    amount_minor = models.BigIntegerField(_("amount"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # What paid it: the payment's public id (card) or bank reference, written by the payments side.
    payment_reference = models.CharField(_("payment"), max_length=64, blank=True)
    # Paid after the settlement had already ended in default: credited to the file all the same.
    is_late = models.BooleanField(_("paid after enforcement resumed"), default=False)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["settlement", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "number"], name="enforcement_instalment_number_once"
            ),
            models.UniqueConstraint(
                fields=["settlement", "due_on"], name="enforcement_instalment_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="enforcement_instalment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True, payment_reference="")
                | Q(paid_at__isnull=False) & ~Q(payment_reference=""),
                name="enforcement_instalment_paid_has_its_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.settlement_id}#{self.number}"

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None


class LetterFollowUp(models.Model):
    """A reminder to the agency about an overdue letter, or its escalation to the court's judges.

    One row per letter and step (1, 2, ... reminders, then the escalation): the unique key is
    what makes two clock passes racing over the same letter send each step once.
    """

    class Kind(models.TextChoices):
        REMINDER = "REMINDER", _("Reminder to the agency")
        ESCALATION = "ESCALATION", _("Escalated to the supervising judge")

    letter = models.ForeignKey(
        "enforcement.AgencyLetter",
        verbose_name=_("letter"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    step = models.PositiveSmallIntegerField(_("step"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(_("sent"))
    recipients = models.TextField(_("sent to"), blank=True)

    class Meta:
        verbose_name = _("letter follow-up")
        verbose_name_plural = _("letter follow-ups")
        ordering = ["letter", "step"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "step"], name="enforcement_followup_once"),
            models.CheckConstraint(
                condition=Q(kind__in=["REMINDER", "ESCALATION"]),
                name="enforcement_followup_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter_id}:{self.step}"
