"""The national digital-ID sign-in in Chromium, in Arabic and English: the button on the log-in
page, the provider's page (a real OpenID Connect provider on loopback), back to a verified
account; and a refused answer shown as the site's own page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import DigitalIdentity, User
from tests.conftest import ARTIFACTS, server_env
from tests.harness.identity_provider import IdentityProvider, identity_provider
from tests.harness.servers import Server, free_port, start_web
from tests.identity.conftest import PEOPLE

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ar": {"dir": "rtl", "button": "الدخول عبر نفاذ", "verified": "موثّقة بهويتك الرقمية الوطنية"},
    "en": {"dir": "ltr", "button": "Sign in with Nafath", "verified": "Verified by your national"},
}


@pytest.fixture(scope="module")
def site(
    django_db_setup: None, django_db_blocker: Any
) -> Iterator[tuple[Server, IdentityProvider]]:
    """A web process of its own, configured with one country's provider, and the provider."""
    port = free_port()
    callback = f"http://127.0.0.1:{port}/accounts/digital-id/sa/callback/"
    with identity_provider(PEOPLE, [callback], ARTIFACTS / "logs") as provider:
        config = provider.settings("SA")["SA"]
        env = {
            **server_env(),
            "SITE_URL": f"http://127.0.0.1:{port}",
            "DIGITAL_ID_COUNTRIES": "SA",
            "DIGITAL_ID_SA_ISSUER": config["issuer"],
            "DIGITAL_ID_SA_CLIENT_ID": config["client_id"],
            "DIGITAL_ID_SA_CLIENT_SECRET": config["client_secret"],
            "DIGITAL_ID_SA_NAME_EN": "Nafath",
            "DIGITAL_ID_SA_NAME_AR": "نفاذ",
            "DIGITAL_ID_SA_SCOPES": "openid profile national_id",
        }
        server = start_web("daphne", env, ARTIFACTS / "logs", port=port, timeout=90)
        try:
            yield server, provider
        finally:
            server.stop()


def new_page(browser: Any, server: Server, language: str, width: int = 1280) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    return context, context.new_page()


@pytest.mark.parametrize(("language", "sub"), [("ar", "person-amal"), ("en", "person-badr")])
def test_a_person_signs_in_with_the_digital_id_button_and_is_verified(
    browser, site, screenshot_dir, language, sub
):
    server, _provider = site
    context, page = new_page(browser, server, language)

    page.goto(server.base_url + "/accounts/login/")
    assert page.locator("html").get_attribute("dir") == TEXT[language]["dir"]
    page.screenshot(path=screenshot_dir / f"digital-id-login-{language}.png", full_page=True)
    page.get_by_role("button", name=TEXT[language]["button"]).click()
    page.wait_for_url("**/interaction/**")
    page.locator(f"input[value='{sub}']").check()
    page.get_by_role("button", name="Approve · موافقة").click()
    page.wait_for_url("**/accounts/digital-id/new/")
    claims = page.get_by_test_id("verified-claims").inner_text()
    page.screenshot(path=screenshot_dir / f"digital-id-new-account-{language}.png", full_page=True)
    page.locator("input[name=email]").fill(f"{sub}@example.com")
    page.locator("input[name=phone]").fill("+966501234567")
    page.locator("input[name=accept_terms]").check()
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/my-auctions/")
    page.goto(server.base_url + "/accounts/identity/")
    shown = page.get_by_test_id("digital-identity").inner_text()
    page.screenshot(path=screenshot_dir / f"digital-id-verified-{language}.png", full_page=True)
    context.close()

    assert PEOPLE[sub]["national_id"] in claims
    assert PEOPLE[sub]["name"] in claims
    assert TEXT[language]["verified"] in shown
    user = User.objects.get(email=f"{sub}@example.com")
    assert user.is_verified
    assert user.id_number == PEOPLE[sub]["national_id"]
    assert DigitalIdentity.objects.filter(user=user, subject=sub).exists()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_forged_answer_is_shown_as_a_refusal_on_a_phone(browser, site, screenshot_dir, language):
    server, provider = site
    context, page = new_page(browser, server, language, width=390)
    before = User.objects.count()

    page.goto(server.base_url + "/accounts/login/")
    page.get_by_test_id("digital-id-sa").click()
    page.wait_for_url("**/interaction/**")
    page.locator("input[value='person-debtor']").check()
    provider.tamper_next_token("forged")
    page.get_by_role("button", name="Approve · موافقة").click()
    page.wait_for_url("**/accounts/digital-id/sa/callback/**")
    error = page.get_by_test_id("digital-id-error")
    page.screenshot(
        path=screenshot_dir / f"digital-id-refused-phone-{language}.png", full_page=True
    )

    assert error.get_attribute("data-code") == "digital_id_untrusted"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
    assert User.objects.count() == before
