"""The notice preferences page, in Arabic and English, on a phone and a desktop."""

from __future__ import annotations

import pytest

from notifications.models import Preference
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TEXT = {
    "ar": {"login": "تسجيل الدخول", "save": "حفظ", "legal": "يوجبها النظام", "saved": "حُفظت"},
    "en": {"login": "Log in", "save": "Save", "legal": "required by law", "saved": "were saved"},
}


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_bidder_turns_a_topic_off_and_reads_that_legal_notices_stay(
    browser, web_servers, screenshot_dir, court, language, size
):
    server = web_servers["uvicorn"]
    user = make_user("BIDDER", preferred_language=language)
    context = browser.new_context(viewport=SIZES[size], locale=language)
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    page = context.new_page()
    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=TEXT[language]["login"], exact=True).last.click()
    page.wait_for_load_state("networkidle")

    page.goto(server.base_url + "/accounts/notices/")
    assert TEXT[language]["legal"] in page.inner_text("main")
    assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], f"the page is {width}px wide"
    page.screenshot(path=screenshot_dir / f"notices-{size}-{language}.png", full_page=True)
    page.uncheck("input[name=searches][value=email]")
    page.get_by_role("button", name=TEXT[language]["save"], exact=True).last.click()
    page.wait_for_load_state("networkidle")

    assert TEXT[language]["saved"] in page.inner_text("body")
    assert Preference.objects.get(user=user, topic="SEARCHES", channel="email").is_enabled is False
    assert Preference.objects.get(user=user, topic="COURT", channel="email").is_enabled is True
    context.close()
