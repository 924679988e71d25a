"""Bidders know each other only by paddle: no page, live event, export, notice or e-mail
shows another bidder's name, e-mail, phone or identity number."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from websockets.asyncio.client import connect

from auction import notifications
from auction.bidding import decide as bidding
from auction.services import lifecycle
from notifications import delivery as outbox
from tests.auction import factories
from tests.harness.aio import in_thread, run
from tests.harness.http import cookie_header, logged_in_client
from tests.security.crawl import crawl

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]

# Distinctive details, so any leak is found by a plain search of the text.
PEOPLE = {
    "alpha": {
        "full_name": "Nasser Alphaqahtani",
        "phone": "+966500000111",
        "id_number": "P1111117",
    },
    "beta": {"full_name": "Huda Betashehri", "phone": "+966500000222", "id_number": "P2222226"},
}


def identity(user) -> set[str]:
    return {user.full_name, user.email, user.phone, user.id_number, user.full_name.split()[-1]}


def leaks(text: str, people) -> set[str]:
    return {detail for person in people for detail in identity(person) if detail in text}


@pytest.fixture
def sale(court):
    """A live lot and a closed one, both fought over by alpha and beta."""
    live = factories.lot(court, opening_minor=1_000)
    alpha = factories.registered_bidder(live, **PEOPLE["alpha"])
    beta = factories.registered_bidder(live, **PEOPLE["beta"])
    bidding.place_bid(lot_id=live.pk, user_id=alpha.bidder_id, amount_minor=1_000)
    bidding.place_bid(lot_id=live.pk, user_id=beta.bidder_id, amount_minor=1_100)
    bidding.place_bid(lot_id=live.pk, user_id=alpha.bidder_id, amount_minor=1_200)
    closed = factories.lot(court, opening_minor=1_000)
    for registration in (alpha, beta):
        type(registration).objects.create(
            lot=closed,
            bidder=registration.bidder,
            paddle=registration.paddle + 50,
            deposit_status=registration.deposit_status,
        )
    bidding.place_bid(lot_id=closed.pk, user_id=beta.bidder_id, amount_minor=1_000)
    bidding.place_bid(lot_id=closed.pk, user_id=alpha.bidder_id, amount_minor=1_100)
    lifecycle.close_lot(lot_id=closed.pk, now=closed.ends_at + timedelta(seconds=1))
    return live, closed, alpha.bidder, beta.bidder


def public_pages(live, closed) -> list[str]:
    pages = [reverse("frontend:home"), reverse("auction:catalog"), reverse("auction:open_data")]
    for lot in (live, closed):
        pages.append(reverse("auction:lot", args=[lot.pk]))
    for fmt in ("csv", "json"):
        pages.append(reverse("auction:lot_record", kwargs={"lot_id": closed.pk, "fmt": fmt}))
        pages.append(reverse("auction:open_results", kwargs={"fmt": fmt}))
    return pages


def test_no_page_or_export_shows_another_bidder(client, sale):
    live, closed, alpha, beta = sale
    seeds = [*public_pages(live, closed), reverse("frontend:workspace")]

    for viewer, others in ((None, [alpha, beta]), (alpha, [beta]), (beta, [alpha])):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        walk = crawl(client, seeds, per_view=4)
        assert len(walk.pages) > 10
        found = {
            url: leaks(response.content.decode(errors="replace"), others)
            for url, response in walk.pages.items()
            if not response.streaming
        }
        assert not {url: hit for url, hit in found.items() if hit}, viewer


def test_notices_and_e_mails_name_no_other_bidder(sale):
    _live, _closed, alpha, beta = sale
    mail.outbox.clear()

    notifications.deliver_pending(timezone.now())
    outbox.deliver_due(timezone.now())  # the e-mails go through the outbox

    assert mail.outbox, "the outbid and won notices are e-mailed"
    for message in mail.outbox:
        (recipient,) = message.to
        others = [person for person in (alpha, beta) if person.email != recipient]
        assert not leaks(message.subject + message.body, others)


def test_live_events_show_paddles_only(web_servers, sale):
    live, _closed, alpha, beta = sale
    server = web_servers["uvicorn"]
    url = f"{server.ws_url}/ws/lots/{live.pk}/"
    cookie = cookie_header(logged_in_client(server.base_url, alpha.email))

    async def watch(headers, bidder, amount):
        """The snapshot, a replay from the start, and the event of someone's new bid."""
        async with connect(url, origin=server.base_url, additional_headers=headers) as socket:
            frames = [await asyncio.wait_for(socket.recv(), 10)]
            await socket.send(json.dumps({"type": "resume", "seq": 0}))
            frames.append(await asyncio.wait_for(socket.recv(), 10))
            await in_thread(
                bidding.place_bid, lot_id=live.pk, user_id=bidder.pk, amount_minor=amount
            )
            frames.append(await asyncio.wait_for(socket.recv(), 10))
            return frames

    async def both():
        return (
            await watch({"Cookie": cookie}, beta, 1_300),
            await watch({}, alpha, 1_400),
        )

    as_alpha, as_anyone = run(both)

    assert "paddle" in as_alpha[0]
    assert "1300" in as_alpha[2]
    assert "1400" in as_anyone[2]
    assert not leaks("".join(as_alpha), [beta])
    assert not leaks("".join(as_anyone), [alpha, beta])
