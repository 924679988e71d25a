"""Instalment settlements in Chromium, in Arabic and English, at desktop and phone size: the
debtor proposes, the judge approves, the debtor sees what is due next and pays it; staff record
a plan (a bad first payment refused naming the field); the file page shows the settlement."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from enforcement.models import Settlement
from tests.aftersale import helpers
from tests.browser.test_live_bidding import open_page
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "send": "Send to the judge",
        "approve": "Approve the settlement",
        "record": "Record the settlement",
        "pay": "Pay the next instalment",
    },
    "ar": {
        "send": "إرسال إلى القاضي",
        "approve": "اعتماد التسوية",
        "record": "تسجيل التسوية",
        "pay": "سداد القسط التالي",
    },
}
PHONE = {"width": 390, "height": 844}


def _shot(page, screenshot_dir, name: str) -> None:
    page.screenshot(path=screenshot_dir / f"{name}.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshot_dir / f"{name}-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_debtor_proposes_the_judge_approves_and_the_debtor_pays_the_next_instalment(
    browser, web_servers, court, screenshot_dir, language
):
    file = helpers.file_with(court, claim=1_200_000)
    party = file.file_parties.get(role="DEBTOR").party
    debtor = make_user(
        "BIDDER",
        verified=True,
        id_kind="NATIONAL_ID",
        id_number=party.id_number,
        preferred_language=language,
    )
    judge = make_user("SUPERVISOR", court=court, preferred_language=language)
    server = web_servers["uvicorn"]
    today = datetime.now(ZoneInfo("Asia/Riyadh")).date().isoformat()

    context, page = open_page(browser, server, language, email=debtor.email)
    try:
        page.goto(f"{server.base_url}/my-files/{file.pk}/settlement/")
        page.fill("input[name=first_amount]", "2000")
        page.fill("input[name=first_due_on]", today)
        page.fill("input[name=count]", "5")
        page.screenshot(path=screenshot_dir / f"settlement-propose-{language}.png", full_page=True)
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(
            path=screenshot_dir / f"settlement-propose-{language}-phone.png", full_page=True
        )
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name=TEXT[language]["send"]).click()
        page.wait_for_load_state()
        page.locator("[data-testid=schedule]").wait_for()
    finally:
        context.close()
    settlement = Settlement.objects.get(file=file)
    assert settlement.instalments.count() == 6

    context, page = open_page(browser, server, language, email=judge.email)
    try:
        page.goto(f"{server.base_url}/workspace/settlements/{settlement.pk}/")
        page.fill("textarea[name=reason]", "خطة معقولة تغطي الدين")
        _shot(page, screenshot_dir, f"settlement-decide-{language}")
        page.fill("textarea[name=reason]", "خطة معقولة تغطي الدين")
        page.get_by_role("button", name=TEXT[language]["approve"]).click()
        page.wait_for_load_state()
        page.goto(f"{server.base_url}/workspace/files/{file.pk}/")
        page.locator("#settlement [data-testid=schedule]").wait_for()
        _shot(page, screenshot_dir, f"settlement-file-page-{language}")
    finally:
        context.close()
    settlement.refresh_from_db()
    assert settlement.status == Settlement.Status.APPROVED

    context, page = open_page(browser, server, language, email=debtor.email)
    try:
        page.goto(f"{server.base_url}/my-files/{file.pk}/settlement/")
        assert "2" in page.locator("[data-testid=next-due]").inner_text()
        _shot(page, screenshot_dir, f"settlement-status-{language}")
        page.locator("label", has=page.locator("input[value=BANK_TRANSFER]")).click()
        page.get_by_role("button", name=TEXT[language]["pay"]).click()
        page.wait_for_url("**/payments/**")
        page.screenshot(path=screenshot_dir / f"settlement-pay-{language}.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_staff_record_a_plan_and_a_bad_first_payment_is_refused_naming_the_field(
    browser, web_servers, court, screenshot_dir, language
):
    file = helpers.file_with(court, claim=500_000)
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    server = web_servers["uvicorn"]
    today = datetime.now(ZoneInfo("Asia/Riyadh")).date().isoformat()

    context, page = open_page(browser, server, language, email=staff.email)
    try:
        page.goto(f"{server.base_url}/workspace/files/{file.pk}/settlement/new/")
        page.fill("input[name=first_amount]", "0")
        page.fill("input[name=first_due_on]", today)
        page.get_by_role("button", name=TEXT[language]["record"]).click()
        page.wait_for_load_state()
        invalid = page.locator("input[name=first_amount].is-invalid")
        assert invalid.count() == 1
        _shot(page, screenshot_dir, f"settlement-record-refused-{language}")
        page.fill("input[name=first_amount]", "1000")
        page.fill("input[name=first_due_on]", today)
        page.get_by_role("button", name=TEXT[language]["record"]).click()
        page.wait_for_load_state()
        page.locator("[data-testid=schedule]").wait_for()
    finally:
        context.close()
    assert Settlement.objects.get(file=file).origin == Settlement.Origin.STAFF
