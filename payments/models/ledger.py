"""The court ledger: accounts, journal entries and their postings (double-entry, append-only).

PostgreSQL itself refuses an UPDATE or DELETE of an entry or a posting, and
refuses at commit an entry whose postings do not sum to zero per currency
(migration 0002). Corrections are reversing entries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    ASSET = "ASSET", _("Asset")
    LIABILITY = "LIABILITY", _("Liability")
    INCOME = "INCOME", _("Income")
    EXPENSE = "EXPENSE", _("Expense")


class AccountPurpose(models.TextChoices):
    PROVIDER_CLEARING = "PROVIDER_CLEARING", _("Payment provider clearing")
    COURT_CUSTODY = "COURT_CUSTODY", _("Court custody")
    BIDDER_DEPOSITS = "BIDDER_DEPOSITS", _("Bidder deposits held")
    SALE_PROCEEDS = "SALE_PROCEEDS", _("Sale proceeds awaiting distribution")
    APPLICANT_PAYABLE = "APPLICANT_PAYABLE", _("Applicant payable")
    DEBTOR_PAYABLE = "DEBTOR_PAYABLE", _("Debtor payable")
    FEES_INCOME = "FEES_INCOME", _("Fees income")
    VAT_PAYABLE = "VAT_PAYABLE", _("VAT payable")
    FORFEITED_DEPOSITS = "FORFEITED_DEPOSITS", _("Forfeited deposits")
    CREDITOR_PAYABLE = "CREDITOR_PAYABLE", _("Secured creditors payable")
    DISBURSEMENTS_IN_TRANSIT = "DISBURSEMENTS_IN_TRANSIT", _("Disbursements in transit")


# The kind of each purpose, and which purposes are kept per enforcement file.
KIND_OF_PURPOSE: dict[str, str] = {
    AccountPurpose.PROVIDER_CLEARING: AccountKind.ASSET,
    AccountPurpose.COURT_CUSTODY: AccountKind.ASSET,
    AccountPurpose.BIDDER_DEPOSITS: AccountKind.LIABILITY,
    AccountPurpose.SALE_PROCEEDS: AccountKind.LIABILITY,
    AccountPurpose.APPLICANT_PAYABLE: AccountKind.LIABILITY,
    AccountPurpose.DEBTOR_PAYABLE: AccountKind.LIABILITY,
    AccountPurpose.FEES_INCOME: AccountKind.INCOME,
    AccountPurpose.VAT_PAYABLE: AccountKind.LIABILITY,
    AccountPurpose.FORFEITED_DEPOSITS: AccountKind.INCOME,
    AccountPurpose.CREDITOR_PAYABLE: AccountKind.LIABILITY,
    AccountPurpose.DISBURSEMENTS_IN_TRANSIT: AccountKind.ASSET,
}
PER_FILE_PURPOSES = frozenset(
    {
        AccountPurpose.SALE_PROCEEDS,
        AccountPurpose.APPLICANT_PAYABLE,
        AccountPurpose.DEBTOR_PAYABLE,
        AccountPurpose.CREDITOR_PAYABLE,
    }
)


class LedgerAccount(models.Model):
    """One account of a court's ledger in one currency (per file for payables)."""

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=AccountPurpose.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=AccountKind.choices)
    file_number = models.CharField(_("file number"), max_length=40, blank=True, default="")
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["court", "purpose", "file_number", "currency"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=AccountPurpose.values),
                name="payments_account_purpose_known",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AccountKind.values),
                name="payments_account_kind_known",
            ),
            models.UniqueConstraint(
                fields=["court", "purpose", "file_number", "currency"],
                name="payments_ledgeraccount_unique",
            ),
        ]

    def __str__(self) -> str:
        label = str(AccountPurpose(self.purpose).label)
        suffix = f" · {self.file_number}" if self.file_number else ""
        return f"{label}{suffix} ({self.currency})"

    @property
    def is_debit_normal(self) -> bool:
        return self.kind in (AccountKind.ASSET, AccountKind.EXPENSE)


class JournalEntry(models.Model):
    """One business event in the ledger; its postings sum to zero per currency."""

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted"), db_index=True)
    memo = models.CharField(_("memo"), max_length=200)
    idempotency_key = models.CharField(_("idempotency key"), max_length=150, unique=True)
    reference_type = models.CharField(_("caused by (type)"), max_length=100)
    reference_id = models.CharField(_("caused by (id)"), max_length=64)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-posted_at", "-id"]
        indexes = [models.Index(fields=["reference_type", "reference_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.memo}"


class Posting(models.Model):
    """A debit (positive) or credit (negative) of one account, in minor units."""

    entry = models.ForeignKey(
        JournalEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="postings"
    )
    account = models.ForeignKey(
        LedgerAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="postings"
    )
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["entry_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount_minor=0), name="payments_posting_amount_not_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount_minor}"
