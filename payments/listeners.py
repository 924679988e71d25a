"""How other apps learn that money arrived, without payments importing them.

An app registers a function at start-up (in its AppConfig.ready); payments
calls it inside the transaction that records the payment, so the other app's
change (a deposit becoming held) commits or rolls back with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payments.models import Payment

PaymentListener = Callable[["Payment"], None]

_on_received: list[PaymentListener] = []


def on_payment_received(listener: PaymentListener) -> PaymentListener:
    """Register `listener(payment)` to run when a payment succeeds (once per payment)."""
    if listener not in _on_received:
        _on_received.append(listener)
    return listener


def payment_received(payment: Payment) -> None:
    for listener in _on_received:
        listener(payment)
