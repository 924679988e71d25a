"""The operations that change enforcement records; each is one audited transaction.

Other apps call these, e.g. `from enforcement import services as enforcement`
then `enforcement.mark_listed(actor=..., asset_id=...)`.
"""

from enforcement.services.assets import (
    AssetDetails,
    add_document,
    add_encumbrance,
    add_photos,
    approve_for_sale,
    mark_listed,
    mark_sale_failed,
    mark_sold,
    mark_unsold,
    mark_withdrawn,
    record_appraisal,
    register_asset,
    release_asset,
    remove_encumbrance,
    remove_photo,
    update_asset,
)
from enforcement.services.common import Instrument, PartyDetails
from enforcement.services.files import (
    add_party,
    assign_file,
    change_file_status,
    open_file,
    record_file_satisfied,
    record_paid_to_applicants,
    record_payment_account,
    update_file,
    update_party,
)
from enforcement.services.followups import run_letter_follow_ups
from enforcement.services.imports import run_import_step, start_import
from enforcement.services.letters import acknowledge_letter, answer_letter, send_letter
from enforcement.services.orders import (
    OrderTarget,
    draft_pdf,
    issue_order,
    lift_order,
    record_order_execution,
    request_order,
    request_order_lift,
    review_fingerprint,
)
from enforcement.services.requests import accept_request, reject_request, submit_request
from enforcement.services.settlements import (
    InstalmentRecorded,
    decide_settlement,
    next_instalment,
    propose_settlement,
    record_instalment_paid,
    record_settlement,
    run_settlement_deadlines,
)
from enforcement.services.tokens import authenticate, issue_api_token, revoke_api_token

__all__ = [
    "AssetDetails",
    "InstalmentRecorded",
    "Instrument",
    "OrderTarget",
    "PartyDetails",
    "accept_request",
    "acknowledge_letter",
    "add_document",
    "add_encumbrance",
    "add_party",
    "add_photos",
    "answer_letter",
    "approve_for_sale",
    "assign_file",
    "authenticate",
    "change_file_status",
    "decide_settlement",
    "draft_pdf",
    "issue_api_token",
    "issue_order",
    "lift_order",
    "mark_listed",
    "mark_sale_failed",
    "mark_sold",
    "mark_unsold",
    "mark_withdrawn",
    "next_instalment",
    "open_file",
    "propose_settlement",
    "record_appraisal",
    "record_file_satisfied",
    "record_instalment_paid",
    "record_order_execution",
    "record_paid_to_applicants",
    "record_payment_account",
    "record_settlement",
    "register_asset",
    "reject_request",
    "release_asset",
    "remove_encumbrance",
    "remove_photo",
    "request_order",
    "request_order_lift",
    "review_fingerprint",
    "revoke_api_token",
    "run_import_step",
    "run_letter_follow_ups",
    "run_settlement_deadlines",
    "send_letter",
    "start_import",
    "submit_request",
    "update_asset",
    "update_file",
    "update_party",
]
