"""Seized assets: registration, details, photos, documents, appraisal, approval and the sale states.

The auction and payments apps move assets through `mark_listed`,
`mark_withdrawn`, `mark_sold` and `mark_unsold`; nothing else changes an
asset's status.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Capability
from core import audit
from core.errors import DomainError, InvalidTransition, PermissionDenied
from core.money import Money
from core.uploads import is_pdf, validate_size
from enforcement import access, engine, images, locks, notices, validators
from enforcement.models import (
    Appraisal,
    AssetDocument,
    AssetPhoto,
    Encumbrance,
    EnforcementFile,
    SeizedAsset,
    SeizureOrder,
)
from enforcement.services.common import check_transition, positive, required, transition
from enforcement.services.files import locked_own_file, refuse_if_final, validated

MAX_PHOTOS = 20
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class AssetDetails:
    """Everything that describes an asset; the fields that do not apply to its kind stay empty."""

    kind: str
    title: str
    description: str = ""
    custody_location: str = ""
    order_id: int | None = None
    vin: str = ""
    plate: str = ""
    make: str = ""
    model: str = ""
    year: int | None = None
    colour: str = ""
    mileage_km: int | None = None
    condition: str = ""
    deed_number: str = ""
    city: str = ""
    district: str = ""
    plan_number: str = ""
    plot_number: str = ""
    area_m2: Decimal | None = None
    use: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    public_location: str = SeizedAsset.PublicLocation.AREA
    occupancy: str = SeizedAsset.Occupancy.VACANT
    lease_ends_on: date | None = None
    transfer_costs_minor: int | None = None
    transfer_costs_note: str = ""


DETAIL_FIELDS = (*tuple(f.name for f in fields(AssetDetails) if f.name != "order_id"), "order")
VEHICLE_ONLY = ("vin", "plate", "make", "model", "year", "colour", "mileage_km", "condition")
REAL_ESTATE_ONLY = (
    "deed_number",
    "city",
    "district",
    "plan_number",
    "plot_number",
    "area_m2",
    "use",
    "latitude",
    "longitude",
)


def check_details(details: AssetDetails, *, file_id: int) -> dict[str, Any]:
    """Validate `details` for its kind; return the model field values. Raises DomainError."""
    if details.kind not in SeizedAsset.Kind.values:
        raise DomainError(_("Choose a kind of asset."), code="invalid_choice", field="kind")
    values = {f.name: getattr(details, f.name) for f in fields(AssetDetails)}
    values["title"] = required(details.title, "title")
    cleared: tuple[str, ...] = ()
    if details.kind != SeizedAsset.Kind.VEHICLE:
        cleared += VEHICLE_ONLY
    if details.kind != SeizedAsset.Kind.REAL_ESTATE:
        cleared += REAL_ESTATE_ONLY
    for name in cleared:
        values[name] = (
            None if isinstance(values[name], int | Decimal) or values[name] is None else ""
        )
    if details.kind == SeizedAsset.Kind.VEHICLE:
        values["vin"] = validators.normalise_vin(details.vin) if details.vin else ""
        values["plate"] = details.plate.strip().upper()
        if values["vin"]:
            validated(validators.validate_vin, values["vin"], "vin")
        elif not values["plate"]:
            raise DomainError(
                _("A vehicle needs its VIN or its plate."), code="required", field="vin"
            )
        if details.year is not None and not 1900 <= details.year <= timezone.now().year + 1:
            raise DomainError(
                _("Enter the year of manufacture, for example 2019."), code="year", field="year"
            )
    if details.kind == SeizedAsset.Kind.REAL_ESTATE:
        values["deed_number"] = required(details.deed_number, "deed_number")
        if details.area_m2 is not None and details.area_m2 <= 0:
            raise DomainError(
                _("The area must be greater than zero."), code="area", field="area_m2"
            )
    if details.public_location not in SeizedAsset.PublicLocation.values:
        raise DomainError(
            _("Choose how much of the place the public map shows."),
            code="invalid_choice",
            field="public_location",
        )
    if details.occupancy == SeizedAsset.Occupancy.TENANT and details.lease_ends_on is None:
        raise DomainError(
            _("Give the date the lease ends."), code="required", field="lease_ends_on"
        )
    if details.occupancy != SeizedAsset.Occupancy.TENANT:
        values["lease_ends_on"] = None
    if details.transfer_costs_minor is not None and details.transfer_costs_minor < 0:
        raise DomainError(
            _("Costs cannot be negative."), code="amount_not_negative", field="transfer_costs"
        )
    if (
        details.order_id is not None
        and not SeizureOrder.objects.filter(pk=details.order_id, file_id=file_id).exists()
    ):
        raise DomainError(
            _("Choose an order of this file."), code="order_not_on_file", field="order"
        )
    return values


def _save_unique(asset: SeizedAsset, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            asset.save(**kwargs)
    except IntegrityError as error:
        text = str(error)
        if "imported_once" in text:
            raise DomainError(
                _("This row was already imported."), code="already_imported", field="import_key"
            ) from None
        field = "deed_number" if "deed" in text else "vin"
        raise DomainError(
            _("An asset with this %(what)s is already seized in this court."),
            code="duplicate_asset",
            field=field,
            params={"what": _("VIN") if field == "vin" else _("title deed number")},
        ) from None


@transaction.atomic
def register_asset(
    *, actor: User, file_id: int, details: AssetDetails, import_key: str = ""
) -> SeizedAsset:
    """Register a seized asset on an open file. Staff who manage files only."""
    file = locked_own_file(actor, file_id)
    refuse_if_final(file)
    if (
        import_key
        and SeizedAsset.objects.filter(court_id=file.court_id, import_key=import_key).exists()
    ):
        # The unique constraint is the guarantee; this only names the refusal precisely.
        raise DomainError(
            _("This row was already imported."), code="already_imported", field="import_key"
        )
    values = check_details(details, file_id=file.pk)
    asset = SeizedAsset(
        court_id=file.court_id,
        file=file,
        currency=file.currency,
        registered_by=actor,
        import_key=import_key,
        **values,
    )
    _save_unique(asset)
    audit.record(
        actor=actor,
        action="asset.registered",
        obj=asset,
        after=audit.snapshot(asset, ("status", "file", *DETAIL_FIELDS)),
        court_id=file.court_id,
    )
    return asset


def locked_own_asset(
    actor: User, asset_id: int, capability: str = Capability.MANAGE_FILES
) -> SeizedAsset:
    access.require(actor, capability)
    asset = locks.lock_asset(asset_id)
    access.require_same_court(actor, asset.court_id)
    return asset


EDITABLE = frozenset(
    {SeizedAsset.Status.SEIZED, SeizedAsset.Status.APPRAISED, SeizedAsset.Status.UNSOLD}
)


def _refuse_unless_editable(asset: SeizedAsset) -> None:
    if asset.status not in EDITABLE:
        raise DomainError(
            _("The asset is “%(status)s”: its description can no longer change."),
            code="asset_locked",
            field="status",
            params={"status": asset.get_status_display()},
        )


@transaction.atomic
def update_asset(*, actor: User, asset_id: int, details: AssetDetails) -> SeizedAsset:
    """Correct an asset's description before it is approved for sale."""
    asset = locked_own_asset(actor, asset_id)
    _refuse_unless_editable(asset)
    if details.kind != asset.kind:
        raise DomainError(_("The kind of an asset cannot change."), code="kind_fixed", field="kind")
    values = check_details(details, file_id=asset.file_id)
    before = audit.snapshot(asset, DETAIL_FIELDS)
    for name, value in values.items():
        setattr(asset, name, value)
    _save_unique(asset)
    changed_before, changed_after = audit.changes(before, audit.snapshot(asset, DETAIL_FIELDS))
    if changed_after:
        audit.record(
            actor=actor,
            action="asset.updated",
            obj=asset,
            before=changed_before,
            after=changed_after,
            court_id=asset.court_id,
        )
    return asset


