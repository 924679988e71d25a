"""Letters to agencies: sent by court staff, acknowledged and answered by the agency."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.organisations import Agency
from accounts.roles import Capability
from core import audit
from core.errors import DomainError
from core.numbering import next_number
from enforcement import access, engine, letters, locks
from enforcement.models import (
    AgencyLetter,
    Encumbrance,
    EnforcementFile,
    FileParty,
    InstrumentKind,
    SeizedAsset,
    SeizureOrder,
)
from enforcement.services.assets import check_pdf
from enforcement.services.common import required, transition
from enforcement.services.files import locked_own_file, refuse_if_final

LETTER_FIELDS = (
    "number",
    "agency",
    "subject_kind",
    "language",
    "subject",
    "due_on",
    "asset",
    "order",
)
ANSWER_FIELDS = ("acknowledged_at", "acknowledged_by", "answered_at", "answered_by", "answer")


def letter_context(
    file: EnforcementFile,
    agency: Agency,
    asset: SeizedAsset | None,
    order: SeizureOrder | None,
    due_on: date,
    note: str,
    language: str,
    encumbrance: Encumbrance | None = None,
) -> dict[str, Any]:
    debtors = [
        fp.party
        for fp in file.file_parties.select_related("party")
        if fp.role == FileParty.Role.DEBTOR
    ]
    return {
        "file": file,
        "court": file.court,
        "agency": agency,
        "asset": asset,
        "order": order,
        "instrument": InstrumentKind(file.instrument_kind).label,
        "debtor_names": ("، " if language == "ar" else ", ").join(
            p.name_ar if language == "ar" else p.name_en for p in debtors
        ),
        "debtor_ids": ", ".join(p.id_number for p in debtors),
        "due_on": due_on.isoformat(),
        "note": note.strip(),
        # What a sale's transfer letter asks the registry to cancel with the transfer.
        "encumbrances": list(asset.encumbrances.order_by("rank", "pk")) if asset else [],
        # The one a mortgage cancellation letter is about, once its holder was paid.
        "encumbrance": encumbrance,
    }


def _related(
    file: EnforcementFile, asset_id: int | None, order_id: int | None
) -> tuple[SeizedAsset | None, SeizureOrder | None]:
    asset = file.assets.filter(pk=asset_id).first() if asset_id else None
    order = file.orders.filter(pk=order_id).first() if order_id else None
    if asset_id and asset is None:
        raise DomainError(
            _("Choose an asset of this file."), code="asset_not_on_file", field="asset"
        )
    if order_id and order is None:
        raise DomainError(
            _("Choose an order of this file."), code="order_not_on_file", field="order"
        )
    return asset, order


@transaction.atomic
def send_letter(
    *,
    actor: User,
    file_id: int,
    agency_id: int,
    subject_kind: str,
    language: str,
    due_on: date,
    asset_id: int | None = None,
    order_id: int | None = None,
    note: str = "",
    encumbrance_id: int | None = None,
    settling: bool = False,
) -> AgencyLetter:
    """Write a numbered letter from the template of its subject and language, and send it.

    `settling` is for the letters the platform sends while paying out a sale (a mortgage
    cancellation once its holder is paid): they go even when the file is already satisfied.
    """
    file = locked_own_file(actor, file_id)
    if not settling:
        refuse_if_final(file)
    if subject_kind not in AgencyLetter.Subject.values:
        raise DomainError(_("Choose a subject."), code="invalid_choice", field="subject_kind")
    if language not in AgencyLetter.Language.values:
        raise DomainError(_("Choose a language."), code="invalid_choice", field="language")
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        raise DomainError(_("Choose an agency."), code="required", field="agency")
    if due_on <= timezone.localdate():
        raise DomainError(
            _("The answer must be due after today."), code="due_date_past", field="due_on"
        )
    asset, order = _related(file, asset_id, order_id)
    encumbrance = None
    if encumbrance_id is not None:
        encumbrance = Encumbrance.objects.filter(pk=encumbrance_id, asset__file=file).first()
        if encumbrance is None:
            raise DomainError(
                _("Choose an encumbrance of this file."),
                code="encumbrance_not_on_file",
                field="encumbrance",
            )
    if subject_kind == AgencyLetter.Subject.RELEASE_MORTGAGE and encumbrance is None:
        raise DomainError(_("Choose the mortgage to cancel."), code="required", field="encumbrance")
    subject, body = letters.compose(
        subject_kind,
        language,
        letter_context(file, agency, asset, order, due_on, note, language, encumbrance),
    )
    year = timezone.localdate().year
    number = f"{file.court.code}-L-{year}-{next_number(f'letter:{file.court.code}:{year}'):06d}"
    letter = AgencyLetter.objects.create(
        court_id=file.court_id,
        number=number,
        file=file,
        asset=asset,
        order=order,
        agency=agency,
        subject_kind=subject_kind,
        language=language,
        subject=subject,
        body=body,
        due_on=due_on,
        sent_by=actor,
    )
    audit.record(
        actor=actor,
        action="letter.sent",
        obj=letter,
        after=audit.snapshot(letter, ("status", "file", *LETTER_FIELDS)),
        court_id=file.court_id,
    )
    return letter


def locked_letter_of_agency(actor: User, letter_id: int) -> AgencyLetter:
    """Lock a letter the actor's agency received; any other letter is "not found"."""
    access.require(actor, Capability.ANSWER_LETTERS)
    letter = locks.lock_letter(letter_id)
    if actor.agency_id is None or letter.agency_id != actor.agency_id:
        raise locks._missing()
    return letter


@transaction.atomic
def acknowledge_letter(*, actor: User, letter_id: int) -> AgencyLetter:
    """Sent → acknowledged, by a user of the receiving agency."""
    letter = locked_letter_of_agency(actor, letter_id)
    transition(
        table=engine.LETTER_TRANSITIONS,
        action="acknowledge",
        obj=letter,
        actor=actor,
        court_id=letter.court_id,
        fields=("acknowledged_at", "acknowledged_by"),
        changes={"acknowledged_at": timezone.now(), "acknowledged_by": actor},
    )
    return letter


@transaction.atomic
def answer_letter(
    *, actor: User, letter_id: int, answer: str, document: UploadedFile | None = None
) -> AgencyLetter:
    """Sent or acknowledged → answered, with the agency's answer (and optionally a PDF)."""
    letter = locked_letter_of_agency(actor, letter_id)
    text = required(answer, "answer")
    if len(text) > 5000:
        raise DomainError(
            _("The answer is too long (at most %(limit)s characters)."),
            code="too_long",
            field="answer",
            params={"limit": 5000},
        )
    if document is not None:
        check_pdf(document, "document")
    now = timezone.now()
    changes: dict[str, Any] = {"answered_at": now, "answered_by": actor, "answer": text}
    if letter.acknowledged_at is None:
        changes.update(acknowledged_at=now, acknowledged_by=actor)
    engine_ok = engine.allowed(engine.LETTER_TRANSITIONS, "answer", letter.status)
    if document is not None and engine_ok:
        letter.answer_document.save(document.name or "answer.pdf", document, save=False)
        changes["answer_document"] = letter.answer_document
    transition(
        table=engine.LETTER_TRANSITIONS,
        action="answer",
        obj=letter,
        actor=actor,
        court_id=letter.court_id,
        fields=(*ANSWER_FIELDS, "answer_document"),
        changes=changes,
    )
    return letter
