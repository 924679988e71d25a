"""The roles of the platform and what each may do: the one table permissions are read from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BIDDER = "BIDDER", _("Bidder")
    EXECUTION_STAFF = "EXECUTION_STAFF", _("Execution staff")
    FINANCE_STAFF = "FINANCE_STAFF", _("Finance staff")
    SUPERVISOR = "SUPERVISOR", _("Supervisor")
    AGENCY = "AGENCY", _("Government agency")


# Roles whose members work for one court and only see that court's records.
COURT_ROLES = frozenset({Role.EXECUTION_STAFF, Role.FINANCE_STAFF, Role.SUPERVISOR})
# Roles whose members work for one government agency and only see the letters sent to it.
AGENCY_ROLES = frozenset({Role.AGENCY})


class Capability:
    """Permission names, in Django's `app_label.codename` form, granted by role."""

    PLACE_BIDS = "auction.place_bids"
    SUBMIT_IDENTITY = "accounts.submit_identity"
    VERIFY_IDENTITY = "accounts.verify_identity"
    VIEW_IDENTITY_DOCUMENTS = "accounts.view_identity_documents"
    VIEW_AUDIT = "core.view_audit"
    ASSIGN_ROLES = "accounts.assign_roles"
    PUBLISH_ANNOUNCEMENTS = "frontend.publish_announcements"
    VIEW_FILES = "enforcement.view_files"
    MANAGE_FILES = "enforcement.manage_files"
    ISSUE_ORDERS = "enforcement.issue_orders"
    FILE_REQUESTS = "enforcement.file_requests"
    ANSWER_LETTERS = "enforcement.answer_letters"
    MANAGE_AUCTIONS = "auction.manage_auctions"
    APPROVE_SALES = "enforcement.approve_sales"
    EDIT_SALE_RULES = "auction.edit_sale_rules"
    VIEW_LEDGER = "payments.view_ledger"
    PREPARE_DISBURSEMENTS = "payments.prepare_disbursements"
    APPROVE_DISBURSEMENTS = "payments.approve_disbursements"
    RECONCILE = "payments.reconcile"
    OPEN_TICKETS = "support.open_tickets"
    ANSWER_EXECUTION_TICKETS = "support.answer_execution_tickets"
    ANSWER_FINANCE_TICKETS = "support.answer_finance_tickets"
    VIEW_SUPPORT_REPORTS = "support.view_reports"
    MANAGE_SERVICE_LEVELS = "support.manage_service_levels"


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.BIDDER: frozenset(
        {
            Capability.PLACE_BIDS,
            Capability.SUBMIT_IDENTITY,
            Capability.FILE_REQUESTS,
            Capability.OPEN_TICKETS,
        }
    ),
    Role.EXECUTION_STAFF: frozenset(
        {
            Capability.VERIFY_IDENTITY,
            Capability.VIEW_IDENTITY_DOCUMENTS,
            Capability.VIEW_FILES,
            Capability.MANAGE_FILES,
            Capability.MANAGE_AUCTIONS,
            Capability.ANSWER_EXECUTION_TICKETS,
        }
    ),
    Role.FINANCE_STAFF: frozenset(
        {
            Capability.VIEW_FILES,
            Capability.VIEW_LEDGER,
            Capability.PREPARE_DISBURSEMENTS,
            Capability.APPROVE_DISBURSEMENTS,
            Capability.RECONCILE,
            Capability.ANSWER_FINANCE_TICKETS,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Capability.VERIFY_IDENTITY,
            Capability.VIEW_IDENTITY_DOCUMENTS,
            Capability.VIEW_AUDIT,
            Capability.ASSIGN_ROLES,
            Capability.PUBLISH_ANNOUNCEMENTS,
            Capability.VIEW_FILES,
            Capability.MANAGE_FILES,
            Capability.ISSUE_ORDERS,
            Capability.MANAGE_AUCTIONS,
            Capability.APPROVE_SALES,
            Capability.EDIT_SALE_RULES,
            Capability.VIEW_LEDGER,
            Capability.APPROVE_DISBURSEMENTS,
            Capability.ANSWER_EXECUTION_TICKETS,
            Capability.ANSWER_FINANCE_TICKETS,
            Capability.VIEW_SUPPORT_REPORTS,
            Capability.MANAGE_SERVICE_LEVELS,
        }
    ),
    Role.AGENCY: frozenset({Capability.ANSWER_LETTERS}),
}


# Every capability a role can give: these are granted by role alone (accounts/backends.py).
ALL_CAPABILITIES: frozenset[str] = frozenset(
    value for name, value in vars(Capability).items() if name.isupper() and isinstance(value, str)
)


def capabilities_of(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())
