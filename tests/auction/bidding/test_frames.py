"""What a bidder's own page and inbox are told of a decision: its net effect, never its steps."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from auction import events, notifications
from auction.bidding import decide as bidding
from auction.bidding import frames, rules
from auction.models import Lot, Notification
from core.live import hub
from notifications import delivery as outbox
from tests.auction import factories
from tests.harness.servers import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(court: Any) -> Iterator[Any]:
    """Reads what the bidding service publishes to Redis for a lot (every topic of it)."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (make test provides it)")
    client = redis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()

    class Reader:
        def watch(self, lot: Lot) -> None:
            pubsub.psubscribe(hub.channel_name(events.lot_topic(lot.pk)) + "*")
            pubsub.get_message(timeout=1)  # the subscription's confirmation

        def frames(self) -> list[tuple[str, dict[str, Any]]]:
            found: list[tuple[str, dict[str, Any]]] = []
            while (message := pubsub.get_message(timeout=0.5)) is not None:
                topic = message["channel"].decode().removeprefix(settings.LIVE_PREFIX + ":")
                frame = json.loads(message["data"])
                for event in frame["events"] if frame["type"] == "batch" else [frame]:
                    found.append((topic, event))
            return found

    yield Reader()
    pubsub.close()
    client.close()


def own_frames(frames: list[tuple[str, dict[str, Any]]], registration: Any) -> list[str]:
    topic = events.bidder_topic(registration.lot_id, registration.bidder_id)
    return [frame["type"] for found, frame in frames if found == topic]


def test_a_leader_whose_automatic_bid_answers_a_rival_at_once_is_told_they_lead_not_outbid(
    court, published, django_capture_on_commit_callbacks
):
    lot = factories.lot(court, opening_minor=1_000)
    first = factories.registered_bidder(lot, preferred_language="en")
    second = factories.registered_bidder(lot, preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        bidding.set_automatic_bid(lot_id=lot.pk, user_id=first.bidder_id, maximum_minor=5_000)
    published.watch(lot)

    with django_capture_on_commit_callbacks(execute=True):
        answer = bidding.place_bid(lot_id=lot.pk, user_id=second.bidder_id, amount_minor=1_100)
    frames = published.frames()
    delivered = notifications.deliver_pending(timezone.now())
    outbox.deliver_due(timezone.now())  # the e-mails go through the outbox

    lot.refresh_from_db()
    assert answer.accepted
    assert not answer.is_leading
    assert lot.leader_id == first.pk
    assert lot.price_minor == 1_200
    assert own_frames(frames, first) == ["you_lead"], "never an outbid the same decision undid"
    assert own_frames(frames, second) == ["outbid"]
    assert [f["paddle"] for t, f in frames if f["type"] == "bid_accepted"] == [
        second.paddle,
        first.paddle,
    ]
    notices = list(Notification.objects.values_list("user_id", "kind"))
    assert notices == [(second.bidder_id, "OUTBID")], "no outbid notice (toast, e-mail) to first"
    assert delivered == 1
    assert [m.to for m in mail.outbox] == [[second.bidder.email]]


def test_a_leader_outbid_for_good_is_told_once_with_the_final_price(
    court, published, django_capture_on_commit_callbacks
):
    lot = factories.lot(court, opening_minor=1_000)
    first = factories.registered_bidder(lot)
    second = factories.registered_bidder(lot)
    with django_capture_on_commit_callbacks(execute=True):
        bidding.set_automatic_bid(lot_id=lot.pk, user_id=first.bidder_id, maximum_minor=1_300)
    published.watch(lot)

    with django_capture_on_commit_callbacks(execute=True):
        bidding.set_automatic_bid(lot_id=lot.pk, user_id=second.bidder_id, maximum_minor=2_000)
    frames = published.frames()

    lot.refresh_from_db()
    assert lot.leader_id == second.pk
    assert own_frames(frames, first) == ["outbid"]
    assert own_frames(frames, second) == ["you_lead"]
    outbid = next(f for t, f in frames if f["type"] == "outbid")
    assert outbid["price_minor"] == lot.price_minor
    assert outbid["seq"] == lot.seq


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    previous=st.one_of(st.none(), st.integers(1, 4)),
    leaders=st.lists(st.integers(1, 4), min_size=1, max_size=8),
)
def test_the_outbid_rule_names_exactly_those_who_led_during_a_decision_but_not_at_its_end(
    previous, leaders
):
    lost = rules.lost_the_lead(previous, leaders)

    held = {r for r in [previous, *leaders[:-1]] if r is not None}
    assert set(lost) == held - {leaders[-1]}
    assert leaders[-1] not in lost
    assert len(lost) == len(set(lost))


