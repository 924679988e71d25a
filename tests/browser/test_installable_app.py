"""The installable app in Chromium at phone size: its manifest, its service worker, the offline
page in the reader's language, nothing signed-in kept, and a push shown as a notification."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.test_live_bidding import open_page
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
OFFLINE_TITLE = {"ar": "أنت غير متصل", "en": "You are offline"}
NAME = {"ar": "مزاد", "en": "Mazad"}
# What Chromium reports of the browser rather than the site: Playwright's contexts are
# incognito, and a headless browser offers no install prompt of its own.
NOT_THE_SITES = {"in-incognito", "already-installed", "platform-not-supported-on-android"}


def wait_until(page: Any, script: str, arg: Any = None, attempts: int = 200) -> None:
    """Poll `script` in the page (wait_for_function would need eval, which the policy forbids)."""
    for _ in range(attempts):
        if page.evaluate(script, arg):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


def controlled_page(browser: Any, server: Any, language: str, email: str | None = None) -> Any:
    """A phone-sized page of the site once the service worker has taken it over."""
    context, page = open_page(browser, server, language, email=email, **PHONE)
    page.goto(server.base_url + "/")
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    # Loaded again under the worker: the page tells it the reader's language.
    page.reload()
    wait_until(
        page,
        """async (language) => {
            const kept = await (await caches.open("mazad-state")).match("/__mazad/language");
            return kept !== undefined && (await kept.text()) === language;
        }""",
        language,
    )
    return context, page


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_site_is_installable_with_a_manifest_in_the_readers_language(
    browser, web_servers, language
):
    server = web_servers["daphne"]
    context, page = controlled_page(browser, server, language)
    cdp = context.new_cdp_session(page)

    manifest = cdp.send("Page.getAppManifest")
    installability = cdp.send("Page.getInstallabilityErrors")

    assert manifest["url"] == f"{server.base_url}/manifest.{language}.webmanifest"
    assert manifest["errors"] == []
    data = json.loads(manifest["data"])
    assert data["short_name"] == NAME[language]
    assert (data["lang"], data["dir"]) == (language, "rtl" if language == "ar" else "ltr")
    assert (data["start_url"], data["scope"], data["display"]) == ("/", "/", "standalone")
    assert data["theme_color"] == "#0b5c4b"
    assert {(icon["sizes"], icon["purpose"]) for icon in data["icons"]} == {
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    }
    for icon in data["icons"]:
        answer = page.request.get(server.base_url + icon["src"])
        assert answer.ok
        assert answer.headers["content-type"] == "image/png"
    errors = {error["errorId"] for error in installability["installabilityErrors"]}
    assert errors <= NOT_THE_SITES, errors
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_offline_a_navigation_shows_the_offline_page_in_the_readers_language(
    browser, web_servers, screenshot_dir, language
):
    server = web_servers["daphne"]
    context, page = controlled_page(browser, server, language)

    context.set_offline(True)
    page.goto(server.base_url + "/auctions/")
    page.screenshot(path=screenshot_dir / f"offline-{language}-phone.png", full_page=True)

    assert page.locator("h1").inner_text() == OFFLINE_TITLE[language]
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    # Its styles came from the worker's copy: the header wears the site's green.
    header = page.locator("header").evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert header == "rgb(11, 92, 75)"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    context.set_offline(False)
    page.get_by_role("link", name={"ar": "حاول مرة أخرى", "en": "Try again"}[language]).click()
    page.wait_for_load_state()
    assert page.locator("[data-offline-page]").count() == 0
    context.close()


def test_the_worker_keeps_no_signed_in_page_and_no_json(browser, web_servers):
    server = web_servers["daphne"]
    bidder = make_user("BIDDER", verified=True)
    context, page = controlled_page(browser, server, "en", email=bidder.email)
    page.goto(server.base_url + "/accounts/profile/")
    page.request.get(server.base_url + "/readyz")
    page.evaluate("fetch('/readyz').then((answer) => answer.json())")

    kept = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                for (const request of await (await caches.open(name)).keys()) {
                    urls.push(new URL(request.url).pathname);
                }
            }
            return urls;
        }"""
    )
    context.set_offline(True)
    page.goto(server.base_url + "/accounts/profile/")

    assert "/accounts/profile/" not in kept
    assert "/readyz" not in kept
    assert "/" not in kept
    assert set(kept) >= {"/offline/ar/", "/offline/en/", "/static/frontend/css/mazad.css"}
    assert all(
        url.startswith(("/offline/", "/static/")) or url == "/__mazad/language" for url in kept
    ), kept
    # Offline, a signed-in page is not shown from any copy: the offline page is.
    assert page.locator("[data-offline-page]").count() == 1
    assert bidder.email not in page.content()
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_push_delivered_to_the_worker_shows_its_notification(browser, web_servers, language):
    server = web_servers["daphne"]
    context, page = controlled_page(browser, server, language)
    context.grant_permissions(["notifications"], origin=server.base_url)
    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    wait_until(page, "() => true")
    registration = next(r for r in registrations if r["scopeURL"] == server.base_url + "/")
    message = {
        "title": {"ar": "تم تجاوز مزايدتك", "en": "You were outbid"}[language],
        "body": {"ar": "المزاد 12", "en": "Lot 12"}[language],
        "url": "/auctions/",
        "lang": language,
        "dir": "rtl" if language == "ar" else "ltr",
    }

    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": server.base_url,
            "registrationId": registration["registrationId"],
            "data": json.dumps(message, ensure_ascii=False),
        },
    )
    shown = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.ready;
            for (let i = 0; i < 100; i++) {
                const found = await registration.getNotifications();
                if (found.length) return found.map((n) => ({
                    title: n.title, body: n.body, lang: n.lang, dir: n.dir, url: n.data.url,
                    icon: n.icon,
                }));
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            return [];
        }"""
    )

    assert len(shown) == 1
    assert shown[0]["title"] == message["title"]
    assert shown[0]["body"] == message["body"]
    assert (shown[0]["lang"], shown[0]["dir"], shown[0]["url"]) == (
        language,
        message["dir"],
        "/auctions/",
    )
    assert shown[0]["icon"].endswith("/static/frontend/img/app-icon-192.png")
    context.close()


STATUS_FAILED = {
    "ar": "تعذّر تفعيل الإشعارات على هذا الجهاز. حاول مرة أخرى لاحقاً.",
    "en": "Notifications could not be turned on for this device. Try again later.",
}
STATUS_DENIED = {
    "ar": "هذا المتصفح يحظر إشعارات مزاد: اسمح بها من إعدادات الموقع في المتصفح، ثم فعّلها هنا.",
    "en": "This browser blocks notifications from Mazad: allow them in its site settings, "
    "then turn them on here.",
}
SWITCH = {"ar": "إرسال الإشعارات إلى هذا الجهاز", "en": "Send notifications to this device"}


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_profile_switch_asks_for_notifications_and_says_what_came_of_it(
    browser, web_servers, screenshot_dir, language
):
    from accounts.models import PushSubscription

    server = web_servers["daphne"]
    bidder = make_user("BIDDER", verified=True, preferred_language=language)
    context, page = controlled_page(browser, server, language, email=bidder.email)
    page.goto(server.base_url + "/accounts/profile/")
    switch = page.get_by_role("switch", name=SWITCH[language])
    wait_until(page, "() => !document.querySelector('[data-push-toggle]').disabled")
    page.screenshot(
        path=screenshot_dir / f"profile-notifications-{language}-phone.png", full_page=True
    )

    assert not switch.is_checked()
    # Refused by the person: the page says how to allow them, and nothing is kept.
    switch.click()
    status = page.locator("[data-push-status]")
    wait_until(page, "() => document.querySelector('[data-push-status]').textContent !== ''")
    assert status.inner_text() == STATUS_DENIED[language]
    assert not switch.is_checked()

    # Allowed: a headless browser reaches no push service, and the page says so plainly.
    context.grant_permissions(["notifications"], origin=server.base_url)
    page.reload()
    wait_until(page, "() => !document.querySelector('[data-push-toggle]').disabled")
    switch.click()
    wait_until(page, "() => document.querySelector('[data-push-status]').textContent !== ''")
    page.screenshot(
        path=screenshot_dir / f"profile-notifications-failed-{language}-phone.png", full_page=True
    )

    assert status.inner_text() == STATUS_FAILED[language]
    assert not switch.is_checked()
    assert not PushSubscription.objects.filter(user=bidder).exists()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
