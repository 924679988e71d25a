"""From the workspace, an unsold lot goes to a second round at the reduced price and sells:
staff propose it in the browser, the judge approves it in the browser, the relisted lot opens
by the clock at the reduced price, a bidder bids on its live page and it closes sold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from auction import clock
from auction.models import Lot, RoundProposal
from auction.services import lifecycle
from core.money import Money
from tests.auction import factories
from tests.browser.test_live_bidding import close_now, live, open_page
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "propose": "Propose the next round",
        "approve": "Approve and relist",
        "bid": "Bid the next minimum",
        "won": "You won this lot",
        "round": "Round 2 of this asset",
    },
}


@pytest.mark.parametrize("language", ["en"])
def test_from_the_workspace_an_unsold_lot_goes_to_a_second_round_at_the_reduced_price_and_sells(
    browser, web_servers, court, screenshot_dir, language
):
    text = TEXT[language]
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    judge = make_user("SUPERVISOR", court=court, preferred_language=language)
    first = factories.lot(court, opening_minor=8_000_000, deposit_minor=0)
    lifecycle.close_lot(lot_id=first.pk, now=first.ends_at + timedelta(seconds=1))
    first.refresh_from_db()
    assert first.status == Lot.Status.UNSOLD
    reduced = lifecycle.next_round_opening(first)
    assert reduced == 6_400_000  # SAR 80,000.00 less the court's 20 % reduction per round
    starts = timezone.now() + timedelta(days=30)
    later = lifecycle.create_auction(
        actor=staff,
        title_ar="مزاد الجولة الثانية",
        title_en="Second round auction",
        starts_at=starts,
        ends_at=starts + timedelta(days=1),
    )
    server = web_servers["uvicorn"]

    context, page = open_page(browser, server, language, email=staff.email)
    try:
        page.goto(server.base_url + "/staff/next-rounds/")
        row = page.locator(f"form[action$='/lots/{first.pk}/propose/']")
        page.locator("[data-testid=rule-opening]").first.wait_for()
        rule_opening = page.locator("[data-testid=rule-opening]").first.inner_text()
        row.locator("select").first.select_option(str(later.pk))
        page.screenshot(path=screenshot_dir / f"next-round-propose-{language}.png", full_page=True)
        row.get_by_role("button", name=text["propose"]).click()
        page.wait_for_load_state()
    finally:
        context.close()
    proposal = RoundProposal.objects.get(lot=first)
    assert proposal.opening_minor == reduced
    assert not Lot.objects.filter(previous_lot=first).exists()

    context, page = open_page(browser, server, language, email=judge.email)
    try:
        page.goto(server.base_url + "/staff/next-rounds/")
        decide = page.locator(f"form[action$='/next-rounds/{proposal.pk}/decide/']")
        page.screenshot(path=screenshot_dir / f"next-round-judge-{language}.png", full_page=True)
        decide.get_by_role("button", name=text["approve"]).click()
        page.wait_for_load_state()
    finally:
        context.close()
    relisted = Lot.objects.get(previous_lot=first)
    assert (relisted.round, relisted.opening_minor, relisted.auction_id) == (2, reduced, later.pk)

    # Published, then its start comes and the clock opens it.
    lifecycle.publish_auction(actor=staff, auction_id=later.pk, now=timezone.now())
    past = timezone.now() - timedelta(minutes=1)
    ends = timezone.now() + timedelta(hours=1)
    type(later).objects.filter(pk=later.pk).update(starts_at=past, ends_at=ends)
    Lot.objects.filter(pk=relisted.pk).update(starts_at=past, ends_at=ends, original_ends_at=ends)
    clock.open_due(timezone.now())
    relisted.refresh_from_db()
    assert relisted.status == Lot.Status.OPEN
    buyer = factories.registered_bidder(relisted, preferred_language=language)
    opening_text = Money(reduced, relisted.currency).format(language)

    context, page = open_page(browser, server, language, email=buyer.bidder.email)
    try:
        live(page, server, relisted, language)
        page.get_by_text(text["round"]).first.wait_for()
        bid_button = page.get_by_role("button", name=text["bid"])
        bid_button.wait_for()
        button_text = bid_button.inner_text()
        page.screenshot(path=screenshot_dir / f"next-round-open-{language}.png", full_page=True)
        bid_button.click()
        page.locator("[data-live=you][data-standing=leading]").wait_for()
        close_now(relisted)
        page.locator("[data-live=status][data-status=SOLD]").wait_for(timeout=30_000)
        page.locator("[data-live=message]", has_text=text["won"]).wait_for()
        page.screenshot(path=screenshot_dir / f"next-round-sold-{language}.png", full_page=True)
    finally:
        context.close()

    assert opening_text in rule_opening
    assert opening_text in button_text  # the first bid is the reduced opening
    relisted.refresh_from_db()
    assert relisted.status == Lot.Status.SOLD
    assert relisted.price_minor == reduced
    assert relisted.leader_id == buyer.pk
