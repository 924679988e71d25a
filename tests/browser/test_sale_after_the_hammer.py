"""A whole auction cancelled while a watcher looks on; an objection filed and decided; both
languages, phone and desktop."""

from __future__ import annotations

import pytest

from aftersale.models import Objection, Sale
from auction.models import Auction, Lot
from tests.aftersale import helpers
from tests.auction import factories
from tests.browser.test_live_bidding import live, open_page
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
TEXT = {
    "en": {
        "propose": "Propose the cancellation",
        "approve": "Approve the cancellation",
        "file": "File the objection",
        "reject": "Reject the objection",
        "record": "Record the decision",
    },
    "ar": {
        "propose": "اقتراح الإلغاء",
        "approve": "الموافقة على الإلغاء",
        "file": "تقديم الاعتراض",
        "reject": "رفض الاعتراض",
        "record": "تسجيل القرار",
    },
}


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_staff_propose_a_judge_cancels_the_auction_and_the_watcher_sees_it_at_once(
    browser, web_servers, court, screenshot_dir, language, size
):
    the_auction = factories.auction(court)
    lot = factories.lot(court, the_auction=the_auction)
    factories.registered_bidder(lot)
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    judge = make_user("SUPERVISOR", court=court, preferred_language=language)
    server = web_servers["uvicorn"]
    width, height = SIZES[size]
    text = TEXT[language]
    watcher_context, watcher = open_page(browser, server, language, width=width, height=height)
    staff_context, page = open_page(
        browser, server, language, email=staff.email, width=width, height=height
    )
    try:
        live(watcher, server, lot, language)
        page.goto(f"{server.base_url}/staff/auctions/{the_auction.pk}/")
        page.fill("textarea[name=reason]", "Court order 44/2026 stays the sale")
        page.get_by_role("button", name=text["propose"]).click()
        page.locator(".alert-success").wait_for()
        page.screenshot(
            path=screenshot_dir / f"cancel-proposed-{language}-{size}.png", full_page=True
        )
        staff_context.close()
        judge_context, page = open_page(
            browser, server, language, email=judge.email, width=width, height=height
        )
        page.goto(f"{server.base_url}/staff/auctions/{the_auction.pk}/")
        page.get_by_role("button", name=text["approve"]).click()
        page.locator("#auction-cancelled").wait_for()
        _no_sideways_scroll(page)
        page.screenshot(
            path=screenshot_dir / f"cancel-approved-{language}-{size}.png", full_page=True
        )
        judge_context.close()
        watcher.locator("[data-live=status][data-status=WITHDRAWN]").wait_for(timeout=10_000)
        watcher.screenshot(path=screenshot_dir / f"cancel-watcher-{language}-{size}.png")
    finally:
        watcher_context.close()

    the_auction.refresh_from_db()
    lot.refresh_from_db()
    assert the_auction.status == Auction.Status.CANCELLED
    assert lot.outcome == Lot.Outcome.AUCTION_CANCELLED
    assert lot.registrations.get().deposit_status == "REFUNDED"


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_another_bidder_objects_and_the_judge_rejects_the_objection(
    browser, web_servers, court, screenshot_dir, language, size
):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, reserved=1, rules={"objection_days": 3})
    bidder = sale.lot.registrations.exclude(pk=sale.registration_id).get().bidder
    bidder.preferred_language = language
    bidder.save(update_fields=["preferred_language"])
    judge = make_user("SUPERVISOR", court=court, preferred_language=language)
    server = web_servers["uvicorn"]
    width, height = SIZES[size]
    text = TEXT[language]
    context, page = open_page(
        browser, server, language, email=bidder.email, width=width, height=height
    )
    try:
        page.goto(f"{server.base_url}/results/{sale.public_id}/objection/")
        page.fill("textarea[name=grounds]", "short")
        page.get_by_role("button", name=text["file"]).click()
        page.locator(".invalid-feedback, .alert-danger").first.wait_for()
        page.screenshot(
            path=screenshot_dir / f"objection-refused-{language}-{size}.png", full_page=True
        )
        page.fill("textarea[name=grounds]", "The page froze for a minute before the close.")
        page.get_by_role("button", name=text["file"]).click()
        page.locator("[data-testid=my-objection]").wait_for()
        _no_sideways_scroll(page)
        page.screenshot(
            path=screenshot_dir / f"objection-filed-{language}-{size}.png", full_page=True
        )
    finally:
        context.close()
    context, page = open_page(
        browser, server, language, email=judge.email, width=width, height=height
    )
    try:
        page.goto(f"{server.base_url}/staff/sales/{sale.pk}/")
        page.screenshot(path=screenshot_dir / f"sale-review-{language}-{size}.png", full_page=True)
        page.get_by_label(text["reject"]).check()
        page.locator("[data-testid=objection] textarea[name=reason]").fill(
            "The server log shows the page connected throughout."
        )
        page.get_by_role("button", name=text["record"]).click()
        page.locator(".alert-success").wait_for()
        _no_sideways_scroll(page)
        page.screenshot(
            path=screenshot_dir / f"sale-review-decided-{language}-{size}.png", full_page=True
        )
    finally:
        context.close()

    objection = Objection.objects.get()
    assert objection.status == Objection.Status.REJECTED
    assert Sale.objects.get(pk=sale.pk).status == Sale.Status.AWAITING_PAYMENT
