"""The home page and logging in, in Arabic and English, in headless Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_user
from tests.harness.second_factor import prove_if_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ar": {
        "dir": "rtl",
        "title": "المزادات الإلكترونية العامة للأموال المحجوزة",
        "login": "تسجيل الدخول",
        "welcome": "مساحة العمل",
    },
    "en": {
        "dir": "ltr",
        "title": "Public electronic auctions of seized assets",
        "login": "Log in",
        "welcome": "Workspace",
    },
}


def new_page(browser, server, language, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    return context, context.new_page()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_home_page_in_each_language(browser, web_servers, screenshot_dir, language):
    server = web_servers["daphne"]
    context, page = new_page(browser, server, language)

    page.goto(server.base_url + "/")

    assert page.locator("html").get_attribute("dir") == TEXT[language]["dir"]
    assert page.locator("h1").inner_text().strip() == TEXT[language]["title"]
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "IBM Plex Sans" in font
    page.screenshot(path=screenshot_dir / f"home-{language}.png", full_page=True)
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_home_page_on_a_phone(browser, web_servers, screenshot_dir, language):
    server = web_servers["daphne"]
    context, page = new_page(browser, server, language, width=375)

    page.goto(server.base_url + "/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshot_dir / f"home-phone-{language}.png", full_page=True)
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_staff_log_in_and_reach_the_workspace(
    browser, web_servers, screenshot_dir, court, language
):
    server = web_servers["uvicorn"]
    user = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    context, page = new_page(browser, server, language)

    page.goto(server.base_url + "/accounts/login/")
    page.screenshot(path=screenshot_dir / f"login-{language}.png", full_page=True)
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=TEXT[language]["login"], exact=True).last.click()
    prove_if_enrolled(page, user)
    page.wait_for_url(server.base_url + "/workspace/")

    assert TEXT[language]["welcome"] in page.locator("h1").inner_text()
    page.screenshot(path=screenshot_dir / f"workspace-{language}.png", full_page=True)
    context.close()


def test_a_wrong_password_shows_a_clear_error(browser, web_servers, screenshot_dir):
    server = web_servers["daphne"]
    make_user(email="someone@example.com")
    context, page = new_page(browser, server, "en")

    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", "someone@example.com")
    page.fill("input[name=password]", "not-the-password")
    page.get_by_role("button", name="Log in", exact=True).last.click()

    assert page.get_by_role("alert").is_visible()
    assert "correct e-mail address and password" in page.get_by_role("alert").inner_text().lower()
    page.screenshot(path=screenshot_dir / "login-error-en.png", full_page=True)
    context.close()
