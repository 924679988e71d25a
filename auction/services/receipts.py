"""Signed receipts of accepted bids, issued when the bidder asks for one.

A bid's receipt is not written on the bid's path: the bid batch stays the same three reads
and one write. The first time the bidder asks for it (the "Receipt" button beside their
bid on the lot page), it is numbered, frozen and hashed from the bid's row, which is final
once committed, so a receipt issued later says exactly what one issued at the bid would
have said; asking again returns the same receipt. It is the same PDF as every receipt
(core.receipts), checked on the same public verification page.

Each receipt also names the lot's chain hash at the bid: a SHA-256 chain over the lot's
accepted bids in sequence order, recomputed from the bid rows when the receipt is issued
(docs/bid-receipts.md gives the canonical form), and is handed out as a JSON document signed
with the court's Ed25519 key (core.receipt_signing), checked offline against the published
keys.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from auction import locks
from auction.models import Bid
from core import audit, receipt_signing, receipts
from core.errors import NotFound
from core.models import Receipt
from core.money import Money

GENESIS = "0" * 64
DOCUMENT_FORMAT = "mazad-bid-receipt/1"


def utc_iso(moment: datetime) -> str:
    """A server time as the chain and the receipt write it: UTC, microseconds, "Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_link(previous: str, fields: dict[str, Any]) -> str:
    """SHA-256 (hex) of the previous link and the bid's canonical fields (docs/bid-receipts.md)."""
    return hashlib.sha256(receipt_signing.canonical({**fields, "prev": previous})).hexdigest()


def bid_fields(
    *, lot_id: int, seq: int, amount_minor: int, currency: str, received_at: datetime, paddle: int
) -> dict[str, Any]:
    return {
        "lot": lot_id,
        "seq": seq,
        "amount_minor": amount_minor,
        "currency": currency,
        "server_time": utc_iso(received_at),
        "paddle": paddle,
    }


def chain_hash(lot_id: int, seq: int) -> str:
    """The lot's chain hash at bid `seq`, from its bid rows 1..seq (annulled ones included: an
    annulment is a later event, it does not unmake the acceptance)."""
    rows = (
        Bid.objects.filter(lot_id=lot_id, seq__lte=seq)
        .order_by("seq")
        .values_list("seq", "amount_minor", "received_at", "registration__paddle", "lot__currency")
    )
    link = GENESIS
    for row_seq, amount, received_at, paddle, currency in rows.iterator(chunk_size=2000):
        link = chain_link(
            link,
            bid_fields(
                lot_id=lot_id,
                seq=row_seq,
                amount_minor=amount,
                currency=currency,
                received_at=received_at,
                paddle=paddle,
            ),
        )
    return link


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
        receipts.Line(_("Chain hash"), chain_hash(bid.lot_id, bid.seq), role="chain_hash"),
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


def own_bids(user: User) -> QuerySet[Bid]:
    """The user's accepted bids, newest first, for their receipts on "My auctions"."""
    return (
        Bid.objects.filter(registration__bidder=user, is_annulled=False)
        .select_related("lot__asset", "lot__auction__court", "registration")
        .order_by("-received_at", "-pk")
    )


def _chain_line(receipt: Receipt) -> str:
    return receipts.summary(receipt, "en").get("chain_hash", "")


def signed_document(receipt: Receipt, bid: Bid) -> dict[str, Any]:
    """The receipt as a JSON document signed with the court's key (the same bytes every time)."""
    lot = bid.lot
    court = lot.auction.court
    body = {
        "format": DOCUMENT_FORMAT,
        "receipt": {
            "number": receipt.number,
            "issued_at": utc_iso(receipt.issued_at),
            "court": court.code,
            "lot": lot.pk,
            "lot_reference": lot.reference,
            **bid_fields(
                lot_id=lot.pk,
                seq=bid.seq,
                amount_minor=bid.amount_minor,
                currency=lot.currency,
                received_at=bid.received_at,
                paddle=bid.registration.paddle,
            ),
            # Frozen in the receipt when it was issued (older receipts: recomputed, the same).
            "chain_hash": _chain_line(receipt) or chain_hash(lot.pk, bid.seq),
        },
    }
    return receipt_signing.sign(body, court.code)


def signed_bid_receipt(*, user: User, lot_id: int, seq: int) -> tuple[Receipt, Bid, dict[str, Any]]:
    """The user's receipt of their bid (issued on first request) and its signed document."""
    receipt = bid_receipt(user=user, lot_id=lot_id, seq=seq)
    bid = (
        Bid.objects.select_related("lot__auction__court", "registration")
        .filter(lot_id=lot_id, seq=seq, registration__bidder_id=user.pk)
        .get()
    )
    return receipt, bid, signed_document(receipt, bid)
