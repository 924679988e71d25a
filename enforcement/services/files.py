"""Opening and running enforcement files, and the parties on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import identity
from accounts.models import User
from accounts.organisations import Court
from accounts.roles import Capability
from core import audit
from core.errors import DomainError
from core.numbering import next_number
from enforcement import access, engine, hooks, locks, validators
from enforcement.models import EnforcementFile, FileParty, Party
from enforcement.services.common import Instrument, PartyDetails, positive, required, transition

FILE_FIELDS = (
    "instrument_kind",
    "instrument_reference",
    "instrument_issued_on",
    "instrument_document",
    "claim_minor",
    "costs_minor",
    "assigned_to",
)
PARTY_FIELDS = ("name_ar", "name_en", "address", "phone", "email", "iban")


def validated(check: Callable[[str], None], value: str, field: str) -> None:
    """Run a format check; a failure becomes a DomainError naming `field` and the rule."""
    try:
        check(value)
    except ValidationError as error:
        raise DomainError(error.messages[0], code=error.code or "invalid", field=field) from error


def validate_party(details: PartyDetails) -> PartyDetails:
    """Check the identity number and IBAN of a party; return the details normalised."""
    number = identity.normalise(details.id_number)
    kind = (
        Party.Kind.COMPANY
        if details.id_kind == Party.IdKind.COMMERCIAL_REGISTRATION
        else Party.Kind.PERSON
    )
    if details.kind != kind:
        raise DomainError(
            _("A company is identified by its commercial registration, a person by an ID."),
            code="id_kind",
            field="id_kind",
        )
    if details.id_kind == Party.IdKind.NATIONAL_ID:
        validated(
            lambda n: identity.validate_national_id(details.id_country, n), number, "id_number"
        )
    elif details.id_kind == Party.IdKind.PASSPORT:
        validated(identity.validate_passport, number, "id_number")
    else:
        validated(validators.validate_commercial_registration, number, "id_number")
    iban = validators.normalise_iban(details.iban) if details.iban else ""
    if iban:
        validated(validators.validate_iban, iban, "iban")
    required(details.name_ar, "name_ar")
    required(details.name_en, "name_en")
    return PartyDetails(
        kind=details.kind,
        id_kind=details.id_kind,
        name_ar=details.name_ar.strip(),
        name_en=details.name_en.strip(),
        id_country=details.id_country,
        id_number=number,
        address=details.address.strip(),
        phone=details.phone.strip(),
        email=details.email.strip().lower(),
        iban=iban,
    )


def ensure_party(
    *, actor: User | None, court: Court, details: PartyDetails, user: Any = None
) -> Party:
    """The court's party with this identity, created (audited) when new; call in a transaction."""
    details = validate_party(details)
    party = Party.objects.filter(
        court=court,
        id_kind=details.id_kind,
        id_country=details.id_country,
        id_number=details.id_number,
    ).first()
    if party is not None:
        return party
    party = Party.objects.create(court=court, user=user, **details.__dict__)
    audit.record(
        actor=actor,
        action="party.created",
        obj=party,
        after=audit.snapshot(party, ("kind", "id_kind", "id_number", *PARTY_FIELDS)),
        court_id=court.pk,
    )
    return party


@transaction.atomic
def update_party(*, actor: User, party_id: int, details: PartyDetails) -> Party:
    """Change a party's names and contact details (its identity number stays)."""
    access.require(actor, Capability.MANAGE_FILES)
    party = locks.lock_party_in(access.parties_for(actor), party_id)
    if party is None:
        raise locks._missing()
    details = validate_party(
        PartyDetails(
            **{
                **details.__dict__,
                "kind": party.kind,
                "id_kind": party.id_kind,
                "id_country": party.id_country,
                "id_number": party.id_number,
            }
        )
    )
    before = audit.snapshot(party, PARTY_FIELDS)
    for name in PARTY_FIELDS:
        setattr(party, name, getattr(details, name))
    party.save(update_fields=list(PARTY_FIELDS))
    changed_before, changed_after = audit.changes(before, audit.snapshot(party, PARTY_FIELDS))
    if changed_after:
        audit.record(
            actor=actor,
            action="party.updated",
            obj=party,
            before=changed_before,
            after=changed_after,
            court_id=party.court_id,
        )
    return party


def _check_assignee(court_id: int, assignee: User | None) -> None:
    if assignee is not None and (
        not assignee.is_active
        or assignee.court_id != court_id
        or not assignee.has_perm(Capability.MANAGE_FILES)
    ):
        raise DomainError(
            _("Files are assigned to execution staff of the same court."),
            code="assignee",
            field="assigned_to",
        )


def file_number(court: Court, year: int) -> tuple[int, str]:
    """The next gap-free (sequence, number) of the court's files in `year`."""
    sequence = next_number(f"file:{court.code}:{year}")
    return sequence, f"{court.code}-{year}-{sequence:06d}"


