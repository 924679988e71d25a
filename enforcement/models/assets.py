"""Seized assets, what a buyer inherits with them, their photos, documents and appraisals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core import terms
from core.storage import private_storage


class SeizedAsset(models.Model):
    class Kind(models.TextChoices):
        VEHICLE = "VEHICLE", _("Vehicle")
        REAL_ESTATE = "REAL_ESTATE", _("Real estate")
        MOVABLE = "MOVABLE", _("Movable property")

    class Status(models.TextChoices):
        SEIZED = "SEIZED", _("Seized")
        APPRAISED = "APPRAISED", _("Appraised")
        APPROVED_FOR_SALE = "APPROVED_FOR_SALE", _("Approved for sale")
        LISTED = "LISTED", _("Listed in an auction")
        SOLD = "SOLD", _("Sold")
        UNSOLD = "UNSOLD", _("Unsold")
        RELEASED = "RELEASED", _("Released")

    class Condition(models.TextChoices):
        EXCELLENT = "EXCELLENT", _("Excellent")
        GOOD = "GOOD", _("Good")
        FAIR = "FAIR", _("Fair")
        POOR = "POOR", _("Poor")
        NOT_RUNNING = "NOT_RUNNING", _("Not running")

    class Use(models.TextChoices):
        RESIDENTIAL = "RESIDENTIAL", _("Residential")
        COMMERCIAL = "COMMERCIAL", _("Commercial")
        AGRICULTURAL = "AGRICULTURAL", _("Agricultural")
        INDUSTRIAL = "INDUSTRIAL", _("Industrial")
        LAND = "LAND", _("Vacant land")

    class Occupancy(models.TextChoices):
        VACANT = "VACANT", _("Vacant")
        DEBTOR = "DEBTOR", _("Occupied by the debtor")
        TENANT = "TENANT", _("Leased to a tenant")

    class PublicLocation(models.TextChoices):
        """How much of the place the public catalog shows (staff choose; the area by default)."""

        AREA = "AREA", _("The area only (rounded to about a kilometre)")
        EXACT = "EXACT", _("The exact place")
        HIDDEN = "HIDDEN", _("Not shown")

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.ForeignKey(
        "enforcement.EnforcementFile",
        verbose_name=_("enforcement file"),
        on_delete=models.PROTECT,
        related_name="assets",
    )
    order = models.ForeignKey(
        "enforcement.SeizureOrder",
        verbose_name=_("seizure order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assets",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SEIZED, db_index=True
    )
    custody_location = models.CharField(_("custody location"), max_length=200, blank=True)
    # Vehicles
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    plate = models.CharField(_("plate"), max_length=20, blank=True)
    make = models.CharField(_("make"), max_length=60, blank=True)
    model = models.CharField(_("model"), max_length=60, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    colour = models.CharField(_("colour"), max_length=40, blank=True)
    mileage_km = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    condition = models.CharField(
        _("condition"), max_length=12, choices=Condition.choices, blank=True
    )
    # Real estate
    deed_number = models.CharField(_("title deed number"), max_length=40, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    plan_number = models.CharField(_("plan number"), max_length=40, blank=True)
    plot_number = models.CharField(_("plot number"), max_length=40, blank=True)
    area_m2 = models.DecimalField(
        _("area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    use = models.CharField(_("use"), max_length=12, choices=Use.choices, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    public_location = models.CharField(
        _("shown on the public map"),
        max_length=6,
        choices=PublicLocation.choices,
        default=PublicLocation.AREA,
    )
    # What a buyer inherits
    occupancy = models.CharField(
        _("occupancy"), max_length=10, choices=Occupancy.choices, default=Occupancy.VACANT
    )
    lease_ends_on = models.DateField(_("lease ends"), null=True, blank=True)
    transfer_costs_minor = models.BigIntegerField(
        _("fees and taxes due on transfer"), null=True, blank=True
    )
    transfer_costs_note = models.CharField(
        _("about the transfer costs"), max_length=300, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3)
    # Who and when
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    registered_at = models.DateTimeField(_("registered"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved for sale by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved for sale"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    # Natural key of a row in a bulk import, so importing the same file twice adds nothing.
    import_key = models.CharField(_("import key"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("seized asset")
        verbose_name_plural = _("seized assets")
        ordering = ["-registered_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "SEIZED",
                        "APPRAISED",
                        "APPROVED_FOR_SALE",
                        "LISTED",
                        "SOLD",
                        "UNSOLD",
                        "RELEASED",
                    ]
                ),
                name="enforcement_seizedasset_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(kind="VEHICLE") | ~Q(vin="") | ~Q(plate=""),
                name="enforcement_asset_vehicle_has_vin_or_plate",
            ),
            models.CheckConstraint(
                condition=~Q(kind="REAL_ESTATE") | ~Q(deed_number=""),
                name="enforcement_asset_real_estate_has_a_deed",
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1900, year__lte=2100),
                name="enforcement_asset_year_plausible",
            ),
            models.CheckConstraint(
                condition=~Q(occupancy="TENANT") | Q(lease_ends_on__isnull=False),
                name="enforcement_asset_lease_has_an_end",
            ),
            models.CheckConstraint(
                condition=Q(transfer_costs_minor__isnull=True) | Q(transfer_costs_minor__gte=0),
                name="enforcement_asset_transfer_costs_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(public_location__in=["AREA", "EXACT", "HIDDEN"]),
                name="enforcement_asset_public_location_known",
            ),
            models.CheckConstraint(
                condition=Q(area_m2__isnull=True) | Q(area_m2__gt=0),
                name="enforcement_asset_area_positive",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["SEIZED", "APPRAISED", "RELEASED"])
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="enforcement_asset_sale_needs_approval",
            ),
            # The four-eyes rule: whoever registered an asset never approves its sale.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("registered_by")),
                name="enforcement_asset_approver_is_not_registrar",
            ),
            models.UniqueConstraint(
                fields=["court", "vin"],
                condition=~Q(vin="") & ~Q(status="RELEASED"),
                name="enforcement_asset_vin_seized_once_per_court",
            ),
            models.UniqueConstraint(
                fields=["court", "deed_number"],
                condition=~Q(deed_number="") & ~Q(status="RELEASED"),
                name="enforcement_asset_deed_seized_once_per_court",
            ),
            models.UniqueConstraint(
                fields=["court", "import_key"],
                condition=~Q(import_key=""),
                name="enforcement_asset_imported_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def colour_label(self) -> str:
        """The colour in the reader's language when it is a known one (core.terms)."""
        return terms.in_reader_language(self.colour)

    @property
    def city_label(self) -> str:
        return terms.in_reader_language(self.city)


