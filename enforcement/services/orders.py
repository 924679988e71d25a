"""Seizure orders: requested by staff, issued by the judge, executed by an agency, lifted."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.organisations import Agency
from accounts.roles import Capability
from core import audit, pdf_signing
from core.errors import DomainError
from core.numbering import next_number
from enforcement import access, engine, locks, notices, order_documents, signing, validators
from enforcement.models import AgencyLetter, EnforcementFile, SeizureOrder, SignedOrderDocument
from enforcement.services import agencies
from enforcement.services.common import transition
from enforcement.services.files import locked_own_file, refuse_if_final, validated

ORDER_FIELDS = (
    "kind",
    "agency",
    "target_party",
    "target_iban",
    "target_vin",
    "target_plate",
    "target_deed_number",
    "target_note",
)


@dataclass(frozen=True)
class OrderTarget:
    party_id: int | None = None
    iban: str = ""
    vin: str = ""
    plate: str = ""
    deed_number: str = ""
    note: str = ""


def _check_target(kind: str, target: OrderTarget, file: EnforcementFile) -> OrderTarget:
    iban = validators.normalise_iban(target.iban) if target.iban else ""
    vin = validators.normalise_vin(target.vin) if target.vin else ""
    if kind == SeizureOrder.Kind.BANK_FUNDS:
        validated(validators.validate_iban, iban, "target_iban")
    if vin:
        validated(validators.validate_vin, vin, "target_vin")
    if kind == SeizureOrder.Kind.VEHICLE and not (vin or target.plate.strip()):
        raise DomainError(
            _("Name the vehicle by its VIN or its plate."), code="required", field="target_vin"
        )
    if kind == SeizureOrder.Kind.REAL_ESTATE and not target.deed_number.strip():
        raise DomainError(_("Name the title deed."), code="required", field="target_deed_number")
    if (
        target.party_id is not None
        and not file.file_parties.filter(party_id=target.party_id).exists()
    ):
        raise DomainError(
            _("Choose a party of this file."), code="party_not_on_file", field="target_party"
        )
    if kind == SeizureOrder.Kind.TRAVEL_BAN and target.party_id is None:
        raise DomainError(
            _("A travel ban names the person it bans."), code="required", field="target_party"
        )
    return OrderTarget(
        target.party_id,
        iban,
        vin,
        target.plate.strip().upper(),
        target.deed_number.strip(),
        target.note.strip(),
    )


@transaction.atomic
def request_order(
    *, actor: User, file_id: int, kind: str, agency_id: int, target: OrderTarget
) -> SeizureOrder:
    """Record a seizure order requested on a file; the judge issues it next."""
    file = locked_own_file(actor, file_id)
    refuse_if_final(file)
    if kind not in SeizureOrder.Kind.values:
        raise DomainError(_("Choose a kind of order."), code="invalid_choice", field="kind")
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        raise DomainError(_("Choose an agency."), code="required", field="agency")
    target = _check_target(kind, target, file)
    order = SeizureOrder.objects.create(
        file=file,
        kind=kind,
        agency=agency,
        target_party_id=target.party_id,
        target_iban=target.iban,
        target_vin=target.vin,
        target_plate=target.plate,
        target_deed_number=target.deed_number,
        target_note=target.note,
        requested_by=actor,
    )
    audit.record(
        actor=actor,
        action="order.requested",
        obj=order,
        after=audit.snapshot(order, ("status", "file", *ORDER_FIELDS)),
        court_id=file.court_id,
    )
    return order


def _locked_own_order(actor: User, order_id: int, capability: str) -> SeizureOrder:
    access.require(actor, capability)
    order = locks.lock_order(order_id)
    access.require_same_court(actor, order.file.court_id)
    return order


logger = logging.getLogger(__name__)
SIGNING_REASONS: dict[str, str] = {
    SignedOrderDocument.Kind.ORDER: "Seizure order issued by the judge",
    SignedOrderDocument.Kind.MINUTES: "Seizure minutes: the order was executed",
}


def review_fingerprint(order: SeizureOrder) -> str:
    """What the judge read: the order's particulars, so a change since makes signing refuse."""
    particulars = "|".join(
        str(value)
        for value in (
            order.pk,
            order.status,
            order.kind,
            order.agency_id,
            order.target_party_id,
            order.target_iban,
            order.target_vin,
            order.target_plate,
            order.target_deed_number,
            order.target_note,
            order.file.claim_minor,
            order.file.costs_minor,
        )
    )
    return hashlib.sha256(particulars.encode()).hexdigest()[:32]


def draft_pdf(*, actor: User, order: SeizureOrder) -> bytes:
    """The order as it will be signed, marked as a draft, for the judge to read first."""
    access.require(actor, Capability.ISSUE_ORDERS)
    access.require_same_court(actor, order.file.court_id)
    return order_documents.render(
        order,
        SignedOrderDocument.Kind.ORDER,
        number="—",
        moment=timezone.now(),
        signer_name=actor.get_full_name(),
        draft=True,
    )


