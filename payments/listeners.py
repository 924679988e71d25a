"""How other apps learn that money arrived, without payments importing them.

An app registers a function at start-up (in its AppConfig.ready); payments
calls it inside the transaction that records the payment, so the other app's
change (a deposit becoming held) commits or rolls back with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from payments.models import Payment

PaymentListener = Callable[["Payment"], None]
# A handler of provider events about money leaving (transfer.*, payout.*): returns a note.
EventHandler = Callable[[str, dict[str, Any]], str]
# Work the payment worker does on each pass (deadlines of other apps), given the time.
WorkerTask = Callable[[datetime], int]

_on_received: list[PaymentListener] = []
_on_money_out: list[EventHandler] = []
_worker_tasks: list[WorkerTask] = []


def on_payment_received(listener: PaymentListener) -> PaymentListener:
    """Register `listener(payment)` to run when a payment succeeds (once per payment)."""
    if listener not in _on_received:
        _on_received.append(listener)
    return listener


def payment_received(payment: Payment) -> None:
    for listener in _on_received:
        listener(payment)


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