@transaction.atomic
def add_encumbrance(
    *,
    actor: User,
    asset_id: int,
    kind: str,
    holder: str,
    amount_minor: int | None,
    note: str = "",
    holder_id_number: str = "",
    holder_id_country: str = "",
) -> Encumbrance:
    """Record a right over the asset. The holder's identity (ID or commercial registration
    and its issuing country, both or neither) gives a secured creditor standing on the file."""
    asset = locked_own_asset(actor, asset_id)
    _refuse_unless_editable(asset)
    if amount_minor is not None and amount_minor < 0:
        raise DomainError(
            _("Costs cannot be negative."), code="amount_not_negative", field="amount"
        )
    encumbrance = Encumbrance.objects.create(
        asset=asset,
        kind=kind,
        holder=required(holder, "holder"),
        amount_minor=amount_minor,
        note=note.strip(),
        **_holder_identity(holder_id_number, holder_id_country),
    )
    audit.record(
        actor=actor,
        action="asset.encumbrance_added",
        obj=asset,
        after=audit.snapshot(encumbrance, ("kind", "holder", "amount_minor", "note")),
        court_id=asset.court_id,
    )
    return encumbrance


def _holder_identity(number: str, country: str) -> dict[str, str]:
    number, country = number.strip().upper(), country.strip().upper()
    if number and not country:
        raise DomainError(
            _("Give the country that issued the holder's ID."),
            code="required",
            field="holder_id_country",
        )
    if country and (len(country) != 2 or not country.isalpha() or not country.isascii()):
        raise DomainError(
            _("Give the country as its two-letter code (SA, KW, BH, VN)."),
            code="id_country",
            field="holder_id_country",
        )
    return {"holder_id_number": number, "holder_id_country": country if number else ""}


