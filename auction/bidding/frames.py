"""What a bid tells, as frames of the lot socket (docs/live-protocol.md documents each).

The lot's `bid_accepted` frames and each bidder's own `outbid` / `you_lead`
frames of one decision, formatted from what the rules decided (the next
minimum, who lost the lead: nothing is worked out here), and the answers to
the bidder: `bid_result` and `auto_bid_result` frames, and `error` frames.
Every refusal the lot socket sends, whatever refused it (a rule, the bid
limit, a malformed message, the database away), is built by `refusal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext, gettext_noop

from auction import events
from auction.bidding.rules import Accepted
from auction.errors import message_for
from auction.models import Lot, Registration

if TYPE_CHECKING:
    from auction.bidding.decide import Answer

# The frame types that answer a client message: a refusal is one of these, with `error`.
ANSWERS = ("bid_result", "auto_bid_result", "error")
# The codes refused outside the rules (the rules' own are `Refusal`'s values).
SERVICE_UNAVAILABLE = "service_unavailable"
# A signed-in session that has not proved its second factor bids as no one (accounts/sockets.py).
SECOND_FACTOR_REQUIRED = "second_factor_required"
UNAVAILABLE_MESSAGE = gettext_noop(
    "Bidding is interrupted for a moment. Send your bid again: a bid already "
    "received is never placed twice."
)


# --- the lot's frames ---------------------------------------------------------------------------


def bid_accepted(lot: Lot, paddle: int, bid: Accepted, received_at: datetime) -> events.Frame:
    return events.Frame(
        events.lot_topic(lot.pk),
        events.encode(
            {
                "type": "bid_accepted",
                "lot": lot.pk,
                "seq": bid.seq,
                "paddle": paddle,
                "amount_minor": bid.amount_minor,
                "currency": lot.currency,
                "source": bid.source.value,
                "received_at": received_at,
                "next_minimum_minor": bid.next_minimum_minor,
            }
        ),
    )


def personal(
    lot: Lot, lost: Sequence[int], holder: int, registrations: dict[int, Registration]
) -> list[events.Frame]:
    """What each bidder's own page is told of one decision: its net effect, never its steps.

    `lost` are the registrations that lost the lead in the decision and did not take it back
    (`rules.lost_the_lead`): each is told `outbid`. A bidder whose automatic bid answered a
    rival's within the same decision was never outbid as far as anyone can see. `holder`
    leads at its end and is told `you_lead` (a new leader, or one whose automatic bid kept
    the lead).
    """
    told: list[events.Frame] = []
    for loser_id in lost:
        loser = registrations.get(loser_id) or Registration.objects.get(pk=loser_id)
        told.append(events.personal(lot, loser.bidder_id, "outbid", price_minor=lot.price_minor))
    winner = registrations.get(holder) or Registration.objects.get(pk=holder)
    told.append(events.personal(lot, winner.bidder_id, "you_lead", price_minor=lot.price_minor))
    return told


# --- the answers to the bidder ------------------------------------------------------------------


def refusal(
    kind: str,
    code: str,
    *,
    client_id: str | None = None,
    field: str | None = None,
    params: dict[str, object] | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    """A refused message's answer: an `error` frame, or a `bid_result` / `auto_bid_result`
    frame that is not accepted; either way an `error` of `code`, `field`, `params` and
    `message` in the active language.

    `message` is the text to show, translated by the caller; without it, the refusal's own
    (`auction.errors.MESSAGES`, with its params shown as money).
    """
    shown = dict(params or {})
    error = {
        "code": code,
        "field": field,
        "params": shown,
        "message": message if message is not None else message_for(code, shown),
    }
    if kind == "error":
        return {"type": "error", "error": error}
    return {"type": kind, "client_id": client_id, "accepted": False, "error": error}


def result(answer: Answer, client_id: str | None, kind: str = "bid_result") -> dict[str, Any]:
    """The answer to a `bid` (or an `auto_bid`) that was decided: accepted, or refused."""
    if not answer.accepted:
        assert answer.code is not None
        return refusal(
            kind, answer.code, client_id=client_id, field="amount_minor", params=answer.params
        )
    return {
        "type": kind,
        "client_id": client_id,
        "accepted": True,
        "seq": answer.seq,
        "amount_minor": answer.amount_minor,
        "received_at": answer.received_at.isoformat() if answer.received_at else None,
        "paddle": answer.paddle,
        "is_leading": answer.is_leading,
        "duplicate": answer.duplicate,
    }


def unavailable(kind: str, client_id: str | None = None) -> dict[str, Any]:
    """The refusal while the database is away: retryable, and safe to retry.

    The commit may have happened just before the connection broke, so the
    bid is not said to be lost: sending it again with the same client id
    returns the original answer if it was placed, and decides it if not.
    """
    return refusal(
        kind, SERVICE_UNAVAILABLE, client_id=client_id, message=gettext(UNAVAILABLE_MESSAGE)
    )
