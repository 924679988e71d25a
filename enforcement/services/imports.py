"""Bulk import of seized assets, run in small steps so the page can show progress.

Each step is one transaction over the next rows; a row already imported (same
natural key) is counted as skipped, so running the same file again adds nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.organisations import Court
from accounts.roles import Capability
from core import audit
from core.errors import DomainError
from enforcement import access, importing, locks
from enforcement.forms import AssetFieldsForm
from enforcement.models import AssetImport, EnforcementFile
from enforcement.services.assets import AssetDetails, register_asset

STEP_ROWS = 25


@transaction.atomic
def start_import(*, actor: User, upload: UploadedFile) -> AssetImport:
    """Check the file as a whole (format, columns, size) and queue it. Raises DomainError."""
    access.require(actor, Capability.MANAGE_FILES)
    try:
        rows = importing.read_rows(upload)
    except ValidationError as error:
        raise DomainError(
            error.messages[0], code=error.code or "invalid", field="source"
        ) from error
    upload.seek(0)
    batch = AssetImport(
        court=Court.objects.get(pk=access.court_id_of(actor) or access.NO_COURT),
        source_name=(upload.name or "import")[:200],
        uploaded_by=actor,
        total_rows=len(rows),
    )
    batch.source.save(upload.name or "import.csv", upload, save=False)
    batch.save()
    audit.record(
        actor=actor,
        action="import.started",
        obj=batch,
        after={"source_name": batch.source_name, "total_rows": batch.total_rows},
        court_id=batch.court_id,
    )
    return batch


def _error(row_number: int, field: str, message: str, code: str) -> dict[str, Any]:
    return {"row": row_number, "field": field, "code": code, "message": message}


def _import_row(
    actor: User, court_id: int, row: importing.Row, row_number: int
) -> str | dict[str, Any]:
    """'imported', 'skipped', or the first error of the row."""
    row = importing.normalise_codes(row)
    number = row.get("file_number", "").strip().upper()
    file = EnforcementFile.objects.filter(court_id=court_id, number=number).first()
    if file is None:
        return _error(row_number, "file_number", str(_no_file()), "file_not_found")
    form = AssetFieldsForm(row, currency=file.currency)
    if not form.is_valid():
        field, errors = next(iter(form.errors.as_data().items()))
        return _error(row_number, field, errors[0].messages[0], errors[0].code or "invalid")
    try:
        register_asset(
            actor=actor,
            file_id=file.pk,
            details=AssetDetails(**form.details_kwargs()),
            import_key=importing.row_key(row),
        )
    except DomainError as error:
        if error.code == "already_imported":
            return "skipped"
        return _error(row_number, error.field or "", error.render(), error.code)
    return "imported"


def _no_file() -> Any:
    return _("No enforcement file of this court has this number.")


@transaction.atomic
def run_import_step(*, actor: User, import_id: int, rows: int = STEP_ROWS) -> AssetImport:
    """Import the next `rows` rows of a queued import; returns it with its progress."""
    access.require(actor, Capability.MANAGE_FILES)
    batch = locks.lock_import(import_id)
    access.require_same_court(actor, batch.court_id)
    if batch.status in (AssetImport.Status.DONE, AssetImport.Status.FAILED):
        return batch
    with batch.source.open("rb") as source:
        table = importing.read_rows(source)
    # Each step reads the file again, so big files go in bigger steps (about 40 of them).
    rows = max(rows, batch.total_rows // 40)
    start = batch.processed_rows
    for offset, row in enumerate(table[start : start + rows]):
        outcome = _import_row(actor, batch.court_id, row, start + offset + 2)
        if outcome == "imported":
            batch.imported_count += 1
        elif outcome == "skipped":
            batch.skipped_count += 1
        else:
            batch.errors = [*batch.errors, outcome]
    batch.processed_rows = min(batch.total_rows, start + rows)
    batch.status = AssetImport.Status.RUNNING
    if batch.processed_rows >= batch.total_rows:
        batch.status, batch.finished_at = AssetImport.Status.DONE, timezone.now()
        audit.record(
            actor=actor,
            action="import.finished",
            obj=batch,
            after={
                "imported": batch.imported_count,
                "skipped": batch.skipped_count,
                "errors": len(batch.errors),
            },
            court_id=batch.court_id,
        )
    batch.save()
    return batch
