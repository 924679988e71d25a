"""The next rounds workspace and the budget page in Chromium, both languages, desktop and
phone: staff propose, the judge approves, a bidder sets a budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from auction.models import Budget, Lot, RoundProposal
from auction.services import lifecycle
from tests.auction import factories
from tests.browser.test_live_bidding import open_page
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {"propose": "Propose the next round", "approve": "Approve and relist", "save": "Save"},
    "ar": {"propose": "اقتراح الجولة التالية", "approve": "اعتماد وإعادة العرض", "save": "حفظ"},
}


@pytest.mark.parametrize("language", ["ar", "en"])
def test_staff_propose_and_the_judge_approves_a_next_round_in_the_browser(
    browser, web_servers, court, screenshot_dir, language
):
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    judge = make_user("SUPERVISOR", court=court, preferred_language=language)
    lot = factories.lot(court, opening_minor=8_000_000, rules={"round_opening_bp": [6_000]})
    lifecycle.close_lot(lot_id=lot.pk, now=lot.ends_at + timedelta(seconds=1))
    starts = timezone.now() + timedelta(days=40)
    later = lifecycle.create_auction(
        actor=staff,
        title_ar="مزاد لاحق",
        title_en="Later sale",
        starts_at=starts,
        ends_at=starts + timedelta(days=1),
    )
    server = web_servers["uvicorn"]

    context, page = open_page(browser, server, language, email=staff.email)
    try:
        page.goto(f"{server.base_url}/staff/next-rounds/")
        row = page.locator(f"[data-unsold='{lot.pk}']")
        assert "60" in row.locator("[data-testid=rule-opening]").inner_text()
        row.locator("select").select_option(str(later.pk))
        page.screenshot(path=screenshot_dir / f"next-rounds-staff-{language}.png", full_page=True)
        row.get_by_role("button", name=TEXT[language]["propose"]).click()
        page.wait_for_load_state()
        page.locator("[data-proposal]").first.wait_for()
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=screenshot_dir / f"next-rounds-phone-{language}.png", full_page=True)
    finally:
        context.close()

    context, page = open_page(browser, server, language, email=judge.email)
    try:
        page.goto(f"{server.base_url}/staff/next-rounds/")
        page.get_by_role("button", name=TEXT[language]["approve"]).click()
        page.wait_for_load_state()
        page.screenshot(
            path=screenshot_dir / f"next-rounds-approved-{language}.png", full_page=True
        )
    finally:
        context.close()

    relisted = Lot.objects.get(previous_lot=lot)
    assert (relisted.round, relisted.auction_id, relisted.opening_minor) == (2, later.pk, 6_000_000)
    assert RoundProposal.objects.get(lot=lot).status == RoundProposal.Status.APPROVED


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_bidder_sets_a_budget_and_the_lot_panel_shows_what_is_left(
    browser, web_servers, court, screenshot_dir, language
):
    first, second = factories.lot(court), factories.lot(court)
    mine = factories.registered_bidder(first, preferred_language=language)
    from auction.models import Registration

    Registration.objects.create(lot=second, bidder=mine.bidder, paddle=701, deposit_status="HELD")
    server = web_servers["uvicorn"]
    context, page = open_page(browser, server, language, email=mine.bidder.email)
    try:
        page.goto(f"{server.base_url}/my-budgets/new/")
        page.fill("input[name=cap]", "abc")
        page.get_by_role("button", name=TEXT[language]["save"]).click()
        page.locator(".errorlist").first.wait_for()
        page.screenshot(path=screenshot_dir / f"budget-error-{language}.png", full_page=True)
        page.fill("input[name=cap]", "25")
        for box in page.locator("input[name=lots]").all():
            box.check()
        page.get_by_role("button", name=TEXT[language]["save"]).click()
        page.locator("[data-testid=remaining]").wait_for()
        page.screenshot(path=screenshot_dir / f"budget-{language}.png", full_page=True)
        page.goto(f"{server.base_url}/lots/{first.pk}/")
        page.locator("[data-budget]").wait_for()
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        page.locator("[data-budget]").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=screenshot_dir / f"lot-budget-phone-{language}.png", full_page=True)
    finally:
        context.close()

    assert Budget.objects.get().cap_minor == 2_500
