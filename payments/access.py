"""Who may see or do what with payments: payers their own, finance staff their court's."""

from __future__ import annotations

from typing import Any

from accounts.access import has_capability
from accounts.roles import Capability


def may_view_ledger(user: Any) -> bool:
    return has_capability(user, Capability.VIEW_LEDGER) and user.court_id is not None


def may_reconcile(user: Any) -> bool:
    return has_capability(user, Capability.RECONCILE) and user.court_id is not None
