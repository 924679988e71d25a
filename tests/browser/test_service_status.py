"""The staff status page, in Arabic and English, at phone and desktop size."""

from __future__ import annotations

import pytest

from core import heartbeats
from core.models import ProcessHeartbeat
from tests.conftest import PASSWORD, make_user
from tests.harness.second_factor import prove_if_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

LOGIN = {"ar": "تسجيل الدخول", "en": "Log in"}
TITLE = {"ar": "حالة الخدمة", "en": "Service status"}
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_supervisor_reads_the_service_status(
    browser, web_servers, screenshot_dir, court, language, size
):
    server = web_servers["daphne"]
    supervisor = make_user("SUPERVISOR", court=court, preferred_language=language)
    now = heartbeats.db_now()
    ProcessHeartbeat.objects.create(
        role="WORKER", host="worker-1", pid=7, started_at=now, beat_at=now
    )
    context = browser.new_context(viewport=SIZES[size], locale=language)
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    page = context.new_page()
    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", supervisor.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=LOGIN[language], exact=True).last.click()
    prove_if_enrolled(page, supervisor)
    page.wait_for_url(server.base_url + "/workspace/")

    page.get_by_role("link", name=TITLE[language]).first.click()
    page.wait_for_url(server.base_url + "/workspace/status/")
    page.screenshot(path=screenshot_dir / f"service-status-{language}-{size}.png", full_page=True)

    assert page.locator("h1").inner_text() == TITLE[language]
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    assert page.locator("code", has_text="worker-1").count() == 1
    assert page.locator('[data-check="clock"]').count() == 1  # no clock beats in this test
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
