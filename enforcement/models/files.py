"""Parties, enforcement files and the electronic enforcement requests that open them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.money import Money
from core.storage import private_storage


class InstrumentKind(models.TextChoices):
    JUDGMENT = "JUDGMENT", _("Court judgment")
    CHEQUE = "CHEQUE", _("Cheque")
    PROMISSORY_NOTE = "PROMISSORY_NOTE", _("Promissory note")
    NOTARISED_CONTRACT = "NOTARISED_CONTRACT", _("Notarised contract")
    ARBITRAL_AWARD = "ARBITRAL_AWARD", _("Arbitral award")


class Party(models.Model):
    """A person (national ID or passport) or a company (commercial registration) on files."""

    class Kind(models.TextChoices):
        PERSON = "PERSON", _("Person")
        COMPANY = "COMPANY", _("Company")

    class IdKind(models.TextChoices):
        NATIONAL_ID = "NATIONAL_ID", _("National ID")
        PASSPORT = "PASSPORT", _("Passport")
        COMMERCIAL_REGISTRATION = "COMMERCIAL_REGISTRATION", _("Commercial registration")

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    id_kind = models.CharField(_("identity document"), max_length=24, choices=IdKind.choices)
    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    id_country = models.CharField(_("issuing country"), max_length=2, default="SA")
    id_number = models.CharField(_("national ID or commercial registration"), max_length=32)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    payment_account_id = models.CharField(_("payment provider account"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parties",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name_en", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["court", "id_kind", "id_country", "id_number"],
                name="enforcement_party_one_per_identity_per_court",
            ),
            models.CheckConstraint(
                condition=Q(kind="COMPANY", id_kind="COMMERCIAL_REGISTRATION")
                | (Q(kind="PERSON") & ~Q(id_kind="COMMERCIAL_REGISTRATION")),
                name="enforcement_party_identity_fits_kind",
            ),
            models.CheckConstraint(
                condition=~Q(id_number=""), name="enforcement_party_has_an_identity_number"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en


class EnforcementFile(models.Model):
    """The case opened to enforce one executive instrument; numbered per court and year."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        ENFORCING = "ENFORCING", _("Enforcing")
        SATISFIED = "SATISFIED", _("Satisfied")
        CLOSED = "CLOSED", _("Closed")
        SUSPENDED = "SUSPENDED", _("Suspended")

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="files"
    )
    number = models.CharField(_("file number"), max_length=32, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    instrument_kind = models.CharField(
        _("executive instrument"), max_length=20, choices=InstrumentKind.choices
    )
    instrument_reference = models.CharField(_("instrument reference"), max_length=100)
    instrument_issued_on = models.DateField(_("instrument date"))
    instrument_document = models.FileField(
        _("scanned instrument"), storage=private_storage, upload_to="instruments/%Y/", blank=True
    )
    claim_minor = models.BigIntegerField(_("claim amount"))
    costs_minor = models.BigIntegerField(_("costs"), default=0)
    # Kept by the after-sale side each time a disbursement to an applicant is paid or returned
    # (`enforcement.services.record_paid_to_applicants`), so the balance owed is read here.
    paid_to_applicants_minor = models.BigIntegerField(
        _("paid to the applicants from the court account"), default=0
    )
    # Paid to the applicants outside the court account (the debtor paid them directly).
    paid_directly_minor = models.BigIntegerField(
        _("paid to the applicants outside the court account"), default=0
    )
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_files",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    status_reason = models.TextField(_("reason"), blank=True)
    parties: models.ManyToManyField[Party, FileParty] = models.ManyToManyField(
        Party, through="FileParty", related_name="files", verbose_name=_("parties")
    )

    class Meta:
        verbose_name = _("enforcement file")
        verbose_name_plural = _("enforcement files")
        ordering = ["-opened_at", "-pk"]
        # The files list walks a court's files newest first by keyset (enforcement/views/files.py).
        indexes = [
            models.Index(fields=["court", "-opened_at", "-id"], name="enf_file_court_opened"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["court", "year", "sequence"], name="enforcement_file_number_per_court_year"
            ),
            models.CheckConstraint(
                condition=Q(claim_minor__gt=0), name="enforcement_file_claim_positive"
            ),
            models.CheckConstraint(
                condition=Q(costs_minor__gte=0), name="enforcement_file_costs_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["OPEN", "ENFORCING", "SATISFIED", "CLOSED", "SUSPENDED"]),
                name="enforcement_file_status_known",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def _names(self, role: str) -> str:
        separator = "، " if (get_language() or "ar").startswith("ar") else ", "
        return separator.join(fp.party.name for fp in self.file_parties.all() if fp.role == role)

    @property
    def applicant_names(self) -> str:
        """Names of the applicants (prefetch `file_parties__party` when listing files)."""
        return self._names("APPLICANT")

    @property
    def debtor_names(self) -> str:
        return self._names("DEBTOR")

    def balance_owed(self) -> Money:
        """Claim + costs − what the applicants were paid (by the court or not); never below zero."""
        paid = self.paid_to_applicants_minor + self.paid_directly_minor
        owed = self.claim_minor + self.costs_minor - paid
        return Money(max(0, owed), self.currency)


class FileParty(models.Model):
    """A party's role on a file: applicant (creditor) or debtor."""

    class Role(models.TextChoices):
        APPLICANT = "APPLICANT", _("Applicant")
        DEBTOR = "DEBTOR", _("Debtor")

    file = models.ForeignKey(EnforcementFile, on_delete=models.CASCADE, related_name="file_parties")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="file_roles")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    # Applicants (and debtors) share what the file pays out in proportion to their shares.
    share = models.PositiveIntegerField(_("share"), default=1)

    class Meta:
        verbose_name = _("party on a file")
        verbose_name_plural = _("parties on files")
        ordering = ["role", "pk"]
        constraints = [
            # A party is either applicant or debtor on a file, never both.
            models.UniqueConstraint(fields=["file", "party"], name="enforcement_fileparty_once"),
            models.CheckConstraint(condition=Q(share__gt=0), name="enforcement_fileparty_share"),
        ]

    def __str__(self) -> str:
        return f"{self.file_id}:{self.role}:{self.party_id}"


class EnforcementRequest(models.Model):
    """An applicant's online request that, once accepted by staff, opens a file."""

    class Status(models.TextChoices):
        SUBMITTED = "SUBMITTED", _("Awaiting decision")
        ACCEPTED = "ACCEPTED", _("Accepted")
        REJECTED = "REJECTED", _("Rejected")

    court = models.ForeignKey(
        "accounts.Court",
        verbose_name=_("court"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="enforcement_requests",
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    applicant_iban = models.CharField(_("IBAN for payments"), max_length=34)
    debtor_kind = models.CharField(_("debtor is a"), max_length=10, choices=Party.Kind.choices)
    debtor_id_kind = models.CharField(
        _("debtor's identity document"), max_length=24, choices=Party.IdKind.choices
    )
    debtor_name = models.CharField(_("debtor's name"), max_length=200)
    debtor_id_country = models.CharField(_("issuing country"), max_length=2, default="SA")
    debtor_id_number = models.CharField(
        _("debtor's national ID or commercial registration"), max_length=32
    )
    debtor_address = models.CharField(_("debtor's address"), max_length=300, blank=True)
    instrument_kind = models.CharField(
        _("executive instrument"), max_length=20, choices=InstrumentKind.choices
    )
    instrument_reference = models.CharField(_("instrument reference"), max_length=100)
    instrument_issued_on = models.DateField(_("instrument date"))
    instrument_document = models.FileField(
        _("scanned instrument"), storage=private_storage, upload_to="requests/%Y/"
    )
    claim_minor = models.BigIntegerField(_("claim amount"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    file = models.OneToOneField(
        EnforcementFile,
        verbose_name=_("enforcement file"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="request",
    )
    receipt = models.OneToOneField(
        "core.Receipt",
        verbose_name=_("receipt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("enforcement request")
        verbose_name_plural = _("enforcement requests")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["SUBMITTED", "ACCEPTED", "REJECTED"]),
                name="enforcement_enforcementrequest_status_known",
            ),
            models.CheckConstraint(
                condition=Q(claim_minor__gt=0), name="enforcement_request_claim_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="ACCEPTED")
                | (Q(file__isnull=False) & Q(decided_at__isnull=False)),
                name="enforcement_request_accepted_opens_a_file",
            ),
            models.CheckConstraint(
                condition=~Q(status="REJECTED")
                | (~Q(rejection_reason="") & Q(decided_at__isnull=False)),
                name="enforcement_request_rejected_has_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("submitted_by")),
                name="enforcement_request_not_decided_by_its_applicant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk}:{self.status}"