@transaction.atomic
def open_file(
    *,
    actor: User,
    applicants: Sequence[PartyDetails],
    debtors: Sequence[PartyDetails],
    instrument: Instrument,
    claim_minor: int,
    costs_minor: int = 0,
    document: UploadedFile | None = None,
    assigned_to: User | None = None,
    applicant_user: Any = None,
) -> EnforcementFile:
    """Open a numbered file in the actor's court with its parties. Staff who manage files only."""
    access.require(actor, Capability.MANAGE_FILES)
    court = Court.objects.get(pk=access.court_id_of(actor) or access.NO_COURT)
    if not applicants:
        raise DomainError(
            _("A file needs at least one applicant."), code="required", field="applicants"
        )
    if not debtors:
        raise DomainError(_("A file needs at least one debtor."), code="required", field="debtors")
    positive(claim_minor, "claim")
    if costs_minor < 0:
        raise DomainError(_("Costs cannot be negative."), code="amount_not_negative", field="costs")
    _check_assignee(court.pk, assigned_to)
    year = timezone.localtime(timezone.now(), ZoneInfo(court.time_zone)).year
    sequence, number = file_number(court, year)
    file = EnforcementFile(
        court=court,
        number=number,
        year=year,
        sequence=sequence,
        instrument_kind=instrument.kind,
        instrument_reference=required(instrument.reference, "instrument_reference"),
        instrument_issued_on=instrument.issued_on,
        claim_minor=claim_minor,
        costs_minor=costs_minor,
        currency=court.currency,
        assigned_to=assigned_to,
        opened_by=actor,
    )
    if document is not None:
        file.instrument_document.save(document.name or "instrument.pdf", document, save=False)
    file.save()
    for role, group in ((FileParty.Role.APPLICANT, applicants), (FileParty.Role.DEBTOR, debtors)):
        for details in group:
            user = applicant_user if role == FileParty.Role.APPLICANT else None
            _attach(file, ensure_party(actor=actor, court=court, details=details, user=user), role)
    audit.record(
        actor=actor,
        action="file.opened",
        obj=file,
        after={**audit.snapshot(file, ("number", "status", *FILE_FIELDS)), "parties": _roles(file)},
        court_id=court.pk,
    )
    return file


def _attach(file: EnforcementFile, party: Party, role: str) -> None:
    try:
        with transaction.atomic():
            FileParty.objects.create(file=file, party=party, role=role)
    except IntegrityError:
        raise DomainError(
            _("%(name)s is already on this file."),
            code="party_twice",
            field="id_number",
            params={"name": party.name},
        ) from None


def _roles(file: EnforcementFile) -> list[list[Any]]:
    return [[fp.role, fp.party_id] for fp in file.file_parties.order_by("pk")]


def locked_own_file(
    actor: User, file_id: int, capability: str = Capability.MANAGE_FILES
) -> EnforcementFile:
    access.require(actor, capability)
    file = locks.lock_file(file_id)
    access.require_same_court(actor, file.court_id)
    return file


@transaction.atomic
def update_file(
    *,
    actor: User,
    file_id: int,
    instrument: Instrument,
    claim_minor: int,
    costs_minor: int,
    document: UploadedFile | None = None,
    assigned_to: User | None = None,
) -> EnforcementFile:
    """Correct a file's instrument, amounts or assignee while it is not satisfied or closed."""
    file = locked_own_file(actor, file_id)
    refuse_if_final(file)
    positive(claim_minor, "claim")
    if costs_minor < 0:
        raise DomainError(_("Costs cannot be negative."), code="amount_not_negative", field="costs")
    _check_assignee(file.court_id, assigned_to)
    before = audit.snapshot(file, FILE_FIELDS)
    file.instrument_kind = instrument.kind
    file.instrument_reference = required(instrument.reference, "instrument_reference")
    file.instrument_issued_on = instrument.issued_on
    file.claim_minor, file.costs_minor, file.assigned_to = claim_minor, costs_minor, assigned_to
    if document is not None:
        file.instrument_document.save(document.name or "instrument.pdf", document, save=False)
    file.save(update_fields=list(FILE_FIELDS))
    changed_before, changed_after = audit.changes(before, audit.snapshot(file, FILE_FIELDS))
    if changed_after:
        audit.record(
            actor=actor,
            action="file.updated",
            obj=file,
            before=changed_before,
            after=changed_after,
            court_id=file.court_id,
        )
    return file


def refuse_if_final(file: EnforcementFile) -> None:
    if file.status in engine.FILE_FINAL:
        raise DomainError(
            _("The file is %(status)s; it can no longer be changed."),
            code="file_final",
            field="status",
            params={"status": file.get_status_display()},
        )


