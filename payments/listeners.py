"""How other apps learn that money arrived, without payments importing them.

An app registers a function at start-up (in its AppConfig.ready) for the
purpose it owns (`events.PaidFor`); payments calls it with a typed
`events.PaymentReceived` inside the transaction that records the payment, so
the other app's change (a deposit becoming held) commits or rolls back with it.
Each purpose has exactly one listener: a second one, a purpose nobody listens
for, or a payment of no known purpose is refused with `events.UnknownPurpose`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from payments import events
from payments.events import PaidFor, PaymentReceived, UnknownPurpose

if TYPE_CHECKING:
    from payments.models import Payment

logger = logging.getLogger(__name__)

PaymentListener = Callable[[PaymentReceived], None]
# A handler of provider events about money leaving (transfer.*, payout.*): returns a note.
EventHandler = Callable[[str, dict[str, Any]], str]
# Work the payment worker does on each pass (deadlines of other apps), given the time.
WorkerTask = Callable[[datetime], int]

_on_received: dict[PaidFor, PaymentListener] = {}
_on_money_out: list[EventHandler] = []
_worker_tasks: list[WorkerTask] = []


def on_payment_received(
    purpose: PaidFor,
) -> Callable[[PaymentListener], PaymentListener]:
    """Register `listener(event)` to run when a payment for `purpose` succeeds (once each).

    Registering the same function again changes nothing; another function for a
    purpose that already has its listener is refused.
    """
    if not isinstance(purpose, PaidFor):
        raise UnknownPurpose(f"not a purpose of payment: {purpose!r}")

    def register(listener: PaymentListener) -> PaymentListener:
        current = _on_received.setdefault(purpose, listener)
        if current is not listener:
            raise UnknownPurpose(f"{purpose.name} already has its listener: {current!r}")
        return listener

    return register


def dispatch(event: PaymentReceived) -> None:
    """Tell the one listener of `event.purpose`; raises UnknownPurpose if there is none."""
    listener = _on_received.get(event.purpose) if isinstance(event.purpose, PaidFor) else None
    if listener is None:
        raise UnknownPurpose(f"nobody listens for payments of {event.purpose!r}")
    listener(event)


def payment_received(payment: Payment) -> None:
    """Tell the listener of what `payment` paid.

    A payment whose stored reference names no known purpose (none is made by
    the apps; a payment made by hand could be) tells nobody: it is booked all
    the same, and logged as an error for finance to look at.
    """
    try:
        event = events.received(payment)
    except UnknownPurpose:
        logger.error(
            "payment of no known purpose received; nobody was told",
            extra={"payment": str(payment.public_id), "reference": payment.reference},
        )
        return
    dispatch(event)


def on_money_out_event(handler: EventHandler) -> EventHandler:
    """Register `handler(type, object)` for transfer.* and payout.* events (run by the worker)."""
    if handler not in _on_money_out:
        _on_money_out.append(handler)
    return handler


def money_out_event(event_type: str, obj: dict[str, Any]) -> str:
    notes = [handler(event_type, obj) for handler in _on_money_out]
    return "; ".join(note for note in notes if note) or "recorded for reconciliation"


def on_worker_pass(task: WorkerTask) -> WorkerTask:
    """Register `task(now)` to run on each pass of the payment worker; it returns work done."""
    if task not in _worker_tasks:
        _worker_tasks.append(task)
    return task


def worker_pass(now: datetime) -> int:
    return sum(task(now) for task in _worker_tasks)
