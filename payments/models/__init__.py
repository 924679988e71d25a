"""The payment app's models: the ledger, payments and refunds, jobs, provider events."""

from payments.models.jobs import JobStatus, PaymentJob
from payments.models.ledger import (
    KIND_OF_PURPOSE,
    PER_FILE_PURPOSES,
    AccountKind,
    AccountPurpose,
    JournalEntry,
    LedgerAccount,
    Posting,
)
from payments.models.payment import (
    LIVE_PAYMENT_STATUSES,
    CourtAccount,
    DistributionHold,
    Method,
    Payment,
    PaymentStatus,
    Purpose,
    Refund,
    RefundStatus,
)
from payments.models.webhooks import EventStatus, WebhookEvent

__all__ = [
    "KIND_OF_PURPOSE",
    "LIVE_PAYMENT_STATUSES",
    "PER_FILE_PURPOSES",
    "AccountKind",
    "AccountPurpose",
    "CourtAccount",
    "DistributionHold",
    "EventStatus",
    "JobStatus",
    "JournalEntry",
    "LedgerAccount",
    "Method",
    "Payment",
    "PaymentJob",
    "PaymentStatus",
    "Posting",
    "Purpose",
    "Refund",
    "RefundStatus",
    "WebhookEvent",
]
