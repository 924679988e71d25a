"""Open records of closed sales: each lot's bid record with its hash chain, and the results.

Anyone may download them once a lot has closed, to check the sale was fair.
They hold no personal data: bidders appear only by their paddle numbers.

The bid record's hash chain: h0 = SHA-256("mazad-bid-record|" + lot reference),
then for each bid in sequence order hᵢ = SHA-256(hᵢ₋₁ + "|" + seq + "|" + paddle +
"|" + amount_minor + "|" + currency + "|" + received_at (ISO 8601, UTC) + "|" + source
+ "|" + annulled ("1" or "0")). The last hash is the record's hash; changing, adding,
removing or reordering any bid changes it. The record also carries the hash of the
lot's closing entry in the court's tamper-evident audit chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db.models import Count, Q, QuerySet

from auction.models import Bid, Lot
from core.models import AuditRecord
from enforcement.models import Appraisal

CLOSED = [Lot.Status.SOLD, Lot.Status.UNSOLD, Lot.Status.WITHDRAWN]
RECORD_FIELDS = [
    "seq",
    "paddle",
    "amount_minor",
    "currency",
    "received_at",
    "source",
    "annulled",
    "hash",
]
RESULT_FIELDS = [
    "lot",
    "court",
    "auction",
    "lot_number",
    "round",
    "asset_kind",
    "city",
    "appraisal_minor",
    "opening_minor",
    "final_price_minor",
    "currency",
    "bids",
    "bidders",
    "outcome",
    "closed_at",
]


def closed_lot(lot_id: int) -> Lot | None:
    return (
        Lot.objects.select_related("auction", "auction__court", "asset")
        .filter(pk=lot_id, status__in=CLOSED)
        .first()
    )


def genesis(lot: Lot) -> str:
    return hashlib.sha256(f"mazad-bid-record|{lot.reference}".encode()).hexdigest()


def link(previous: str, row: dict[str, Any]) -> str:
    text = "|".join(
        [
            previous,
            str(row["seq"]),
            str(row["paddle"]),
            str(row["amount_minor"]),
            row["currency"],
            row["received_at"],
            row["source"],
            "1" if row["annulled"] else "0",
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class BidRecord:
    lot: Lot
    rows: list[dict[str, Any]]
    record_hash: str
    closing_audit_hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "lot": self.lot.reference,
            "court": self.lot.auction.court.code,
            "status": self.lot.status,
            "outcome": self.lot.outcome,
            "currency": self.lot.currency,
            "final_price_minor": self.lot.price_minor,
            "closed_at": _iso(self.lot.closed_at),
            "bids": self.rows,
            "record_hash": self.record_hash,
            "closing_audit_hash": self.closing_audit_hash,
            "hash_chain": "h0 = sha256('mazad-bid-record|' + lot); hi = sha256(h(i-1) | seq |"
            " paddle | amount_minor | currency | received_at | source |"
            " annulled)",
        }


def _iso(moment: Any) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


def bid_record(lot: Lot) -> BidRecord:
    previous = genesis(lot)
    rows = []
    for bid in Bid.objects.filter(lot=lot).select_related("registration").order_by("seq"):
        row = {
            "seq": bid.seq,
            "paddle": bid.registration.paddle,
            "amount_minor": bid.amount_minor,
            "currency": lot.currency,
            "received_at": _iso(bid.received_at),
            "source": bid.source,
            "annulled": bid.is_annulled,
        }
        previous = row["hash"] = link(previous, row)
        rows.append(row)
    closing = (
        AuditRecord.objects.filter(
            object_type="auction.lot",
            object_id=str(lot.pk),
            action__in=["lot.closed", "lot.withdrawn"],
        )
        .values_list("record_hash", flat=True)
        .first()
    )
    return BidRecord(lot, rows, previous, closing or "")


def closed_lots(court_code: str = "") -> QuerySet[Lot]:
    lots = (
        Lot.objects.filter(status__in=CLOSED)
        .select_related("auction__court", "asset")
        .annotate(
            bid_total=Count("bids", filter=Q(bids__is_annulled=False), distinct=True),
            bidder_total=Count(
                "bids__registration", filter=Q(bids__is_annulled=False), distinct=True
            ),
        )
        .order_by("closed_at", "pk")
    )
    return lots.filter(auction__court__code=court_code) if court_code else lots


def result_rows(court_code: str = "") -> Iterator[dict[str, Any]]:

    for lot in closed_lots(court_code).iterator(chunk_size=500):
        appraisal = (
            Appraisal.objects.filter(asset_id=lot.asset_id)
            .order_by("-recorded_at", "-pk")
            .values_list("value_minor", flat=True)
            .first()
        )
        yield {
            "lot": lot.reference,
            "court": lot.auction.court.code,
            "auction": lot.auction.number,
            "lot_number": lot.number,
            "round": lot.round,
            "asset_kind": lot.asset.kind,
            "city": lot.asset.city or lot.auction.court.city,
            "appraisal_minor": appraisal,
            "opening_minor": lot.opening_minor,
            "final_price_minor": lot.price_minor if lot.status == Lot.Status.SOLD else None,
            "currency": lot.currency,
            "bids": getattr(lot, "bid_total", 0),
            "bidders": getattr(lot, "bidder_total", 0),
            "outcome": lot.outcome,
            "closed_at": _iso(lot.closed_at),
        }
