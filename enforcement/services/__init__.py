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
from enforcement.services.imports import run_import_step, start_import
from enforcement.services.letters import acknowledge_letter, answer_letter, send_letter
from enforcement.services.orders import (
    OrderTarget,
    issue_order,
    lift_order,
    record_order_execution,
    request_order,
    request_order_lift,
)
from enforcement.services.requests import accept_request, reject_request, submit_request
from enforcement.services.tokens import authenticate, issue_api_token, revoke_api_token

__all__ = [
    "AssetDetails",
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
    "issue_api_token",
    "issue_order",
    "lift_order",
    "mark_listed",
    "mark_sale_failed",
    "mark_sold",
    "mark_unsold",
    "mark_withdrawn",
    "open_file",
    "record_appraisal",
    "record_file_satisfied",
    "record_order_execution",
    "record_paid_to_applicants",
    "record_payment_account",
    "register_asset",
    "reject_request",
    "release_asset",
    "remove_encumbrance",
    "remove_photo",
    "request_order",
    "request_order_lift",
    "revoke_api_token",
    "run_import_step",
    "send_letter",
    "start_import",
    "submit_request",
    "update_asset",
    "update_file",
    "update_party",
]
