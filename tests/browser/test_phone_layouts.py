"""Every page a bidder reaches, on a phone (390×844), in Arabic and English: nothing wider than
the screen, the controls that matter in sight. Screenshots land in tests/artifacts/screenshots/.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from auction.models import Auction, Lot
from tests.aftersale import helpers
from tests.auction import factories
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TEXT = {
    "ar": {"login": "تسجيل الدخول", "zone": "توقيت المملكة العربية السعودية", "hijri": "هـ"},
    "en": {"login": "Log in", "zone": "Saudi Arabia Time", "hijri": "AH"},
}


def phone_page(browser, server, language):
    context = browser.new_context(
        viewport=PHONE, locale=language, is_mobile=True, has_touch=True, reduced_motion="reduce"
    )
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    return context, context.new_page()


def fits(page) -> None:
    """Nothing makes the page scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"{page.url} is {width}px wide on a {inner}px screen"


def on_screen(page, selector: str) -> None:
    """The element is shown and lies within the screen's width."""
    element = page.locator(selector).first
    assert element.is_visible(), f"{selector} is hidden on {page.url}"
    box = element.bounding_box()
    assert box is not None
    assert box["x"] >= -1, f"{selector}: {box}"
    assert box["x"] + box["width"] <= PHONE["width"] + 1, f"{selector}: {box}"


def shoot(page, screenshot_dir, name: str, language: str) -> None:
    page.screenshot(path=screenshot_dir / f"phone-{name}-{language}.png", full_page=True)


def visit(page, server, path: str) -> None:
    page.goto(server.base_url + path)
    page.wait_for_load_state("networkidle")
    fits(page)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_visitors_pages_fit_a_phone(browser, web_servers, screenshot_dir, court, language):
    server = web_servers["uvicorn"]
    lot = factories.lot(court, opening_minor=4_500_000, deposit_minor=450_000)
    context, page = phone_page(browser, server, language)

    visit(page, server, "/auctions/")
    on_screen(page, "#q")
    on_screen(page, ".filters-toggle")
    assert not page.locator("#kind").is_visible()  # the filters are folded on a phone
    shoot(page, screenshot_dir, "catalog", language)
    page.locator(".filters-toggle").click()
    page.locator("#kind").wait_for(state="visible")
    fits(page)
    shoot(page, screenshot_dir, "catalog-filters-open", language)

    visit(page, server, f"/lots/{lot.pk}/")
    on_screen(page, "#lot-live a[href^='/accounts/login/']")
    on_screen(page, "[data-live=price]")
    shoot(page, screenshot_dir, "lot", language)

    visit(page, server, "/accounts/sign-up/")
    on_screen(page, "main form button[type=submit]")
    shoot(page, screenshot_dir, "sign-up", language)

    for path, name in [
        ("/help/", "help"),
        ("/help/how-it-works/", "help-how-it-works"),
        ("/help/rules/", "help-rules"),
        ("/help/deposits/", "help-deposits"),
        ("/help/fees/", "help-fees"),
        ("/help/faq/", "help-faq"),
        ("/help/contact/", "help-contact"),
    ]:
        visit(page, server, path)
        on_screen(page, "main h1")
        shoot(page, screenshot_dir, name, language)
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_bidders_pages_fit_a_phone(browser, web_servers, screenshot_dir, court, language):
    server = web_servers["uvicorn"]
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance)
    buyer = sale.buyer
    type(buyer).objects.filter(pk=buyer.pk).update(preferred_language=language)
    open_lot = factories.lot(court, opening_minor=2_000_000, deposit_minor=200_000)
    upcoming = factories.auction(
        court,
        status=Auction.Status.PUBLISHED,
        starts_at=timezone.now() + timedelta(days=3),
        ends_at=timezone.now() + timedelta(days=4),
    )
    scheduled = factories.lot(court, status=Lot.Status.SCHEDULED, the_auction=upcoming)
    context, page = phone_page(browser, server, language)

    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", buyer.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=TEXT[language]["login"], exact=True).last.click()
    page.wait_for_url(server.base_url + "/my-auctions/")  # the bidder's own page
    page.wait_for_load_state("networkidle")
    fits(page)
    on_screen(page, "main table tbody tr")
    shoot(page, screenshot_dir, "my-auctions", language)

    visit(page, server, "/payments/")
    on_screen(page, "[data-testid=receipt] a")  # the receipt column is not cut off
    listed = page.locator("[data-testid=payments]").inner_text()
    assert "deposit:registration" not in listed  # no internal reference shown raw
    assert "/L" not in listed
    shoot(page, screenshot_dir, "payments", language)

    visit(page, server, "/purchases/")
    on_screen(page, f"a[href='/purchases/{sale.public_id}/']")
    shoot(page, screenshot_dir, "purchases", language)

    visit(page, server, f"/purchases/{sale.public_id}/")
    on_screen(page, "[data-testid=breakdown]")
    on_screen(page, "main form button[type=submit]")
    body = page.locator("main").inner_text()
    assert "basis points" not in body
    assert "2.5\xa0%" in body or "2.5 %" in body
    assert TEXT[language]["zone"] in body
    page.locator(".deadline .hijri").wait_for()  # the Umm al-Qura date beside the deadline
    assert TEXT[language]["hijri"] in page.locator(".deadline .hijri").inner_text()
    shoot(page, screenshot_dir, "purchase", language)

    visit(page, server, f"/lots/{open_lot.pk}/")
    on_screen(page, f"form[action='/lots/{open_lot.pk}/register/'] button[type=submit]")
    shoot(page, screenshot_dir, "lot-signed-in", language)

    visit(page, server, f"/lots/{scheduled.pk}/")
    page.wait_for_function(
        "document.querySelector('[data-live=countdown]').textContent.trim().length > 1"
    )
    countdown = page.locator("[data-live=countdown]").inner_text()
    assert TEXT[language]["zone"] in countdown  # the opening date, not "opens soon"
    shoot(page, screenshot_dir, "lot-scheduled", language)

    visit(page, server, "/my-auctions/")
    visit(page, server, "/help/")
    on_screen(page, ".help-topics a")
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_pending_review_screen_fits_a_phone_and_says_what_next(
    browser, web_servers, screenshot_dir, language
):
    server = web_servers["daphne"]
    bidder = make_user(identity_status="PENDING", preferred_language=language)
    context, page = phone_page(browser, server, language)

    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", bidder.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=TEXT[language]["login"], exact=True).last.click()
    page.wait_for_url(server.base_url + "/my-auctions/")
    visit(page, server, "/accounts/identity/")

    on_screen(page, "[data-testid=pending-review]")
    on_screen(page, ".next-steps a[href='/auctions/']")
    shoot(page, screenshot_dir, "pending-review", language)
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_on_a_desktop_the_catalog_filters_and_the_help_topics_stay_in_view(
    browser, web_servers, screenshot_dir, court, language
):
    server = web_servers["daphne"]
    factories.lot(court)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=language)
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    page = context.new_page()

    page.goto(server.base_url + "/auctions/")

    assert page.locator("#kind").is_visible()
    assert page.locator("#price_min").is_visible()
    assert not page.locator(".filters-toggle").is_visible()
    page.screenshot(path=screenshot_dir / f"desktop-catalog-{language}.png", full_page=True)
    page.goto(server.base_url + "/help/rules/")
    assert page.locator(".help-nav").is_visible()
    page.screenshot(path=screenshot_dir / f"desktop-help-rules-{language}.png", full_page=True)
    context.close()
