"""Electronic enforcement requests: filed online with a receipt, then accepted or rejected."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.organisations import Court
from accounts.roles import Capability
from core import audit, receipts
from core.errors import DomainError, InvalidTransition, PermissionDenied
from core.models import Receipt
from core.money import Money
from enforcement import access, locks, validators
from enforcement.models import EnforcementFile, EnforcementRequest, Party
from enforcement.models.files import InstrumentKind
from enforcement.services.common import Instrument, PartyDetails, positive, required
from enforcement.services.files import open_file, validate_party, validated

REQUEST_FIELDS = ("status", "decided_by", "decided_at", "rejection_reason", "file")


@transaction.atomic
def submit_request(
    *,
    applicant: User,
    court: Court,
    debtor: PartyDetails,
    instrument: Instrument,
    claim_minor: int,
    applicant_iban: str,
    document: UploadedFile,
) -> EnforcementRequest:
    """File a request with the instrument attached; issues the numbered receipt at once.

    Raises PermissionDenied unless the applicant may file requests and is identity-verified.
    """
    access.require(applicant, Capability.FILE_REQUESTS)
    if not applicant.is_verified:
        raise PermissionDenied(
            _("Verify your identity before filing an enforcement request."), field="identity"
        )
    debtor = validate_party(debtor)
    iban = validators.normalise_iban(applicant_iban)
    validated(validators.validate_iban, iban, "applicant_iban")
    positive(claim_minor, "claim")
    request = EnforcementRequest(
        court=court,
        submitted_by=applicant,
        applicant_iban=iban,
        debtor_kind=debtor.kind,
        debtor_name=debtor.name_en or debtor.name_ar,
        debtor_id_kind=debtor.id_kind,
        debtor_id_country=debtor.id_country,
        debtor_id_number=debtor.id_number,
        debtor_address=debtor.address,
        instrument_kind=instrument.kind,
        instrument_reference=required(instrument.reference, "instrument_reference"),
        instrument_issued_on=instrument.issued_on,
        claim_minor=claim_minor,
        currency=court.currency,
    )
    request.instrument_document.save(document.name or "instrument.pdf", document, save=False)
    request.save()
    request.receipt = _issue_receipt(request)
    request.save(update_fields=["receipt"])
    audit.record(
        actor=applicant,
        action="request.submitted",
        obj=request,
        after=audit.snapshot(
            request, ("status", "debtor_name", "instrument_reference", "claim_minor", "receipt")
        ),
        court_id=court.pk,
    )
    return request


def _issue_receipt(request: EnforcementRequest) -> Receipt:
    return receipts.issue(
        kind=Receipt.Kind.ENFORCEMENT_REQUEST,
        title=_("Enforcement request received"),
        subject=request,
        court=request.court,
        issued_to=request.submitted_by,
        lines=[
            receipts.Line(_("Applicant"), request.submitted_by.full_name, role="party"),
            receipts.Line(_("Debtor"), request.debtor_name),
            # The choice's lazy label, so each language's column names it in that language.
            receipts.Line(_("Executive instrument"), InstrumentKind(request.instrument_kind).label),
            receipts.Line(_("Instrument reference"), request.instrument_reference),
            receipts.Line(
                _("Claim amount"), Money(request.claim_minor, request.currency), role="amount"
            ),
            receipts.Line(_("Submitted"), request.submitted_at),
        ],
    )


def _locked_own_request(actor: User, request_id: int) -> EnforcementRequest:
    access.require(actor, Capability.MANAGE_FILES)
    request = locks.lock_request(request_id)
    access.require_same_court(actor, request.court_id)
    return request


def _check_decidable(actor: User, request: EnforcementRequest) -> None:
    if request.status != EnforcementRequest.Status.SUBMITTED:
        raise InvalidTransition(
            _("This request was already decided (%(status)s)."),
            field="status",
            params={"status": request.get_status_display()},
        )
    if request.submitted_by_id == actor.pk:
        raise PermissionDenied(_("You cannot decide your own request."))


def _record_decision(
    actor: User, request: EnforcementRequest, status: str, action: str, **changes: object
) -> None:
    before = audit.snapshot(request, REQUEST_FIELDS)
    request.status = status
    request.decided_by, request.decided_at = actor, timezone.now()
    for name, value in changes.items():
        setattr(request, name, value)
    request.save(update_fields=list(REQUEST_FIELDS))
    audit.record(
        actor=actor,
        action=action,
        obj=request,
        before=before,
        after=audit.snapshot(request, REQUEST_FIELDS),
        court_id=request.court_id,
        note=str(changes.get("rejection_reason", "")),
    )


@transaction.atomic
def accept_request(*, actor: User, request_id: int) -> EnforcementFile:
    """Accept a submitted request: open the file with the applicant and debtor as parties."""
    request = _locked_own_request(actor, request_id)
    _check_decidable(actor, request)
    file = open_file(
        actor=actor,
        applicants=[_applicant_details(request.submitted_by, request.applicant_iban)],
        debtors=[_debtor_details(request)],
        instrument=Instrument(
            request.instrument_kind, request.instrument_reference, request.instrument_issued_on
        ),
        claim_minor=request.claim_minor,
        applicant_user=request.submitted_by,
    )
    file.instrument_document.name = request.instrument_document.name
    file.save(update_fields=["instrument_document"])
    _record_decision(
        actor, request, EnforcementRequest.Status.ACCEPTED, "request.accepted", file=file
    )
    return file


def _applicant_details(applicant: User, iban: str) -> PartyDetails:
    return PartyDetails(
        kind=Party.Kind.PERSON,
        id_kind=applicant.id_kind,
        name_ar=applicant.full_name,
        name_en=applicant.full_name,
        id_country=applicant.id_country,
        id_number=applicant.id_number,
        phone=applicant.phone,
        email=applicant.email,
        iban=iban,
    )


def _debtor_details(request: EnforcementRequest) -> PartyDetails:
    return PartyDetails(
        kind=request.debtor_kind,
        id_kind=request.debtor_id_kind,
        name_ar=request.debtor_name,
        name_en=request.debtor_name,
        id_country=request.debtor_id_country,
        id_number=request.debtor_id_number,
        address=request.debtor_address,
    )


@transaction.atomic
def reject_request(*, actor: User, request_id: int, reason: str) -> EnforcementRequest:
    """Reject a submitted request with the reason the applicant will read."""
    request = _locked_own_request(actor, request_id)
    _check_decidable(actor, request)
    if not reason.strip():
        raise DomainError(
            _("Give the reason the applicant will read."), code="required", field="reason"
        )
    _record_decision(
        actor,
        request,
        EnforcementRequest.Status.REJECTED,
        "request.rejected",
        rejection_reason=reason.strip(),
    )
    return request
