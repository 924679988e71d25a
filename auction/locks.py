"""Row locks of the auction app. Bids, the close and withdrawals serialise on the lot row."""

from __future__ import annotations

from auction.models import Auction, Lot
from core.locks import lock_one


def lot(lot_id: int) -> Lot:
    """Lock the lot FOR UPDATE (inside a transaction) and return it freshly read.

    Only the lot's row is locked (FOR UPDATE OF): its auction is read with it but
    stays unlocked, so the lots of one auction never wait for each other.
    """
    return Lot.objects.select_related("auction").select_for_update(of=("self",)).get(pk=lot_id)


def auction(auction_id: int) -> Auction:
    return lock_one(Auction.objects.filter(pk=auction_id))
