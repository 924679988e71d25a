"""How audit records of enforcement read on a page: each action and status in plain words."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from enforcement.models import (
    AgencyLetter,
    EnforcementFile,
    EnforcementRequest,
    SeizedAsset,
    SeizureOrder,
)

ACTION_LABELS: dict[str, Promise] = {
    "file.opened": _("File opened"),
    "file.updated": _("File corrected"),
    "file.assigned": _("File assigned"),
    "file.party_added": _("Party added"),
    "file.start_enforcement": _("Enforcement started"),
    "file.suspend": _("File suspended"),
    "file.resume": _("File resumed"),
    "file.mark_satisfied": _("File satisfied"),
    "file.close": _("File closed"),
    "order.requested": _("Order requested"),
    "order.issue": _("Order issued"),
    "order.record_execution": _("Order executed"),
    "order.lift": _("Order lifted"),
    "order.signed": _("Seizure order signed"),
    "order.minutes_signed": _("Seizure minutes signed"),
    "order.agency_executed": _("Executed, as the agency answered"),
    "order.agency_not_executed": _("Not executed, as the agency answered"),
    "order.request_lift": _("Lift requested from the agency"),
    "order.agency_lifted": _("Lifted, as the agency answered"),
    "order.agency_answered": _("Agency answered"),
    "order.agency_document": _("Agency document attached"),
    "file.close_lifted": _("File closed: every order lifted"),
    "asset.registered": _("Asset registered"),
    "asset.updated": _("Asset corrected"),
    "asset.photos_added": _("Photos added"),
    "asset.photo_removed": _("Photo removed"),
    "asset.document_added": _("Document added"),
    "asset.encumbrance_added": _("Encumbrance recorded"),
    "asset.encumbrance_removed": _("Encumbrance removed"),
    "asset.appraise": _("Appraised"),
    "asset.approve_for_sale": _("Approved for sale"),
    "asset.list": _("Listed in an auction"),
    "asset.withdraw": _("Withdrawn from an auction"),
    "asset.mark_sold": _("Sold"),
    "asset.mark_unsold": _("Not sold"),
    "asset.release": _("Released from seizure"),
    "letter.sent": _("Letter sent"),
    "letter.acknowledge": _("Receipt acknowledged"),
    "letter.answer": _("Answered"),
    "request.submitted": _("Request filed"),
    "request.accepted": _("Request accepted"),
    "request.rejected": _("Request rejected"),
    "letter.reminded": _("Agency reminded"),
    "letter.escalated": _("Escalated to the judges"),
    "settlement.proposed": _("Settlement proposed by the debtor"),
    "settlement.recorded": _("Settlement recorded"),
    "settlement.approved": _("Settlement approved"),
    "settlement.refused": _("Settlement refused"),
    "settlement.payment_started": _("Instalment payment started"),
    "settlement.instalment_paid": _("Instalment paid"),
    "settlement.notice_sent": _("Missed instalment notified"),
    "settlement.defaulted": _("Settlement ended: enforcement resumed"),
    "settlement.completed": _("Settlement completed"),
}

STATUS_LABELS: dict[str, str | Promise] = {}
for choices in (
    EnforcementFile.Status,
    SeizureOrder.Status,
    SeizedAsset.Status,
    AgencyLetter.Status,
    EnforcementRequest.Status,
):
    STATUS_LABELS.update(dict(choices.choices))


def action_label(action: str) -> str | Promise:
    return ACTION_LABELS.get(action, action)


def status_label(status: str | None) -> str | Promise:
    return STATUS_LABELS.get(status or "", status or "")