@transaction.atomic
def remove_encumbrance(*, actor: User, encumbrance_id: int) -> None:
    encumbrance = Encumbrance.objects.filter(pk=encumbrance_id).first()
    if encumbrance is None:
        raise locks._missing()
    asset = locked_own_asset(actor, encumbrance.asset_id)
    _refuse_unless_editable(asset)
    before = audit.snapshot(encumbrance, ("kind", "holder", "amount_minor", "note"))
    encumbrance.delete()
    audit.record(
        actor=actor,
        action="asset.encumbrance_removed",
        obj=asset,
        before=before,
        court_id=asset.court_id,
    )


@transaction.atomic
def add_photos(*, actor: User, asset_id: int, uploads: Sequence[UploadedFile]) -> list[AssetPhoto]:
    """Add photos (each validated, re-encoded and thumbnailed); all or none are added."""
    asset = locked_own_asset(actor, asset_id)
    if asset.status in (SeizedAsset.Status.SOLD, SeizedAsset.Status.RELEASED):
        _refuse_unless_editable(asset)
    if asset.photos.count() + len(uploads) > MAX_PHOTOS:
        raise DomainError(
            _("An asset has at most %(limit)s photos."),
            code="too_many_photos",
            field="photos",
            params={"limit": MAX_PHOTOS},
        )
    prepared = []
    for upload in uploads:
        try:
            prepared.append(images.prepare_photo(upload))
        except ValidationError as error:
            raise DomainError(
                _("%(name)s: %(rule)s"),
                code=error.code or "invalid_image",
                field="photos",
                params={"name": upload.name or "", "rule": error.messages[0]},
            ) from error
    photos = [_store_photo(asset, actor, photo) for photo in prepared]
    audit.record(
        actor=actor,
        action="asset.photos_added",
        obj=asset,
        after={"photos": [p.pk for p in photos]},
        court_id=asset.court_id,
    )
    return photos


def _store_photo(asset: SeizedAsset, actor: User, prepared: images.PreparedPhoto) -> AssetPhoto:
    name = f"{asset.pk}-{uuid.uuid4().hex[:12]}.jpg"
    photo = AssetPhoto(asset=asset, width=prepared.width, height=prepared.height, uploaded_by=actor)
    photo.image.save(name, ContentFile(prepared.full), save=False)
    photo.thumbnail.save(name, ContentFile(prepared.thumbnail), save=False)
    photo.save()
    return photo


@transaction.atomic
def remove_photo(*, actor: User, photo_id: int) -> None:
    photo = AssetPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        raise locks._missing()
    asset = locked_own_asset(actor, photo.asset_id)
    _refuse_unless_editable(asset)
    photo.delete()
    audit.record(
        actor=actor,
        action="asset.photo_removed",
        obj=asset,
        before={"photo": photo_id},
        court_id=asset.court_id,
    )