def test_a_bidder_who_takes_the_lead_back_before_the_notices_go_is_not_told_of_the_outbid(court):
    lot = factories.lot(court, opening_minor=1_000)
    first = factories.registered_bidder(lot, preferred_language="en")
    second = factories.registered_bidder(lot, preferred_language="en")
    bidding.place_bid(lot_id=lot.pk, user_id=first.bidder_id, amount_minor=1_000)
    bidding.place_bid(lot_id=lot.pk, user_id=second.bidder_id, amount_minor=1_100)
    bidding.place_bid(lot_id=lot.pk, user_id=first.bidder_id, amount_minor=1_200)

    delivered = notifications.deliver_pending(timezone.now())
    outbox.deliver_due(timezone.now())  # the e-mails go through the outbox

    assert delivered == 2, "both notices are done with"
    assert [m.to for m in mail.outbox] == [[second.bidder.email]]
    kept = Notification.objects.get(user=first.bidder)
    assert kept.pushed_at is not None, "kept in My auctions, not pushed again"
    assert kept.emailed_at is None


# --- every refusal the lot socket sends ---------------------------------------------------------

# The codes refused outside the rules: the socket's flood limit shares `rate_limited` with the
# bid limit, a malformed message is `invalid_json` or `invalid_message`, and the database away
# is `service_unavailable`.
OUTSIDE_THE_RULES = {
    "invalid_json": "The message is not valid JSON.",
    "invalid_message": "A message is a JSON object with a type.",
    "service_unavailable": frames.UNAVAILABLE_MESSAGE,
}


def protocol_document() -> tuple[set[str], str]:
    text = (ROOT / "docs" / "live-protocol.md").read_text()
    server_to_client = text[text.index("## Server → client") : text.index("## Errors")]
    errors = text[text.index("## Errors") : text.index("## Close codes")]
    return set(re.findall(r"^\| `([a-z_]+)` \|", server_to_client, re.M)), errors


def every_refusal() -> list[tuple[str, str, dict[str, Any]]]:
    """Every (frame type, code, frame) the builder makes, in Arabic."""
    built = []
    with translation.override("ar"):
        for kind in frames.ANSWERS:
            for refusal in rules.Refusal:
                params = {"minimum_minor": 1_050, "currency": "SAR"}
                built.append((kind, refusal.value, frames.refusal(kind, refusal, params=params)))
            for code, message in OUTSIDE_THE_RULES.items():
                frame = frames.refusal(kind, code, message=translation.gettext(message))
                built.append((kind, code, frame))
            built.append((kind, "service_unavailable", frames.unavailable(kind, "c-1")))
    return built


def test_every_refusal_code_yields_a_frame_the_protocol_documents():
    frame_types, errors_section = protocol_document()

    for kind, code, frame in every_refusal():
        assert frame["type"] == kind
        assert kind in frame_types, kind
        assert f"`{code}`" in errors_section, f"document {code} in docs/live-protocol.md, Errors"
        error = frame["error"]
        assert set(error) == {"code", "field", "params", "message"}
        assert error["code"] == code
        assert error["message"], code
        assert re.search("[\u0600-\u06ff]", error["message"]), f"{code} is shown in Arabic"
        if kind == "error":
            assert set(frame) == {"type", "error"}
        else:
            assert frame["accepted"] is False
            assert "client_id" in frame
        json.loads(events.encode(frame))


def test_a_decided_refusal_names_the_amount_and_shows_the_minimum_as_money():
    answer = bidding.refused(
        rules.Refusal.BELOW_MINIMUM, {"minimum_minor": 1_050, "currency": "SAR"}
    )

    with translation.override("en"):
        frame = frames.result(answer, "c-7", "auto_bid_result")

    assert frame == frames.refusal(
        "auto_bid_result",
        "below_minimum",
        client_id="c-7",
        field="amount_minor",
        params={"minimum_minor": 1_050, "currency": "SAR"},
        message="The bid must be at least SAR\xa010.50.",
    )


def test_the_lot_socket_builds_no_refusal_by_hand():
    """Every refusal the consumer sends comes from `frames.refusal` (or its `result` and
    `unavailable`), so each has the documented shape."""
    source = (ROOT / "auction" / "consumers.py").read_text()

    assert '"error":' not in source
    assert '"accepted": False' not in source
    assert source.count("frames.refusal(") + source.count("frames.unavailable(") >= 5
