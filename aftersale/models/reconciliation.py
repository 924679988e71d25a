"""Statements from the bank and the payment provider, their lines, and what they matched."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import Money


class Statement(models.Model):
    """One imported statement of one account, for one period; imported once (its fingerprint)."""

    class Source(models.TextChoices):
        CAMT053 = "CAMT053", _("Bank statement (ISO 20022 camt.053)")
        MT940 = "MT940", _("Bank statement (SWIFT MT940)")
        CAMT054 = "CAMT054", _("Bank notification (ISO 20022 camt.054)")
        CSV = "CSV", _("Bank statement (CSV)")
        PROVIDER = "PROVIDER", _("Payment provider balance transactions")

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    account_purpose = models.CharField(_("ledger account"), max_length=32)
    identifier = models.CharField(_("statement id"), max_length=120)
    content_hash = models.CharField(_("content hash"), max_length=64)
    fingerprint = models.CharField(
        _("fingerprint"),
        max_length=64,
        blank=True,
        help_text=_("Account, currency, period, balances and movements: the same in any format."),
    )
    filename = models.CharField(_("file"), max_length=200, blank=True)
    iban = models.CharField(_("account"), max_length=34, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    opening_minor = models.BigIntegerField(_("opening balance"), null=True, blank=True)
    closing_minor = models.BigIntegerField(_("closing balance"), null=True, blank=True)
    from_on = models.DateField(_("from"))
    to_on = models.DateField(_("to"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-to_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["CAMT053", "MT940", "CAMT054", "CSV", "PROVIDER"]),
                name="aftersale_statement_source_known",
            ),
            models.UniqueConstraint(
                fields=["court", "source", "content_hash"], name="aftersale_statement_once"
            ),
            models.UniqueConstraint(
                fields=["court", "source", "identifier", "currency", "from_on", "to_on"],
                name="aftersale_statement_id_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["court", "account_purpose", "fingerprint"],
                condition=~Q(fingerprint=""),
                name="aftersale_statement_fingerprint_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.identifier}"

    @property
    def is_complete(self) -> bool:
        """Whether it lists every movement of its period (a notification lists only some)."""
        return self.source != self.Source.CAMT054


class StatementLine(models.Model):
    """One booked movement: credits positive, debits negative, in minor units."""

    statement = models.ForeignKey(
        Statement, verbose_name=_("statement"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveIntegerField(_("line"))
    booked_on = models.DateField(_("booked"))
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    external_id = models.CharField(_("bank or provider id"), max_length=140, blank=True)
    kind = models.CharField(_("type"), max_length=40, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_reversal = models.BooleanField(_("reversal"), default=False)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=140, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=140, blank=True)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "position"], name="aftersale_statement_line_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount_minor} {self.reference}"

    @property
    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)


class Match(models.Model):
    """A statement line and a ledger entry that belong together, or one of them alone."""

    class Kind(models.TextChoices):
        MATCHED = "MATCHED", _("Matched")
        DIFFERENCE = "DIFFERENCE", _("Amounts differ")
        STATEMENT_ONLY = "STATEMENT_ONLY", _("On the statement only")
        LEDGER_ONLY = "LEDGER_ONLY", _("In the ledger only")

    class Method(models.TextChoices):
        REFERENCE = "REFERENCE", _("By reference")
        AMOUNT_DATE = "AMOUNT_DATE", _("By amount and date")
        NONE = "NONE", _("Not matched")

    statement = models.ForeignKey(
        Statement, verbose_name=_("statement"), on_delete=models.CASCADE, related_name="matches"
    )
    line = models.OneToOneField(
        StatementLine,
        verbose_name=_("statement line"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="match",
    )
    entry = models.ForeignKey(
        "payments.JournalEntry",
        verbose_name=_("ledger entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ledger_minor = models.BigIntegerField(_("ledger amount"), null=True, blank=True)
    kind = models.CharField(_("result"), max_length=16, choices=Kind.choices)
    method = models.CharField(_("matched"), max_length=12, choices=Method.choices)
    difference_minor = models.BigIntegerField(_("difference"), default=0)
    is_resolved = models.BooleanField(_("resolved"), default=False)
    note = models.TextField(_("resolution note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation match")
        verbose_name_plural = _("reconciliation matches")
        ordering = ["statement", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["MATCHED", "DIFFERENCE", "STATEMENT_ONLY", "LEDGER_ONLY"]),
                name="aftersale_match_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(method__in=["REFERENCE", "AMOUNT_DATE", "NONE"]),
                name="aftersale_match_method_known",
            ),
            models.UniqueConstraint(
                fields=["statement", "entry"],
                condition=Q(entry__isnull=False),
                name="aftersale_match_entry_once_per_statement",
            ),
            models.CheckConstraint(
                condition=Q(line__isnull=False) | Q(entry__isnull=False),
                name="aftersale_match_has_a_side",
            ),
            models.CheckConstraint(
                condition=~Q(kind="MATCHED") | Q(difference_minor=0),
                name="aftersale_match_exact_has_no_difference",
            ),
            models.CheckConstraint(
                condition=Q(is_resolved=False) | ~Q(note=""),
                name="aftersale_match_resolved_with_a_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.line_id} {self.entry_id}"

    @property
    def needs_attention(self) -> bool:
        return self.kind != self.Kind.MATCHED and not self.is_resolved
