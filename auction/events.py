"""The frames a lot's watchers receive, encoded once and published after commit.

Every frame carries the lot's `seq` (the sequence number of its last bid).
Topics: `lot:<id>` for everyone watching the lot, `lot:<id>:user:<id>` for one
bidder's own notices on that lot (outbid, you lead, you won). Frame types and
fields are documented in docs/live-protocol.md (a test checks).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from auction.models import Lot
from core import http_cache
from core.live import hub
from core.transactions import after_commit


@dataclass(frozen=True)
class Frame:
    topic: str
    text: str


def lot_topic(lot_id: int) -> str:
    return f"lot:{lot_id}"


def bidder_topic(lot_id: int, user_id: int) -> str:
    return f"lot:{lot_id}:user:{user_id}"


def is_lot_topic(topic: str) -> bool:
    """A lot's public topic (every watcher), as opposed to one bidder's own.

    The hub paces these (core/live/hub.py, `pace_topics`; the app registers it when ready).
    """
    return topic.startswith("lot:") and topic.count(":") == 1


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=_default)


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def extended_frame(lot: Lot, seq: int, ends_at: datetime, *, reason: str) -> Frame:
    return Frame(
        lot_topic(lot.pk),
        encode(
            {
                "type": "lot_extended",
                "lot": lot.pk,
                "seq": seq,
                "ends_at": ends_at,
                "reason": reason,
                "server_time": timezone.now(),
            }
        ),
    )


def opened_frame(lot: Lot) -> Frame:
    return Frame(
        lot_topic(lot.pk),
        encode(
            {
                "type": "lot_opened",
                "lot": lot.pk,
                "seq": lot.seq,
                "ends_at": lot.ends_at,
                "server_time": timezone.now(),
            }
        ),
    )


def closed_frame(lot: Lot, winner_paddle: int | None) -> Frame:
    return Frame(
        lot_topic(lot.pk),
        encode(
            {
                "type": "lot_closed",
                "lot": lot.pk,
                "seq": lot.seq,
                "status": lot.status,
                "outcome": lot.outcome,
                "price_minor": lot.price_minor,
                "winner_paddle": winner_paddle,
            }
        ),
    )


def withdrawn_frame(lot: Lot) -> Frame:
    return Frame(
        lot_topic(lot.pk),
        encode(
            {
                "type": "lot_withdrawn",
                "lot": lot.pk,
                "seq": lot.seq,
                "outcome": lot.outcome,
                "reason": lot.withdrawn_reason,
            }
        ),
    )


def resync_frame(lot: Lot, reason: str) -> Frame:
    return Frame(
        lot_topic(lot.pk),
        encode({"type": "resync", "lot": lot.pk, "seq": lot.seq, "reason": reason}),
    )


def personal(lot: Lot, user_id: int, kind: str, **fields: Any) -> Frame:
    return Frame(
        bidder_topic(lot.pk, user_id),
        encode({"type": kind, "lot": lot.pk, "seq": lot.seq, **fields}),
    )


CATALOG_PAGES = "catalog"
# The catalog pages ordered or filtered by price: any bid can move a lot into or out of them.
CATALOG_PRICES = "catalog-prices"
# How a lot's `bid_accepted` frame begins (`encode` keeps the payload's order): a bid changes
# the lot's price and sequence number, nothing a catalog page orders or filters by but price.
_BID_ACCEPTED = encode({"type": "bid_accepted"})[:-1]


def lot_pages(lot_id: int) -> str:
    """The version name of a lot's shared public page (core/http_cache.py, `shared_page`)."""
    return f"lot:{lot_id}"


def page_versions(frames: Iterable[Frame]) -> list[str]:
    """The shared public pages a lot's public frames change.

    Each lot's own page, and the catalog pages that show it (they keep its version,
    `http_cache.shows`). Bids alone change prices: they retire the catalog pages ordered or
    filtered by price too, and no other. Any other frame (an opening, an extension, a close,
    a withdrawal, a resync) can move lots between pages: it retires every catalog page.
    """
    public = [frame for frame in frames if is_lot_topic(frame.topic)]
    if not public:
        return []
    lots = sorted({int(frame.topic.split(":")[1]) for frame in public})
    only_bids = all(frame.text.startswith(_BID_ACCEPTED) for frame in public)
    names = [CATALOG_PRICES if only_bids else CATALOG_PAGES, *(lot_pages(pk) for pk in lots)]
    return [http_cache.version_name(name) for name in names]


def publish(frames: Iterable[Frame]) -> None:
    """Publish now (call after commit). Never raises: watchers recover through `seq`.

    The shared public pages the frames change (the catalog, the lots' pages) are marked
    changed in the same round trip, so the next reader of one gets it rendered anew.
    """
    frames = list(frames)
    hub.publish_many(
        [(frame.topic, frame.text) for frame in frames], counters=page_versions(frames)
    )


def publish_after_commit(frames: list[Frame]) -> None:
    after_commit(lambda: publish(frames))


def pages_changed(lot_ids: Iterable[int] = ()) -> None:
    """For a change no frame tells (a saved row): the catalog's and the lots' shared pages.

    Bumped at once and again after the commit: a reader who renders between the two sees
    the old rows under the first bump, and the second one retires that render.
    """
    names = [CATALOG_PAGES, *(lot_pages(lot_id) for lot_id in lot_ids)]
    http_cache.changed(*names)
    after_commit(lambda: http_cache.changed(*names))
