"""Hypothesis-generated frames against the lot socket of a real web process.

Each example opens a socket as a registered bidder, sends one frame (JSON that
almost fits the protocol, JSON that does not, text that is not JSON, binary,
oversized) and reads until the socket answers it. The property: every frame is
answered exactly once with a known reply, or the socket is closed with the
code that names why; the server never fails; and the lot changes only through
bids the socket said it accepted.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from auction import protocol
from auction.models import Bid, Lot
from tests.auction import factories
from tests.harness.aio import run
from tests.harness.http import cookie_header, logged_in_client

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]

REPLIES = {"error", "bid_result", "auto_bid_result", "pong", "replay", "snapshot"}
KEYS = ["type", "amount_minor", "client_id", "seq", "maximum_minor", "keep_deposit_reserved"]
TYPES = ["bid", "auto_bid", "resume", "ping", "BID", "shout", "", None, 1, ["bid"]]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
# Values that often pass one rule and break the next: amounts around the price, ids
# with and without the allowed characters, Arabic and other scripts, control characters.
near_valid = (
    st.sampled_from(TYPES)
    | st.integers(min_value=-1, max_value=50_000)
    | st.text(alphabet="abcXYZ019_.:-", min_size=1, max_size=70)
    | st.text(alphabet="مزاد٠١٢٣‏‎ \t\n\x00\u200f\ufeff😀", max_size=20)
)
messages = st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=10), near_valid | json_values, max_size=6
)
client_ids = st.text(alphabet="abcXYZ019_.:-", min_size=1, max_size=64) | near_valid
amounts = st.integers(min_value=-10, max_value=60_000) | near_valid
# Whole messages of each kind, right or nearly right, with stray keys now and then.
protocol_messages = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("bid"), "amount_minor": amounts, "client_id": client_ids},
        optional={"keep_deposit_reserved": st.booleans() | near_valid, "paddle": near_valid},
    ),
    st.fixed_dictionaries(
        {"type": st.just("auto_bid"), "maximum_minor": st.none() | amounts},
        optional={"client_id": client_ids},
    ),
    st.fixed_dictionaries({"type": st.just("resume"), "seq": st.integers(-5, 2_000) | near_valid}),
    st.fixed_dictionaries({"type": st.just("ping")}, optional={"seq": near_valid}),
)
texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=200)
frames = st.one_of(
    protocol_messages.map(json.dumps),
    protocol_messages.map(json.dumps),
    messages.map(json.dumps),
    json_values.map(json.dumps),
    st.builds(lambda m: json.dumps(m).replace('"', "", 1), messages),  # broken JSON
    st.sampled_from(["NaN", "Infinity", '{"type": "bid", "amount_minor": NaN}', "{}", "null"]),
    texts,
    st.binary(max_size=64),
    st.integers(min_value=protocol.MAX_FRAME_BYTES + 1, max_value=20_000).map(lambda n: "[" * n),
)


def too_large(frame: str | bytes) -> bool:
    return isinstance(frame, bytes) or len(frame) > protocol.MAX_FRAME_BYTES


async def exchange(url: str, origin: str, cookie: str, frame: str | bytes) -> dict[str, Any]:
    """Send one frame on a fresh socket; return its reply, the bids it says were accepted
    along the way, and the close code if the socket was closed instead."""
    async with connect(url, origin=origin, additional_headers={"Cookie": cookie}) as socket:
        first = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert first["type"] == "snapshot"
        await socket.send(frame)
        try:
            while True:
                reply = json.loads(await asyncio.wait_for(socket.recv(), 10))
                items = reply["events"] if reply.get("type") == "batch" else [reply]
                for item in items:
                    if item["type"] in REPLIES:
                        return {"reply": item, "closed": None}
        except ConnectionClosed:
            return {"reply": None, "closed": socket.close_code}


def test_no_frame_breaks_the_socket_or_changes_the_lot_unless_accepted(web_servers, court):
    lot = factories.lot(court, opening_minor=1_000)
    server = web_servers["uvicorn"]
    url = f"{server.ws_url}/ws/lots/{lot.pk}/"
    bidders = [factories.registered_bidder(lot).bidder for _ in range(2)]
    cookies = [cookie_header(logged_in_client(server.base_url, u.email)) for u in bidders]
    log_start = len(server.log())
    accepted: list[int] = []

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(frame=frames, who=st.sampled_from([0, 1]))
    def check(frame: str | bytes, who: int) -> None:
        outcome = run(lambda: exchange(url, server.base_url, cookies[who], frame))
        if too_large(frame):
            assert outcome["closed"] == 4009, outcome
            return
        reply = outcome["reply"]
        assert reply is not None, f"closed with {outcome['closed']} on {frame!r}"
        if reply["type"] == "error":
            assert reply["error"]["code"] in ("invalid_json", "invalid_message", "rate_limited")
            assert reply["error"]["message"]
        if reply["type"] in ("bid_result", "auto_bid_result"):
            if reply["accepted"] and reply["seq"] is not None and not reply.get("duplicate"):
                accepted.append(reply["seq"])
            elif not reply["accepted"]:
                assert reply["error"]["code"]
                assert reply["error"]["message"]

    check()

    lot.refresh_from_db()
    bids = list(Bid.objects.filter(lot=lot).order_by("seq").values_list("seq", "amount_minor"))
    # Gap-free and increasing; every accepted seq is a bid, and there are bids only if some
    # were accepted (an accepted auto-bid may set off the other bidder's maximum too).
    assert [seq for seq, _ in bids] == list(range(1, len(bids) + 1))
    assert set(accepted) <= {seq for seq, _ in bids}
    assert bool(bids) == bool(accepted)
    assert all(a < b for (_, a), (_, b) in itertools.pairwise(bids))
    assert Lot.objects.get(pk=lot.pk).seq == len(bids)
    new_log = server.log()[log_start:]
    assert "Traceback" not in new_log, new_log[-4000:]
