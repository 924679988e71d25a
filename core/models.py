"""The audit record: who did what to which object, when, with the state before and after."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AuditRecord(models.Model):
    """One state change. Append-only: PostgreSQL refuses UPDATE and DELETE (migration 0002)."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor label"), max_length=200, blank=True)
    court = models.ForeignKey(
        "accounts.Court",
        verbose_name=_("court"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=100)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField(_("note"), blank=True)
    # The hash chain (core/audit_chain.py): set once, shortly after the record is written, by
    # whoever links the chain; the database allows no other change (migration 0004).
    chain = models.CharField(_("chain"), max_length=40, blank=True)
    chain_sequence = models.PositiveBigIntegerField(
        _("position in the chain"), null=True, blank=True
    )
    previous_hash = models.CharField(_("previous record's hash"), max_length=64, blank=True)
    record_hash = models.CharField(_("record hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-at", "-id"]
        # Plain indexes only: Django's `db_index` on a CharField adds a second, LIKE-pattern
        # index on PostgreSQL, and a hot lot writes a record per bid. The linker finds the
        # unlinked records through a partial index that holds only them.
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"]),
            models.Index(fields=["action"], name="core_auditrecord_action"),
            models.Index(
                fields=["id"], condition=models.Q(record_hash=""), name="core_auditrecord_unlinked"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "chain_sequence"],
                condition=models.Q(chain_sequence__isnull=False),
                name="core_auditrecord_one_record_per_chain_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}#{self.object_id}"


class Counter(models.Model):
    """The last number issued in a series (for example receipts of 2026); see core.numbering."""

    series = models.CharField(_("series"), max_length=60, unique=True)
    last = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return f"{self.series}: {self.last}"


class Receipt(models.Model):
    """A numbered electronic receipt whose content is frozen and hashed when it is issued.

    Anyone holding the PDF can check it on the public verification page, which
    shows the number, date and content hash recorded here.
    """

    class Kind(models.TextChoices):
        ENFORCEMENT_REQUEST = "ENFORCEMENT_REQUEST", _("Enforcement request")
        PAYMENT = "PAYMENT", _("Payment")
        REFUND = "REFUND", _("Refund")
        TRANSFER = "TRANSFER", _("Transfer")
        BID = "BID", _("Bid acknowledgement")
        SALE_CERTIFICATE = "SALE_CERTIFICATE", _("Sale certificate")

    number = models.CharField(_("number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    issued_at = models.DateTimeField(_("issued"))
    court = models.ForeignKey(
        "accounts.Court",
        verbose_name=_("court"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    subject_type = models.CharField(_("about (type)"), max_length=100)
    subject_id = models.CharField(_("about (id)"), max_length=64)
    content = models.JSONField(_("content"), encoder=DjangoJSONEncoder)
    content_hash = models.CharField(_("content hash"), max_length=64)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "ENFORCEMENT_REQUEST",
                        "PAYMENT",
                        "REFUND",
                        "TRANSFER",
                        "BID",
                        "SALE_CERTIFICATE",
                    ]
                ),
                name="core_receipt_kind_known",
            ),
        ]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return self.number


class AuditChain(models.Model):
    """The head of one audit chain (one per court, and one for the platform)."""

    chain = models.CharField(_("chain"), max_length=40, unique=True)
    last_sequence = models.PositiveBigIntegerField(_("last position"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chains")

    def __str__(self) -> str:
        return f"{self.chain} #{self.last_sequence}"


class ProcessHeartbeat(models.Model):
    """The last beat of one background process (the payment worker, the auction clock) per host.

    A row in PostgreSQL rather than a Redis key: the work of both processes is writing to the
    database, so a beat that lands there proves the path their work takes; the worker does not
    use Redis at all, and compose's Redis keeps nothing across a restart. Times are the
    database's, so hosts with skewed clocks still agree on a beat's age.
    """

    class Role(models.TextChoices):
        WORKER = "WORKER", _("Payment worker")
        CLOCK = "CLOCK", _("Auction clock")

    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started"))
    beat_at = models.DateTimeField(_("last beat"))

    class Meta:
        verbose_name = _("process heartbeat")
        verbose_name_plural = _("process heartbeats")
        ordering = ["role", "host"]
        constraints = [
            models.UniqueConstraint(fields=["role", "host"], name="core_heartbeat_one_per_host"),
            models.CheckConstraint(
                condition=Q(role__in=["WORKER", "CLOCK"]), name="core_heartbeat_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.host} {self.beat_at:%H:%M:%S}"
