"""Budgets across lots: the bid batch keeps the bidder's automatic bids within their cap,
on one process, in one batch of several lots, and on two web processes racing; the page
that sets the cap refuses bad input in the bidder's language."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from django.test import Client
from websockets.asyncio.client import connect

from auction.bidding import decide as bidding
from auction.models import Bid, Budget, Lot, Registration
from auction.services import budgets
from core.errors import DomainError
from core.models import AuditRecord
from core.money import Money
from tests.auction import factories
from tests.conftest import make_user
from tests.harness.aio import run
from tests.harness.http import cookie_header, logged_in_client


def capped_bidder(lots: list[Lot], cap_minor: int, maximum_minor: int) -> list[Registration]:
    """One bidder registered on every lot, with a robot on each and one budget across them."""
    bidder = make_user("BIDDER", verified=True)
    registrations = [
        Registration.objects.create(lot=lot, bidder=bidder, paddle=900, deposit_status="HELD")
        for lot in lots
    ]
    budgets.save_budget(
        user=bidder, budget_id=None, cap_minor=cap_minor, lot_ids=[lot.pk for lot in lots]
    )
    for lot in lots:
        answer = bidding.set_automatic_bid(
            lot_id=lot.pk, user_id=bidder.pk, maximum_minor=maximum_minor
        )
        assert answer.accepted, answer
    return registrations


def leads(registrations: list[Registration]) -> int:
    total = 0
    for registration in registrations:
        lot = Lot.objects.get(pk=registration.lot_id)
        if lot.leader_id == registration.pk:
            total += int(lot.price_minor or 0)
    return total


@pytest.mark.django_db
def test_a_robot_bids_only_as_far_as_the_budget_leaves_room(court):
    first, second = factories.lot(court), factories.lot(court)
    capped = capped_bidder([first, second], cap_minor=5_000, maximum_minor=50_000)
    x, y = factories.registered_bidder(first), factories.registered_bidder(second)

    assert bidding.place_bid(lot_id=first.pk, user_id=x.bidder_id, amount_minor=3_000).accepted
    first.refresh_from_db()
    assert (first.leader_id, first.price_minor) == (capped[0].pk, 3_100)

    assert bidding.place_bid(lot_id=second.pk, user_id=y.bidder_id, amount_minor=1_500).accepted
    second.refresh_from_db()
    assert (second.leader_id, second.price_minor) == (capped[1].pk, 1_600)
    assert bidding.place_bid(lot_id=second.pk, user_id=y.bidder_id, amount_minor=1_900).accepted
    second.refresh_from_db()
    assert second.leader_id == y.pk  # the room on this lot was 5,000 − 3,100 = 1,900
    assert leads(capped) == 3_100

    assert bidding.place_bid(lot_id=first.pk, user_id=x.bidder_id, amount_minor=4_000).accepted
    first.refresh_from_db()
    assert (first.leader_id, first.price_minor) == (capped[0].pk, 4_100)  # room 5,000 on it
    assert leads(capped) <= 5_000


@pytest.mark.django_db
def test_two_lots_of_one_budget_decided_in_one_batch_share_the_cap(court):
    first, second = factories.lot(court), factories.lot(court)
    capped = capped_bidder([first, second], cap_minor=4_000, maximum_minor=50_000)
    x, y = factories.registered_bidder(first), factories.registered_bidder(second)

    answers, _frames = bidding.decide(
        {
            first.pk: [bidding.Instruction(x.bidder_id, _now(), amount_minor=2_500)],
            second.pk: [bidding.Instruction(y.bidder_id, _now(), amount_minor=1_200)],
        }
    )

    assert answers[first.pk][0].accepted
    assert answers[second.pk][0].accepted
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.leader_id, first.price_minor) == (capped[0].pk, 2_600)
    assert (second.leader_id, second.price_minor) == (capped[1].pk, 1_300)
    assert leads(capped) == 3_900


@pytest.mark.django_db
def test_a_won_lot_keeps_its_price_in_the_budget(court):
    from auction.services import lifecycle

    first, second = factories.lot(court), factories.lot(court)
    capped = capped_bidder([first, second], cap_minor=5_000, maximum_minor=50_000)
    x = factories.registered_bidder(first)
    assert bidding.place_bid(lot_id=first.pk, user_id=x.bidder_id, amount_minor=2_000).accepted
    from django.utils import timezone

    past = timezone.now() - timedelta(seconds=5)
    Lot.objects.filter(pk=first.pk).update(ends_at=past, original_ends_at=past)
    lifecycle.close_lot(lot_id=first.pk, now=timezone.now())
    budget = Budget.objects.get(registrations=capped[0])
    from auction import selectors

    standing = selectors.standing_of(budget)
    # Won at 2,100 on the first lot; leading the second at its opening (the robot's bid).
    assert standing.committed.amount_minor == 2_100 + 1_000
    assert standing.remaining.amount_minor == 1_900
    y = factories.registered_bidder(second)
    assert bidding.place_bid(lot_id=second.pk, user_id=y.bidder_id, amount_minor=2_800).accepted
    second.refresh_from_db()
    assert second.leader_id == capped[1].pk
    assert second.price_minor == 2_900
    assert bidding.place_bid(lot_id=second.pk, user_id=y.bidder_id, amount_minor=3_000).accepted
    second.refresh_from_db()
    assert second.leader_id == y.pk  # the won lot's 2,100 still counts against the cap


def _now():
    from django.utils import timezone

    return timezone.now()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("post", "field", "code"),
    [
        ({"cap": "0", "lots": "LOT"}, "cap", "budget_cap"),
        ({"cap": "12.345", "lots": "LOT"}, "cap", "amount_decimals"),
        ({"cap": "abc", "lots": "LOT"}, "cap", "amount_format"),
        ({"cap": "100"}, "lots", "required"),
        ({"cap": "100", "lots": "999999"}, "lots", "invalid_choice"),
        ({"cap": "", "lots": "LOT"}, "cap", "required"),
        ({"cap": "KWD 100", "lots": "LOT"}, "cap", "budget_cap_currency"),
        ({"cap": "100 usd", "lots": "LOT"}, "cap", "budget_cap_currency"),
    ],
)
def test_the_budget_page_refuses_bad_input_naming_the_field(court, post, field, code):
    lot = factories.lot(court)
    registration = factories.registered_bidder(lot)
    client = Client()
    client.force_login(registration.bidder)
    data = {k: (str(lot.pk) if v == "LOT" else v) for k, v in post.items()}

    response = client.post("/my-budgets/new/", data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert code in [e.code for e in form.errors.as_data()[field]]
    assert not Budget.objects.exists()


@pytest.mark.django_db
def test_a_budget_is_set_and_edited_on_its_page_and_is_the_bidders_own(court):
    first, second = factories.lot(court), factories.lot(court)
    mine = factories.registered_bidder(first)
    Registration.objects.create(lot=second, bidder=mine.bidder, paddle=700, deposit_status="HELD")
    client = Client()
    client.force_login(mine.bidder)

    response = client.post("/my-budgets/new/", {"cap": "1,000.50", "lots": [first.pk, second.pk]})
    assert response.status_code == 302
    budget = Budget.objects.get()
    assert (budget.cap_minor, budget.currency) == (100_050, "SAR")
    assert set(budget.registrations.values_list("lot_id", flat=True)) == {first.pk, second.pk}

    response = client.post(f"/my-budgets/{budget.pk}/", {"cap": "500", "lots": [second.pk]})
    assert response.status_code == 302
    budget.refresh_from_db()
    assert budget.cap_minor == 50_000
    assert list(budget.registrations.values_list("lot_id", flat=True)) == [second.pk]
    page = client.get("/my-budgets/")
    assert page.status_code == 200
    assert Money(50_000, "SAR").format("en") in page.content.decode()
    lot_page = client.get(f"/lots/{second.pk}/").content.decode()
    assert "data-budget" in lot_page

    other = Client()
    other.force_login(make_user("BIDDER", verified=True))
    assert other.get(f"/my-budgets/{budget.pk}/").status_code == 404
    assert other.post(f"/my-budgets/{budget.pk}/remove/").status_code == 404
    with pytest.raises(DomainError) as error:  # another's lot cannot be put in a budget
        budgets.save_budget(
            user=mine.bidder,
            budget_id=None,
            cap_minor=100,
            lot_ids=[factories.lot(court).pk],
        )
    assert error.value.code == "budget_lot_not_eligible"

    assert client.post(f"/my-budgets/{budget.pk}/remove/").status_code == 302
    assert not Budget.objects.exists()
    assert not Registration.objects.filter(budget__isnull=False).exists()


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_two_web_processes_racing_on_two_lots_of_one_budget_never_pass_its_cap(web_servers, court):
    """Two other bidders outbid the capped bidder at once on two lots, each through a different
    web process; the capped bidder's robots answer on both. Replaying every accepted bid in
    the order the batches committed (they serialise on the budget, and write their audit
    records after taking it), the capped bidder never leads for more than the cap."""
    cap = 20_000
    first, second = factories.lot(court), factories.lot(court)
    capped = capped_bidder([first, second], cap_minor=cap, maximum_minor=60_000)
    x, y = factories.registered_bidder(first), factories.registered_bidder(second)
    daphne, uvicorn = web_servers["daphne"], web_servers["uvicorn"]

    async def bidder(server, lot, registration, amounts):
        client = logged_in_client(server.base_url, registration.bidder.email)
        async with connect(
            f"{server.ws_url}/ws/lots/{lot.pk}/",
            origin=server.base_url,
            additional_headers={"Cookie": cookie_header(client)},
        ) as socket:
            await asyncio.wait_for(socket.recv(), 10)
            results = []
            for index, amount in enumerate(amounts):
                await socket.send(
                    json.dumps(
                        {"type": "bid", "amount_minor": amount, "client_id": f"r{lot.pk}-{index}"}
                    )
                )
                while True:
                    frame = json.loads(await asyncio.wait_for(socket.recv(), 15))
                    events = frame["events"] if frame.get("type") == "batch" else [frame]
                    found = [e for e in events if e.get("type") in ("bid_result", "error")]
                    if found:
                        results.append(found[0])
                        break
            return results

    async def scenario():
        amounts = [1_500 + 1_800 * i for i in range(9)]
        return await asyncio.gather(
            bidder(uvicorn, first, x, amounts), bidder(daphne, second, y, amounts)
        )

    results = run(scenario)

    assert any(r.get("accepted") for rs in results for r in rs)
    price: dict[int, int] = {}
    leader: dict[int, int] = {}
    records = AuditRecord.objects.filter(
        action="lot.bid_accepted", object_id__in=[str(first.pk), str(second.pk)]
    ).order_by("pk")
    bids = {(b.lot_id, b.seq): b for b in Bid.objects.filter(lot__in=[first, second])}
    capped_ids = {r.pk for r in capped}
    automatic_of_capped = 0
    for record in records:
        lot_id = int(record.object_id)
        bid = bids[(lot_id, record.after["seq"])]
        price[lot_id], leader[lot_id] = bid.amount_minor, bid.registration_id
        if bid.registration_id in capped_ids:
            assert bid.source == "AUTOMATIC"
            automatic_of_capped += 1
        committed = sum(price[k] for k in price if leader[k] in capped_ids)
        assert committed <= cap, (record.pk, price, leader)
    assert automatic_of_capped > 2
    assert leads(capped) <= cap
    # The cap bound: the robots' maxima (60,000 each) were never reached.
    assert max(b.amount_minor for b in bids.values() if b.registration_id in capped_ids) <= cap


@pytest.mark.django_db
def test_a_cap_typed_with_the_lots_own_currency_code_is_taken(court):
    lot = factories.lot(court)
    registration = factories.registered_bidder(lot)
    client = Client()
    client.force_login(registration.bidder)

    response = client.post("/my-budgets/new/", {"cap": "SAR 1,000.50", "lots": [lot.pk]})

    assert response.status_code == 302
    assert (Budget.objects.get().cap_minor, Budget.objects.get().currency) == (100_050, "SAR")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_cap_below_what_the_bidder_already_leads_is_refused_naming_the_field(court, language):
    """A budget would be spent before it began: refused on creation and on a change, in the
    bidder's language, and nothing changes."""
    first, second = factories.lot(court), factories.lot(court)
    bidder = make_user("BIDDER", verified=True, preferred_language=language)
    for lot in (first, second):
        Registration.objects.create(lot=lot, bidder=bidder, paddle=901, deposit_status="HELD")
    assert bidding.place_bid(lot_id=first.pk, user_id=bidder.pk, amount_minor=3_000).accepted
    assert bidding.place_bid(lot_id=second.pk, user_id=bidder.pk, amount_minor=2_000).accepted
    client = Client()
    client.force_login(bidder)
    client.cookies["mazad_language"] = language
    lots = [first.pk, second.pk]

    refused = client.post("/my-budgets/new/", {"cap": "49.99", "lots": lots})
    assert refused.status_code == 400
    assert [e.code for e in refused.context["form"].errors.as_data()["cap"]] == [
        "budget_cap_below_committed"
    ]
    assert not Budget.objects.exists()
    assert not Registration.objects.filter(budget__isnull=False).exists()
    if language == "ar":
        assert "الميزانية" in refused.content.decode()

    assert client.post("/my-budgets/new/", {"cap": "50", "lots": lots}).status_code == 302
    budget = Budget.objects.get()
    lowered = client.post(f"/my-budgets/{budget.pk}/", {"cap": "40", "lots": lots})
    assert lowered.status_code == 400
    assert "budget_cap_below_committed" in [
        e.code for e in lowered.context["form"].errors.as_data()["cap"]
    ]
    budget.refresh_from_db()
    assert budget.cap_minor == 5_000
    # Dropping a lead lot makes room: the cap then covers only the lot kept.
    assert (
        client.post(f"/my-budgets/{budget.pk}/", {"cap": "30", "lots": [first.pk]}).status_code
        == 302
    )
