"""Seizure orders: requested by staff, issued by the judge, executed by an agency, lifted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.organisations import Agency
from accounts.roles import Capability
from core import audit
from core.errors import DomainError
from enforcement import access, engine, locks, notices, validators
from enforcement.models import EnforcementFile, SeizureOrder
from enforcement.services.common import transition
from enforcement.services.files import locked_own_file, refuse_if_final, validated
from notifications.values import Value

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


@transaction.atomic
def issue_order(*, actor: User, order_id: int) -> SeizureOrder:
    """Requested → issued, by a judge of the court."""
    order = _locked_own_order(actor, order_id, Capability.ISSUE_ORDERS)
    transition(
        table=engine.ORDER_TRANSITIONS,
        action="issue",
        obj=order,
        actor=actor,
        court_id=order.file.court_id,
        fields=("issued_at", "issued_by"),
        changes={"issued_at": timezone.now(), "issued_by": actor},
    )
    _tell_parties(order, "seizure.ordered", order.issued_at)
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
    elif amount_seized_minor is not None:
        raise DomainError(
            _("Only a seizure of bank funds has an amount."),
            code="amount_not_applicable",
            field="amount_seized",
        )
    transition(
        table=engine.ORDER_TRANSITIONS,
        action="record_execution",
        obj=order,
        actor=actor,
        court_id=order.file.court_id,
        fields=("executed_at", "executed_by", "amount_seized_minor"),
        changes={
            "executed_at": timezone.now(),
            "executed_by": actor,
            "amount_seized_minor": amount_seized_minor,
        },
    )
    _tell_parties(order, "seizure.executed", order.executed_at)
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
    _tell_parties(order, "seizure.lifted", order.lifted_at, reason=reason.strip())
    return order


def _tell_parties(order: SeizureOrder, kind: str, at: datetime | None, reason: str = "") -> None:
    """The file's applicants and debtors are told of the order's step, once each."""
    params: dict[str, Value] = {
        "order": SeizureOrder.Kind(order.kind).label,
        "at": at or timezone.now(),
        "reason": reason,
    }
    notices.tell_parties(file=order.file, kind=kind, key=f"{kind}:{order.pk}", params=params)
