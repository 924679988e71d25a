"""Signed receipts of accepted bids, issued when the bidder asks for one.

A bid's receipt is not written on the bid's path: the bid batch stays the same three reads
and one write. The first time the bidder asks for it (the "Receipt" button beside their
bid on the lot page), it is numbered, frozen and hashed from the bid's row, which is final
once committed, so a receipt issued later says exactly what one issued at the bid would
have said; asking again returns the same receipt. It is the same PDF as every receipt
(core.receipts), checked on the same public verification page.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from auction import locks
from auction.models import Bid
from core import audit, receipts
from core.errors import NotFound
from core.models import Receipt
from core.money import Money


def _lines(bid: Bid) -> list[receipts.Line]:
    lot = bid.lot
    bidder = bid.registration.bidder
    return [
        receipts.Line(_("Amount"), Money(bid.amount_minor, lot.currency), role="amount"),
        receipts.Line(_("Lot"), f"{lot.reference} · {lot.asset.title}"),
        receipts.Line(_("Bid sequence number"), str(bid.seq)),
        receipts.Line(_("Received"), bid.received_at),
        receipts.Line(_("Paddle"), str(bid.registration.paddle)),
        receipts.Line(_("Source"), Bid.Source(bid.source).label),
        receipts.Line(_("Bidder"), bidder.full_name, role="party"),
        receipts.Line(
            _("Identity"),
            receipts.masked_identity(bidder.id_country, bidder.id_number),
            role="party_id",
        ),
    ]


@transaction.atomic
def bid_receipt(*, user: User, lot_id: int, seq: int) -> Receipt:
    """The receipt of the user's own accepted bid `seq` on the lot, issued on first request.

    Raises NotFound for a bid that is not theirs, does not exist, or was annulled before a
    receipt was asked for (an annulled bid is not acknowledged any more).
    """
    bid = locks.own_bid(user.pk, lot_id, seq)
    if bid is None:
        raise NotFound(_("No such bid."), field="seq")
    existing = Receipt.objects.filter(
        kind=Receipt.Kind.BID, subject_type=bid._meta.label_lower, subject_id=str(bid.pk)
    ).first()
    if existing is not None:
        return existing
    if bid.is_annulled:
        raise NotFound(_("No such bid."), field="seq")
    receipt = receipts.issue(
        kind=Receipt.Kind.BID,
        title=_("Bid acknowledgement"),
        lines=_lines(bid),
        subject=bid,
        court=bid.lot.auction.court,
        issued_to=user,
    )
    audit.record(
        actor=user,
        action="bid.receipt_issued",
        obj=bid,
        after={"receipt": receipt.number, "seq": bid.seq, "lot": bid.lot_id},
        court_id=bid.lot.auction.court_id,
    )
    return receipt
