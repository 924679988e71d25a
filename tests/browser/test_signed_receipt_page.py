"""The signed bid receipt from a bidder's phone: listed on My auctions, downloaded as JSON,
checked on the public page (valid), then with one byte changed (invalid), in Arabic and
English. Screenshots land in tests/artifacts/screenshots/."""

from __future__ import annotations

import json

import pytest

from auction.bidding import decide as bidding
from tests.auction import factories
from tests.browser.test_phone_layouts import fits, on_screen, phone_page, shoot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ar": {"login": "تسجيل الدخول", "valid": "صالح.", "invalid": "غير صالح."},
    "en": {"login": "Log in", "valid": "Valid.", "invalid": "Invalid."},
}


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_receipt_checked_on_the_phone_is_valid_and_a_changed_byte_is_not(
    browser, web_servers, screenshot_dir, court, language
):
    server = web_servers["uvicorn"]
    lot = factories.lot(court, opening_minor=250_000)
    mine = factories.registered_bidder(lot)
    assert bidding.place_bid(lot_id=lot.pk, user_id=mine.bidder_id, amount_minor=250_000).accepted
    type(mine.bidder).objects.filter(pk=mine.bidder_id).update(preferred_language=language)
    context, page = phone_page(browser, server, language)
    text = TEXT[language]

    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", mine.bidder.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=text["login"], exact=True).last.click()
    page.wait_for_url("**/my-auctions/")
    page.locator("#receipts").scroll_into_view_if_needed()
    fits(page)
    on_screen(page, "#receipts a[href$='receipt.json']")
    shoot(page, screenshot_dir, "my-auctions-receipts", language)
    href = page.locator("#receipts a[href$='receipt.json']").first.get_attribute("href")
    download = page.request.get(server.base_url + href)
    assert download.ok
    raw = download.text()
    document = json.loads(raw)
    assert document["receipt"]["amount_minor"] == 250_000

    page.goto(server.base_url + "/receipts/verify/")
    page.fill("#document", raw)
    page.locator("#receipt-check button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-verdict=valid]").inner_text().strip().startswith(text["valid"])
    fits(page)
    shoot(page, screenshot_dir, "receipt-verify-valid", language)

    page.fill("#document", raw.replace('"amount_minor":250000', '"amount_minor":950000'))
    page.locator("#receipt-check button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    verdict = page.locator("[data-verdict=invalid]")
    assert verdict.get_attribute("data-code") == "receipt_bad_signature"
    assert verdict.inner_text().strip().startswith(text["invalid"])
    fits(page)
    shoot(page, screenshot_dir, "receipt-verify-invalid", language)
    context.close()