class Encumbrance(models.Model):
    """A right over the asset that survives the sale: a mortgage, a lien, a recorded charge."""

    class Kind(models.TextChoices):
        MORTGAGE = "MORTGAGE", _("Mortgage")
        LIEN = "LIEN", _("Lien")
        CHARGE = "CHARGE", _("Recorded charge")
        OTHER = "OTHER", _("Other right")

    asset = models.ForeignKey(SeizedAsset, on_delete=models.CASCADE, related_name="encumbrances")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    holder = models.CharField(_("holder"), max_length=200)
    # Who the holder is on the platform: a person's national ID or passport number, or a
    # company's commercial registration, and the issuing country. With it a secured
    # creditor has standing on the file (they may object to the sale of the asset).
    holder_id_country = models.CharField(_("holder's issuing country"), max_length=2, blank=True)
    holder_id_number = models.CharField(
        _("holder's ID or commercial registration"), max_length=32, blank=True
    )
    amount_minor = models.BigIntegerField(_("amount"), null=True, blank=True)
    note = models.CharField(_("details"), max_length=300, blank=True)
    # The order in which secured creditors are paid from the asset's sale (1 first).
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    holder_iban = models.CharField(_("holder's IBAN"), max_length=34, blank=True)

    class Meta:
        verbose_name = _("encumbrance")
        verbose_name_plural = _("encumbrances")
        ordering = ["rank", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__isnull=True) | Q(amount_minor__gte=0),
                name="enforcement_encumbrance_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.holder}"


class AssetPhoto(models.Model):
    """A photo, re-encoded on upload (which drops its metadata), with a thumbnail."""

    asset = models.ForeignKey(SeizedAsset, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), storage=private_storage, upload_to="assets/photos/%Y/")
    thumbnail = models.FileField(
        _("thumbnail"), storage=private_storage, upload_to="assets/thumbnails/%Y/"
    )
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"photo {self.pk} of asset {self.asset_id}"


class AssetDocument(models.Model):
    asset = models.ForeignKey(SeizedAsset, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    document = models.FileField(
        _("document (PDF)"), storage=private_storage, upload_to="assets/documents/%Y/"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("asset document")
        verbose_name_plural = _("asset documents")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class Appraisal(models.Model):
    """An appraiser's valuation; the latest one is the asset's value."""

    asset = models.ForeignKey(SeizedAsset, on_delete=models.PROTECT, related_name="appraisals")
    appraiser = models.CharField(_("appraiser"), max_length=200)
    appraised_on = models.DateField(_("appraisal date"))
    value_minor = models.BigIntegerField(_("value"))
    currency = models.CharField(_("currency"), max_length=3)
    report = models.FileField(
        _("appraisal report (PDF)"),
        storage=private_storage,
        upload_to="assets/appraisals/%Y/",
        blank=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["-recorded_at", "-pk"]
        get_latest_by = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_minor__gt=0), name="enforcement_appraisal_value_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appraiser} {self.appraised_on}"


class AssetImport(models.Model):
    """One uploaded CSV or XLSX of seized assets, imported in steps so progress can be shown."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting")
        RUNNING = "RUNNING", _("Importing")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Failed")

    court = models.ForeignKey(
        "accounts.Court", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.FileField(_("file"), storage=private_storage, upload_to="imports/%Y/")
    source_name = models.CharField(_("file name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    imported_count = models.PositiveIntegerField(_("imported"), default=0)
    skipped_count = models.PositiveIntegerField(_("already imported"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("asset import")
        verbose_name_plural = _("asset imports")
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "RUNNING", "DONE", "FAILED"]),
                name="enforcement_assetimport_status_known",
            ),
            models.CheckConstraint(
                condition=Q(processed_rows__lte=F("total_rows")),
                name="enforcement_import_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.source_name

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return self.processed_rows * 100 // self.total_rows
