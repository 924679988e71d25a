"""Records of what happens after the hammer, from the balance due to the reconciled transfer."""

from aftersale.models.distribution import (
    CustodyItem,
    Disbursement,
    Distribution,
    DistributionLine,
)
from aftersale.models.reconciliation import Match, Statement, StatementLine
from aftersale.models.sales import FinanceRules, Objection, Sale

__all__ = [
    "CustodyItem",
    "Disbursement",
    "Distribution",
    "DistributionLine",
    "FinanceRules",
    "Match",
    "Objection",
    "Sale",
    "Statement",
    "StatementLine",
]
