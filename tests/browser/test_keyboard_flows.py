"""Staff publish an auction with the keyboard alone; the focus lands on what happened."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from auction.models import Auction, SaleRules
from tests.auction import factories
from tests.browser.test_live_bidding import open_page
from tests.browser.test_lot_announcements import focused, tab_to
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_staff_publish_an_auction_by_keyboard_and_the_focus_lands_on_the_outcome(
    browser, web_servers, court, language
):
    SaleRules.objects.create(court=court, notice_days=3)
    starts = timezone.now() + timedelta(days=5)
    auction = factories.auction(
        court, status=Auction.Status.DRAFT, starts_at=starts, ends_at=starts + timedelta(days=1)
    )
    asset = factories.approved_asset(court)
    approved = asset.status
    factories.lot(court, the_auction=auction, status="SCHEDULED", asset=asset)
    type(asset).objects.filter(pk=asset.pk).update(status=approved)  # listed when published
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    server = web_servers["daphne"]
    context, page = open_page(browser, server, language, email=staff.email)
    try:
        page.goto(f"{server.base_url}/staff/auctions/{auction.pk}/")

        tab_to(page, "form[action$='/publish/'] button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        page.locator("[data-messages] .alert").wait_for()

        outcome = page.locator("[data-messages]").inner_text()
        assert page.locator("[data-messages] .alert-success").count() == 1, outcome
        assert focused(page) == "DIV"
        assert page.evaluate("document.activeElement.matches('[data-messages]')")
        page.keyboard.press("Tab")
        assert focused(page) != "body"
    finally:
        context.close()

    auction.refresh_from_db()
    assert auction.status == Auction.Status.PUBLISHED
