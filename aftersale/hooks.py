"""Where this app plugs into the others: the close of a lot, payments received, provider events.

Imported by `AftersaleConfig.ready`, once every app's models are loaded.
"""

from __future__ import annotations

from datetime import datetime

from aftersale import operations  # noqa: F401 - registers the payment jobs' operations
from aftersale.services import custody, deadlines, disbursements, instalments, sales
from auction import listeners as auction_listeners
from enforcement import hooks as enforcement_hooks
from enforcement import services as enforcement
from enforcement import webhooks as enforcement_webhooks
from payments import listeners as payment_listeners
from payments.events import PaidFor


def connect() -> None:
    auction_listeners.on_lot_sold(sales.on_lot_sold)
    payment_listeners.on_payment_received(PaidFor.SALE_BALANCE)(sales.on_balance_paid)
    payment_listeners.on_payment_received(PaidFor.FILE_REDEMPTION)(custody.on_redemption_paid)
    payment_listeners.on_money_out_event(disbursements.on_provider_event)
    payment_listeners.on_worker_pass(deadlines.run)
    payment_listeners.on_payment_received(PaidFor.SETTLEMENT_INSTALMENT)(
        instalments.on_instalment_paid
    )
    enforcement_hooks.on_settlement_approving(instalments.before_settlement_approved)
    # Enforcement's own deadlines run on the same pass as the sales' (it imports no payments).
    payment_listeners.on_worker_pass(enforcement.run_settlement_deadlines)
    payment_listeners.on_worker_pass(enforcement.run_letter_follow_ups)
    enforcement_hooks.on_funds_transferred(custody.on_agency_transfer)
    payment_listeners.on_worker_pass(_agency_webhooks)


def _agency_webhooks(now: datetime) -> int:
    """The worker pushes the webhooks due to agency systems on each pass."""
    return enforcement_webhooks.deliver_due(now)
