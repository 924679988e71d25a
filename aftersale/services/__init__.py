"""The operations after the sale; each one transaction that locks, checks, audits.

The modules form layers, each importing only those below it: `claims` (what
each payee is owed) and `closing` (certificates, letters, a file satisfied) at
the bottom; `disbursements` (maker-checker, transfers, payouts); `distribution`
(proposals, the last approval, finalizing, which sends); the paths money
arrives by, `sales` and `custody`, with `reconciliation` beside them; and on
top `deadlines`, the worker's pass over the sales.

from aftersale import services as aftersale
aftersale.approve_disbursement(actor=user, disbursement_id=12)
"""

from aftersale.services.custody import receive_seized_funds, start_redemption
from aftersale.services.disbursements import prepare_disbursement, send_disbursement
from aftersale.services.distribution import (
    approve_disbursement,
    cancel_distribution,
    propose_distribution,
)
from aftersale.services.reconciliation import (
    Imported,
    import_camt053,
    import_csv,
    import_provider_transactions,
    import_statement,
    resolve_match,
)
from aftersale.services.sales import (
    accept_offer,
    decline_offer,
    default_sale,
    start_balance_payment,
)

__all__ = [
    "Imported",
    "accept_offer",
    "approve_disbursement",
    "cancel_distribution",
    "decline_offer",
    "default_sale",
    "import_camt053",
    "import_csv",
    "import_provider_transactions",
    "import_statement",
    "prepare_disbursement",
    "propose_distribution",
    "receive_seized_funds",
    "resolve_match",
    "send_disbursement",
    "start_balance_payment",
    "start_redemption",
]
