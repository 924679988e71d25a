"""The typed shapes of agencies online: what a request asks, how a request and answer read.

Used by the webhooks (their `data`), the pull API and the staff pages, so all three show the
same thing.
"""

from __future__ import annotations

from typing import Any

from enforcement.models import AgencyAnswer, AgencyLetter, FileParty, SeizureOrder

ACTION_OF_KIND: dict[str, str] = {
    SeizureOrder.Kind.BANK_FUNDS: "freeze_funds",
    SeizureOrder.Kind.VEHICLE: "block_vehicle_transfer",
    SeizureOrder.Kind.REAL_ESTATE: "annotate_deed",
    SeizureOrder.Kind.TRAVEL_BAN: "travel_ban",
}

# The answers each request takes: a seizure per kind of order, and a lift of any kind.
SEIZE_ANSWERS: dict[str, tuple[str, ...]] = {
    SeizureOrder.Kind.BANK_FUNDS: ("FROZEN", "TRANSFERRED", "NOTHING_FOUND", "REFUSED"),
    SeizureOrder.Kind.VEHICLE: ("BLOCKED", "NOTHING_FOUND", "REFUSED"),
    SeizureOrder.Kind.REAL_ESTATE: ("ANNOTATED", "NOTHING_FOUND", "REFUSED"),
    SeizureOrder.Kind.TRAVEL_BAN: ("BAN_IN_FORCE", "NOTHING_FOUND", "REFUSED"),
}
LIFT_ANSWERS = ("LIFTED", "REFUSED")
EXECUTED_ANSWERS = frozenset({"FROZEN", "BLOCKED", "ANNOTATED", "BAN_IN_FORCE"})
NOT_EXECUTED_ANSWERS = frozenset({"NOTHING_FOUND", "REFUSED"})


def _person(party: Any) -> dict[str, str]:
    return {
        "name_ar": party.name_ar,
        "name_en": party.name_en,
        "id_kind": party.id_kind,
        "id_country": party.id_country,
        "id_number": party.id_number,
    }


def request_payload(order: SeizureOrder, subject_kind: str) -> dict[str, Any]:
    """What the agency is asked to do about `order` (seize or lift), typed by its kind."""
    file = order.file
    debtors = [
        _person(fp.party)
        for fp in file.file_parties.select_related("party").order_by("pk")
        if fp.role == FileParty.Role.DEBTOR
    ]
    target: dict[str, Any] = {}
    if order.kind == SeizureOrder.Kind.BANK_FUNDS:
        target = {
            "iban": order.target_iban,
            "amount_minor": order.amount_ordered_minor,
            "currency": file.currency,
        }
    elif order.kind == SeizureOrder.Kind.VEHICLE:
        target = {"plate": order.target_plate, "vin": order.target_vin}
    elif order.kind == SeizureOrder.Kind.REAL_ESTATE:
        target = {"deed_number": order.target_deed_number}
    if order.target_party is not None:
        target["person"] = _person(order.target_party)
    action = ACTION_OF_KIND[order.kind]
    lifting = subject_kind == AgencyLetter.Subject.LIFT
    return {
        "action": f"lift_{action}" if lifting else action,
        "order_kind": order.kind,
        "order_id": order.pk,
        "file_number": file.number,
        "court": file.court.code,
        "debtors": debtors,
        "target": target,
        "note": order.target_note,
        "answers": list(LIFT_ANSWERS if lifting else SEIZE_ANSWERS[order.kind]),
    }


def serialize_answer(answer: AgencyAnswer) -> dict[str, Any]:
    return {
        "id": answer.pk,
        "request": answer.letter.number,
        "outcome": answer.kind,
        "amount_minor": answer.amount_minor,
        "accounts": answer.accounts,
        "reference": answer.reference,
        "location": answer.location,
        "effective_on": answer.effective_on.isoformat() if answer.effective_on else None,
        "note": answer.note,
        "document_type": answer.document_type or None,
        "answered_at": answer.answered_at.isoformat(),
    }


def serialize_request(letter: AgencyLetter) -> dict[str, Any]:
    order = letter.order
    return {
        "number": letter.number,
        "subject_kind": letter.subject_kind,
        "status": letter.status,
        "due_on": letter.due_on.isoformat(),
        "sent_at": letter.sent_at.isoformat(),
        "updated_at": letter.updated_at.isoformat(),
        "order_status": order.status if order else None,
        "amount_frozen_minor": order.amount_seized_minor if order else None,
        "amount_transferred_minor": order.amount_transferred_minor if order else None,
        "payload": letter.payload,
        "answers": [serialize_answer(item) for item in letter.answers.order_by("pk")],
    }
