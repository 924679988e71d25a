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

from auction import engine
from auction.models import Lot, Registration
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


def increments_of(lot: Lot) -> tuple[engine.IncrementBand, ...]:
    rules = lot.auction.rules or {}
    return engine.validate_increments(
        engine.IncrementBand(int(b["from_minor"]), int(b["increment_minor"]))
        for b in rules.get("increments", [{"from_minor": 0, "increment_minor": 1}])
    )


def next_minimum_after(lot: Lot, price_minor: int | None) -> int:
    if price_minor is None:
        return lot.opening_minor
    bands = increments_of(lot)
    increment = bands[0].increment_minor
    for band in bands:
        if price_minor >= band.from_minor:
            increment = band.increment_minor
    return price_minor + increment


def bid_frame(lot: Lot, paddle: int, bid: engine.Accepted, received_at: datetime) -> Frame:
    return Frame(
        lot_topic(lot.pk),
        encode(
            {
                "type": "bid_accepted",
                "lot": lot.pk,
                "seq": bid.seq,
                "paddle": paddle,
                "amount_minor": bid.amount_minor,
                "currency": lot.currency,
                "source": bid.source.value,
                "received_at": received_at,
                "next_minimum_minor": next_minimum_after(lot, bid.amount_minor),
            }
        ),
    )


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


def lost_the_lead(previous_leader: int | None, leaders: list[int]) -> list[int]:
    """Registrations that led at some point of one decision and do not lead at its end.

    One rule for the page's `outbid` frame and the outbid notice (toast and e-mail), so neither
    claims an outbid that the same decision undid.
    """
    lost, holder = [], previous_leader
    for leader in leaders:
        if holder is not None and leader != holder:
            lost.append(holder)
        holder = leader
    return [r for r in dict.fromkeys(lost) if r != holder]


def personal_frames(
    lot: Lot,
    previous_leader: int | None,
    leaders: list[int],
    registrations: dict[int, Registration],
) -> list[Frame]:
    """What each bidder's own page is told of one decision: its net effect, never its steps.

    `leaders` is the registration that led after each new bid, in order. `outbid` goes to each
    bidder who led at some point of the decision and does not lead at its end: a bidder whose
    automatic bid answered a rival's within the same decision was never outbid as far as
    anyone can see, and is told `you_lead` instead. `you_lead` goes to the leader at the end
    whenever the decision placed a bid (a new leader, or one whose automatic bid kept the lead).
    """
    if not leaders:
        return []
    frames: list[Frame] = []
    for loser_id in lost_the_lead(previous_leader, leaders):
        loser = registrations.get(loser_id) or Registration.objects.get(pk=loser_id)
        frames.append(personal(lot, loser.bidder_id, "outbid", price_minor=lot.price_minor))
    holder = leaders[-1]
    winner = registrations.get(holder) or Registration.objects.get(pk=holder)
    frames.append(personal(lot, winner.bidder_id, "you_lead", price_minor=lot.price_minor))
    return frames


def publish(frames: Iterable[Frame]) -> None:
    """Publish now (call after commit). Never raises: watchers recover through `seq`."""
    hub.publish_many([(frame.topic, frame.text) for frame in frames])


def publish_after_commit(frames: list[Frame]) -> None:
    after_commit(lambda: publish(frames))