def check_pdf(upload: UploadedFile, field: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> None:
    try:
        validate_size(upload, max_bytes=max_bytes)
    except ValidationError as error:
        raise DomainError(error.messages[0], code=error.code or "invalid", field=field) from error
    if not is_pdf(upload):
        raise DomainError(_("The document must be a PDF."), code="not_a_pdf", field=field)


@transaction.atomic
def add_document(*, actor: User, asset_id: int, title: str, upload: UploadedFile) -> AssetDocument:
    asset = locked_own_asset(actor, asset_id)
    check_pdf(upload, "document")
    document = AssetDocument(asset=asset, title=required(title, "title"), uploaded_by=actor)
    document.document.save(upload.name or "document.pdf", upload, save=False)
    document.save()
    audit.record(
        actor=actor,
        action="asset.document_added",
        obj=asset,
        after={"document": document.pk, "title": document.title},
        court_id=asset.court_id,
    )
    return document


@transaction.atomic
def record_appraisal(
    *,
    actor: User,
    asset_id: int,
    appraiser: str,
    appraised_on: date,
    value_minor: int,
    report: UploadedFile | None = None,
) -> Appraisal:
    """Record a valuation: seized, appraised or unsold → appraised."""
    asset = locked_own_asset(actor, asset_id)
    check_transition(engine.ASSET_TRANSITIONS, "appraise", asset, asset.get_status_display())
    positive(value_minor, "value")
    if appraised_on > timezone.localdate():
        raise DomainError(
            _("The appraisal date cannot be in the future."),
            code="date_future",
            field="appraised_on",
        )
    if report is not None:
        check_pdf(report, "report")
    appraisal = Appraisal(
        asset=asset,
        appraiser=required(appraiser, "appraiser"),
        appraised_on=appraised_on,
        value_minor=value_minor,
        currency=asset.currency,
        recorded_by=actor,
    )
    if report is not None:
        appraisal.report.save(report.name or "appraisal.pdf", report, save=False)
    appraisal.save()
    transition(
        table=engine.ASSET_TRANSITIONS,
        action="appraise",
        obj=asset,
        actor=actor,
        court_id=asset.court_id,
        fields=(),
        note=f"{appraiser} · {Money(value_minor, asset.currency)}",
    )
    return appraisal


@transaction.atomic
def approve_for_sale(*, actor: User, asset_id: int) -> SeizedAsset:
    """Appraised → approved for sale, by a supervisor of the court who did not register it."""
    asset = locked_own_asset(actor, asset_id, Capability.APPROVE_SALES)
    if asset.registered_by_id == actor.pk:
        raise PermissionDenied(
            _("The staff member who registered an asset cannot approve its sale."),
            code="four_eyes",
        )
    transition(
        table=engine.ASSET_TRANSITIONS,
        action="approve_for_sale",
        obj=asset,
        actor=actor,
        court_id=asset.court_id,
        fields=("approved_by", "approved_at"),
        changes={"approved_by": actor, "approved_at": timezone.now()},
    )
    return asset


@transaction.atomic
def release_asset(*, actor: User, asset_id: int, reason: str) -> SeizedAsset:
    """Release an asset from seizure (not once listed or sold), by a judge, with the reason."""
    asset = locked_own_asset(actor, asset_id, Capability.ISSUE_ORDERS)
    if not reason.strip():
        raise DomainError(_("Give the reason for the record."), code="required", field="reason")
    transition(
        table=engine.ASSET_TRANSITIONS,
        action="release",
        obj=asset,
        actor=actor,
        court_id=asset.court_id,
        fields=(),
        note=reason.strip(),
    )
    notices.tell_parties(
        file=asset.file,
        kind="asset.released",
        key=f"asset.released:{asset.pk}",
        params={"asset": asset.title, "at": timezone.now(), "reason": reason.strip()},
    )
    return asset


def _sale_step(action: str, actor: User | None, asset_id: int, note: str) -> SeizedAsset:
    return _move(locks.lock_asset(asset_id), action, actor, note)


def _move(asset: SeizedAsset, action: str, actor: User | None, note: str) -> SeizedAsset:
    """A locked asset's sale step."""
    transition(
        table=engine.ASSET_TRANSITIONS,
        action=action,
        obj=asset,
        actor=actor,
        court_id=asset.court_id,
        fields=(),
        note=note,
    )
    return asset


# The sale states below are driven by the auction app (its own services check who may act).


@transaction.atomic
def mark_listed(*, actor: User | None, asset_id: int, note: str = "") -> SeizedAsset:
    """Approved for sale (or unsold, for a new round) → listed as a lot.

    Only while its file is open or enforcing: nothing of a file whose debt is paid (satisfied,
    closed) or whose enforcement a settlement suspends is put up for sale. Raises
    InvalidTransition (file_not_enforcing) naming the asset and the file's state.
    """
    asset = locks.lock_asset(asset_id)
    file = EnforcementFile.objects.only("status", "number").get(pk=asset.file_id)
    if file.status not in (EnforcementFile.Status.OPEN, EnforcementFile.Status.ENFORCING):
        raise InvalidTransition(
            _(
                "%(asset)s cannot be put up for sale: its file %(file)s is “%(status)s”, "
                "not open or enforcing."
            ),
            code="file_not_enforcing",
            field="lots",
            params={"asset": str(asset), "file": file.number, "status": file.get_status_display()},
        )
    return _move(asset, "list", actor, note)


@transaction.atomic
def mark_withdrawn(*, actor: User | None, asset_id: int, note: str = "") -> SeizedAsset:
    """Listed → approved for sale again, when a lot is withdrawn."""
    return _sale_step("withdraw", actor, asset_id, note)


@transaction.atomic
def mark_sold(*, actor: User | None, asset_id: int, note: str = "") -> SeizedAsset:
    return _sale_step("mark_sold", actor, asset_id, note)


@transaction.atomic
def mark_unsold(*, actor: User | None, asset_id: int, note: str = "") -> SeizedAsset:
    return _sale_step("mark_unsold", actor, asset_id, note)


@transaction.atomic
def mark_sale_failed(*, actor: User | None, asset_id: int, note: str = "") -> SeizedAsset:
    """Sold → unsold, when every buyer defaulted: the asset goes to a further round."""
    return _sale_step("sale_failed", actor, asset_id, note)
