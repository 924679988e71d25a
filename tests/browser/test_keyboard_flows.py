"""By the keyboard alone: staff publish an auction, a bidder registers and pays a deposit.

After every step the test asks where the focus is: on the control just used, or on the
message that says what happened, never lost to the page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from auction.models import Auction, Registration, SaleRules
from tests.auction import factories
from tests.browser.test_live_bidding import open_page
from tests.browser.test_lot_announcements import focused, tab_to
from tests.browser.test_register_and_pay_deposit import emulating_worker  # noqa: F401
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


PAID = {"en": "Payment received.", "ar": "تم استلام الدفعة."}
REGISTERED = {"en": "You are registered with paddle", "ar": "سُجّلت برقم المزايد"}


def is_focused(page: Any, selector: str) -> bool:
    return bool(page.evaluate("s => document.activeElement.matches(s)", selector))


@pytest.mark.usefixtures("emulating_worker")
@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_bidder_registers_and_pays_the_deposit_by_keyboard_with_the_focus_on_each_outcome(
    browser, web_servers, court, screenshot_dir, language
):
    server = web_servers["daphne"]
    lot = factories.lot(court, deposit_minor=50_000)
    bidder = make_user("BIDDER", verified=True, preferred_language=language)
    context, page = open_page(browser, server, language, email=bidder.email)
    try:
        page.goto(f"{server.base_url}/lots/{lot.pk}/")

        # Register: the focus reaches the button by Tab, then starts on what happened.
        register = f"form[action$='/lots/{lot.pk}/register/'] button[type=submit]"
        tab_to(page, register)
        assert is_focused(page, register)
        page.keyboard.press("Enter")
        page.wait_for_url("**/payments/**")
        page.locator("[data-messages]").wait_for()
        assert is_focused(page, "[data-messages]")
        assert REGISTERED[language] in page.evaluate("document.activeElement.textContent")

        # Choose the test card and pay, by Tab and Enter only.
        pay = "#payment-status form button[type=submit]"
        page.locator(pay).wait_for(timeout=15_000)
        tab_to(page, "input[name=payment_method]")
        assert is_focused(page, "input[name=payment_method][value=pm_card_visa]:checked")
        tab_to(page, pay)
        assert is_focused(page, pay)
        page.keyboard.press("Enter")

        # The outcome has the focus while the payment is confirmed, and once it is received.
        page.get_by_test_id("receipt-number").wait_for(timeout=30_000)
        assert is_focused(page, "#payment-outcome[role=status]")
        assert PAID[language] in page.evaluate("document.activeElement.textContent")
        page.screenshot(path=screenshot_dir / f"keyboard-deposit-paid-{language}.png")

        # The next Tab goes on to the receipt.
        page.keyboard.press("Tab")
        assert is_focused(page, "#payment-status a[href$='.pdf']")
    finally:
        context.close()

    registration = Registration.objects.get(lot=lot, bidder=bidder)
    assert registration.deposit_status == Registration.Deposit.HELD
