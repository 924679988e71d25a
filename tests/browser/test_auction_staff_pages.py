"""Staff take an approved asset to a live lot; a supervisor edits the sale rules; both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from auction.models import Auction, Lot, SaleRules
from tests.auction import factories
from tests.browser.test_live_bidding import open_page
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "new": "New auction",
        "create": "Create the draft",
        "add": "Add the lot",
        "publish": "Publish",
        "board": "Live board",
        "save": "Save the rules",
        "notice": "notice period",
    },
    "ar": {
        "new": "مزاد جديد",
        "create": "إنشاء المسودة",
        "add": "إضافة البند",
        "publish": "نشر",
        "board": "اللوحة المباشرة",
        "save": "حفظ القواعد",
        "notice": "مدة الإعلان",
    },
}


@pytest.mark.parametrize("language", ["ar", "en"])
def test_staff_create_an_auction_add_a_lot_publish_it_and_watch_the_board(
    browser, web_servers, court, screenshot_dir, language
):
    SaleRules.objects.create(court=court, notice_days=3)
    asset = factories.approved_asset(court)
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    server = web_servers["uvicorn"]
    context, page = open_page(browser, server, language, email=staff.email)
    text = TEXT[language]
    zone_now = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(180))
    try:
        page.goto(server.base_url + "/staff/auctions/")
        page.screenshot(path=screenshot_dir / f"auction-list-{language}.png", full_page=True)
        page.get_by_role("link", name=text["new"]).click()
        page.fill("input[name=title_ar]", "مزاد مركبات محكمة التنفيذ")
        page.fill("input[name=title_en]", "Execution court vehicle auction")
        page.fill(
            "input[name=starts_at]", (zone_now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        )
        page.fill("input[name=ends_at]", (zone_now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name=text["create"]).click()
        page.wait_for_url("**/staff/auctions/*/")
        page.select_option("select[name=asset]", str(asset.pk))
        page.get_by_role("button", name=text["add"]).click()
        page.get_by_role("cell", name=asset.title).wait_for()
        page.get_by_role("button", name=text["publish"]).click()
        page.locator(".alert-danger, .alert-error", has_text=text["notice"]).wait_for()
        page.screenshot(path=screenshot_dir / f"auction-detail-{language}.png", full_page=True)

        auction = Auction.objects.get(title_en="Execution court vehicle auction")
        starts = timezone.now() + timedelta(days=4)
        Auction.objects.filter(pk=auction.pk).update(
            starts_at=starts, ends_at=starts + timedelta(days=1)
        )
        Lot.objects.filter(auction=auction).update(
            starts_at=starts,
            ends_at=starts + timedelta(days=1),
            original_ends_at=starts + timedelta(days=1),
        )
        page.reload()
        page.get_by_role("button", name=text["publish"]).click()
        page.get_by_role("link", name=text["board"]).first.click()
        page.locator("#board-rows tr", has_text=asset.title).wait_for()
        page.screenshot(path=screenshot_dir / f"auction-live-board-{language}.png", full_page=True)
    finally:
        context.close()

    auction.refresh_from_db()
    asset.refresh_from_db()
    assert auction.status == Auction.Status.PUBLISHED
    assert asset.status == "LISTED"


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_supervisor_edits_the_sale_rules(browser, web_servers, court, screenshot_dir, language):
    supervisor = make_user("SUPERVISOR", court=court, preferred_language=language)
    server = web_servers["daphne"]
    context, page = open_page(browser, server, language, email=supervisor.email)
    try:
        page.goto(server.base_url + "/staff/sale-rules/")
        page.fill("input[name=notice_days]", "14")
        page.fill("textarea[name=increments]", "0 500\n100000 1000")
        page.get_by_role("button", name=TEXT[language]["save"]).click()
        page.locator(".alert-success").wait_for()
        page.screenshot(path=screenshot_dir / f"sale-rules-{language}.png", full_page=True)
    finally:
        context.close()

    rules = SaleRules.objects.get(court=court)
    assert rules.notice_days == 14
    assert rules.increments == [
        {"from_minor": 0, "increment_minor": 50_000},
        {"from_minor": 10_000_000, "increment_minor": 100_000},
    ]
