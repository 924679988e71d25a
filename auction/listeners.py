"""How other apps learn that a lot was sold, without the auction app importing them.

An app registers a function at start-up (in its AppConfig.ready); `close_lot`
calls it inside the transaction that closes the lot, so what the other app
writes (the buyer's balance due) commits or rolls back with the close.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auction.models import Lot, Registration

SoldListener = Callable[["Lot", "Registration"], None]

_on_sold: list[SoldListener] = []


def on_lot_sold(listener: SoldListener) -> SoldListener:
    """Register `listener(lot, winner)` to run when a lot closes sold (once per lot)."""
    if listener not in _on_sold:
        _on_sold.append(listener)
    return listener


def lot_sold(lot: Lot, winner: Registration) -> None:
    for listener in _on_sold:
        listener(lot, winner)