def _sign(order: SeizureOrder, kind: str, *, actor: User, moment: datetime) -> SignedOrderDocument:
    """Render the document, sign it with the court's key, keep it and record who signed."""
    court = order.file.court
    year = timezone.localtime(moment, ZoneInfo(court.time_zone)).year
    sequence = next_number(f"signed-{kind.lower()}:{court.code}:{year}")
    number = order_documents.document_number(kind, order, sequence, year)
    order_number = ""
    if kind == SignedOrderDocument.Kind.MINUTES:
        issued = order.signed_documents.filter(kind=SignedOrderDocument.Kind.ORDER).first()
        order_number = issued.number if issued else ""
    signer_name = actor.get_full_name() or actor.email
    pdf = order_documents.render(
        order,
        kind,
        number=number,
        moment=moment,
        signer_name=signer_name,
        order_number=order_number,
    )
    signed = signing.signed(
        pdf,
        court,
        number=number,
        reason=f"{SIGNING_REASONS[kind]} ({number})",
        signer_name=signer_name,
    )
    subject = pdf_signing.court_key(court).certificate.subject.rfc4514_string()
    digest = hashlib.sha256(signed).hexdigest()
    document = SignedOrderDocument(
        order=order,
        kind=kind,
        number=number,
        sha256=digest,
        size=len(signed),
        signed_at=moment,
        signed_by=actor,
        signer_name=signer_name[:200],
        certificate_subject=subject[:300],
    )
    document.pdf.save(f"{number}.pdf", ContentFile(signed), save=False)
    document.save()
    audit.record(
        actor=actor,
        action="order.signed" if kind == SignedOrderDocument.Kind.ORDER else "order.minutes_signed",
        obj=order.file,
        after={"document": number, "order": order.pk, "kind": kind, "sha256": digest},
        court_id=court.pk,
        note=f"{number} · SHA-256 {digest}",
    )
    return document


@transaction.atomic
def issue_order(*, actor: User, order_id: int, reviewed: str = "") -> SeizureOrder:
    """Requested → issued, by a judge of the court, who signs the order with the court's key.

    An order never goes out unsigned: if the court has no key, or signing fails, it stays
    requested. `reviewed` is the fingerprint of the draft the judge read (review_fingerprint);
    if the order changed since, nothing is signed."""
    order = _locked_own_order(actor, order_id, Capability.ISSUE_ORDERS)
    if reviewed and reviewed != review_fingerprint(order):
        raise DomainError(
            _("The order changed since you read it: read it again before signing."),
            code="order_changed_since_review",
        )
    now = timezone.now()
    changes: dict[str, Any] = {"issued_at": now, "issued_by": actor}
    if order.kind == SeizureOrder.Kind.BANK_FUNDS:
        # The bank freezes up to what the file is owed on the day the order is issued.
        changes["amount_ordered_minor"] = order.file.balance_owed().amount_minor
    transition(
        table=engine.ORDER_TRANSITIONS,
        action="issue",
        obj=order,
        actor=actor,
        court_id=order.file.court_id,
        fields=tuple(changes),
        changes=changes,
    )
    _sign(order, SignedOrderDocument.Kind.ORDER, actor=actor, moment=now)
    agencies.send_request(order=order, subject_kind=AgencyLetter.Subject.SEIZE, actor=actor)
    notices.tell_order_step(order, "seizure.ordered", order.issued_at)
    return order


@transaction.atomic
def request_order_lift(*, actor: User, order_id: int, reason: str) -> SeizureOrder:
    """Issued or executed → lift requested, by a judge: the agency is asked and answers."""
    order = _locked_own_order(actor, order_id, Capability.ISSUE_ORDERS)
    if not reason.strip():
        raise DomainError(_("Give the reason for the record."), code="required", field="reason")
    agencies.request_lift(order=order, actor=actor, reason=reason.strip())
    return order


@transaction.atomic
def record_order_execution(
    *, actor: User, order_id: int, amount_seized_minor: int | None = None
) -> SeizureOrder:
    """Issued → executed, as the agency reported; for bank funds, with the amount seized."""
    order = _locked_own_order(actor, order_id, Capability.MANAGE_FILES)
    if order.kind == SeizureOrder.Kind.BANK_FUNDS:
        if amount_seized_minor is None or amount_seized_minor < 0:
            raise DomainError(
                _("Enter the amount the bank seized."), code="required", field="amount_seized"
            )
        if (
            order.amount_ordered_minor is not None
            and amount_seized_minor > order.amount_ordered_minor
        ):
            raise DomainError(
                _("The amount seized cannot exceed the order's %(limit)s."),
                code="amount_above_order",
                field="amount_seized",
                params={"limit": order.amount_ordered_minor},
            )
    elif amount_seized_minor is not None:
        raise DomainError(
            _("Only a seizure of bank funds has an amount."),
            code="amount_not_applicable",
            field="amount_seized",
        )
    now = timezone.now()
    transition(
        table=engine.ORDER_TRANSITIONS,
        action="record_execution",
        obj=order,
        actor=actor,
        court_id=order.file.court_id,
        fields=("executed_at", "executed_by", "amount_seized_minor"),
        changes={
            "executed_at": now,
            "executed_by": actor,
            "amount_seized_minor": amount_seized_minor,
        },
    )
    _sign(order, SignedOrderDocument.Kind.MINUTES, actor=actor, moment=now)
    notices.tell_order_step(order, "seizure.executed", order.executed_at)
    return order


@transaction.atomic
def lift_order(*, actor: User, order_id: int, reason: str) -> SeizureOrder:
    """Issued or executed → lifted, by a judge, with the reason recorded."""
    order = _locked_own_order(actor, order_id, Capability.ISSUE_ORDERS)
    if not reason.strip():
        raise DomainError(_("Give the reason for the record."), code="required", field="reason")
    transition(
        table=engine.ORDER_TRANSITIONS,
        action="lift",
        obj=order,
        actor=actor,
        court_id=order.file.court_id,
        fields=("lifted_at", "lifted_by"),
        changes={"lifted_at": timezone.now(), "lifted_by": actor},
        note=reason.strip(),
    )
    notices.tell_order_step(order, "seizure.lifted", order.lifted_at, reason=reason.strip())
    return order
