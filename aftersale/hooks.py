"""Where this app plugs into the others: the close of a lot, payments received, provider events."""

from __future__ import annotations


def connect() -> None:
    from aftersale import operations  # noqa: F401 - registers the payment jobs' operations
    from aftersale.services import custody, deadlines, disbursements, sales
    from auction import listeners as auction_listeners
    from enforcement import selectors as enforcement_selectors
    from payments import listeners as payment_listeners
    from payments.events import PaidFor

    auction_listeners.on_lot_sold(sales.on_lot_sold)
    payment_listeners.on_payment_received(PaidFor.SALE_BALANCE)(sales.on_balance_paid)
    payment_listeners.on_payment_received(PaidFor.FILE_REDEMPTION)(custody.on_redemption_paid)
    payment_listeners.on_money_out_event(disbursements.on_provider_event)
    payment_listeners.on_worker_pass(deadlines.run)
    enforcement_selectors.register_paid_source(disbursements.paid_to_applicants)
