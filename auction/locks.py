"""Row locks of the auction app. Bids, the close and withdrawals serialise on the lot row."""

from __future__ import annotations

from auction.models import Auction, Lot
from core.transactions import lock_one


def lot(lot_id: int) -> Lot:
    """Lock the lot FOR UPDATE (inside a transaction) and return it freshly read."""
    return lock_one(Lot.objects.select_related("auction").filter(pk=lot_id))


def auction(auction_id: int) -> Auction:
    return lock_one(Auction.objects.filter(pk=auction_id))