@transaction.atomic
def add_party(*, actor: User, file_id: int, role: str, details: PartyDetails) -> Party:
    """Add another applicant or debtor to an open file.

    A bidder registered for a lot of the file's assets who is this person loses the
    registration in the same transaction (`hooks.party_joining`: the auction app revokes it
    and tells them), so they bid no more from this commit on.
    """
    access.require(actor, Capability.MANAGE_FILES)
    details = validate_party(details)
    court_id = actor.court_id or 0
    if EnforcementFile.objects.filter(pk=file_id, court_id=court_id).exists():
        linked = (
            Party.objects.filter(
                court_id=court_id,
                id_kind=details.id_kind,
                id_country=details.id_country,
                id_number=details.id_number,
            )
            .values_list("user_id", flat=True)
            .first()
        )
        hooks.party_joining(hooks.Joining(file_id, details.id_country, details.id_number, linked))
    file = locked_own_file(actor, file_id)
    refuse_if_final(file)
    before = {"parties": _roles(file)}
    party = ensure_party(actor=actor, court=file.court, details=details)
    _attach(file, party, role)
    audit.record(
        actor=actor,
        action="file.party_added",
        obj=file,
        before=before,
        after={"parties": _roles(file)},
        court_id=file.court_id,
    )
    return party


@transaction.atomic
def assign_file(*, actor: User, file_id: int, assignee: User | None) -> EnforcementFile:
    file = locked_own_file(actor, file_id)
    _check_assignee(file.court_id, assignee)
    before = audit.snapshot(file, ["assigned_to"])
    file.assigned_to = assignee
    file.save(update_fields=["assigned_to"])
    audit.record(
        actor=actor,
        action="file.assigned",
        obj=file,
        before=before,
        after=audit.snapshot(file, ["assigned_to"]),
        court_id=file.court_id,
    )
    return file


@transaction.atomic
def change_file_status(
    *, actor: User, file_id: int, action: str, reason: str = ""
) -> EnforcementFile:
    """Run one of engine.FILE_TRANSITIONS. Suspending or closing needs a reason."""
    if action not in engine.FILE_TRANSITIONS:
        raise DomainError(_("Unknown action."), code="unknown_action", field="action")
    file = locked_own_file(actor, file_id)
    if action in ("suspend", "close") and not reason.strip():
        raise DomainError(_("Give the reason for the record."), code="required", field="reason")
    transition(
        table=engine.FILE_TRANSITIONS,
        action=action,
        obj=file,
        actor=actor,
        court_id=file.court_id,
        fields=("status_reason",),
        changes={"status_reason": reason.strip()},
        note=reason.strip(),
    )
    return file


@transaction.atomic
def record_file_satisfied(*, file_id: int, note: str) -> EnforcementFile:
    """The applicants were paid in full (the court account says so): the file is satisfied.

    Called by the payments side, not by a person, so it checks no role; an
    open file passes through "enforcing" first. Idempotent: a satisfied file
    is returned unchanged. Raises InvalidTransition for a closed or suspended file.

    Every path that satisfies a file comes here, so here the agencies are asked to lift
    each order they still hold (docs/agencies.md); the file closes once all are lifted.
    """
    from enforcement.services import agencies

    file = locks.lock_file(file_id)
    if file.status == EnforcementFile.Status.SATISFIED:
        return file
    for action in ("start_enforcement", "mark_satisfied"):
        if action == "start_enforcement" and file.status != EnforcementFile.Status.OPEN:
            continue
        transition(
            table=engine.FILE_TRANSITIONS,
            action=action,
            obj=file,
            actor=None,
            court_id=file.court_id,
            fields=("status_reason",),
            changes={"status_reason": note},
            note=note,
        )
    agencies.lift_all(file, note)
    return file


@transaction.atomic
def record_paid_to_applicants(*, file_id: int, paid_minor: int) -> EnforcementFile:
    """What the court account has paid the file's applicants in all (the after-sale side counts).

    Called by the payments side, not by a person, whenever a disbursement to an
    applicant is paid or comes back; the balance owed is read from it.
    """
    if paid_minor < 0:
        raise ValueError("what was paid cannot be negative")
    file = locks.lock_file(file_id)
    if file.paid_to_applicants_minor != paid_minor:  # a figure derived from audited payouts
        file.paid_to_applicants_minor = paid_minor
        file.save(update_fields=["paid_to_applicants_minor"])
    return file


@transaction.atomic
def record_payment_account(*, party_id: int, account_id: str) -> Party:
    """Remember the party's account at the payment provider, made the first time it is paid."""
    party = locks.lock_party(party_id)
    if party.payment_account_id != account_id:
        before = audit.snapshot(party, ["payment_account_id"])
        party.payment_account_id = account_id
        party.save(update_fields=["payment_account_id"])
        audit.record(
            actor=None,
            action="party.payment_account_recorded",
            obj=party,
            before=before,
            after={"payment_account_id": account_id},
            court_id=party.court_id,
        )
    return party
