"""The error pages as people see them from the real web processes: the site's look, a way back."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.browser.test_live_bidding import open_page
from tests.conftest import make_user
from tests.frontend.test_error_pages import TECHNICAL

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
HEADINGS = {
    404: {"ar": "هذه الصفحة غير موجودة", "en": "This page does not exist"},
    403: {"ar": "لا يحق لك فتح هذه الصفحة", "en": "You are not allowed to open this page"},
    400: {"ar": "تعذّر علينا فهم هذا الطلب", "en": "We could not understand this request"},
    500: {"ar": "حدث خطأ من جهتنا", "en": "Something went wrong on our side"},
}
HOME = {"ar": "العودة إلى الصفحة الرئيسية", "en": "Back to the home page"}


def page_500(language: str) -> str:
    """The 500 page as the site renders it for a fault (the servers have no faulty route)."""
    client = Client(raise_request_exception=False)
    client.cookies["mazad_language"] = language
    with override_settings(ROOT_URLCONF="tests.frontend.failing_urls", DEBUG=False):
        response = client.get("/fails/")
    assert response.status_code == 500
    return response.content.decode()


def check(page, status: int, language: str) -> None:
    page.locator(f"[data-error-page='{status}']").wait_for()
    html = page.content()
    assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    assert page.evaluate("document.documentElement.lang") == language
    assert page.locator(".site-header").is_visible(), "the site's header"
    assert page.get_by_role("heading", level=1).inner_text() == HEADINGS[status][language]
    assert not [marker for marker in TECHNICAL if marker in html]
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize(("language", "size"), [("ar", "phone"), ("en", "desktop")])
def test_people_get_readable_error_pages_that_look_like_the_site_with_a_way_back(
    browser, web_servers, court, screenshot_dir, language, size
):
    server = web_servers["uvicorn"]
    width, height = SIZES[size]
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    bidder = make_user("BIDDER", verified=True, preferred_language=language)
    contexts = []
    try:
        # An anonymous visitor with a wrong lot number (the fault below is answered by the
        # test's route, which the site's service worker would go around).
        context, page = open_page(
            browser, server, language, width=width, height=height, service_workers="block"
        )
        contexts.append(context)
        response = page.goto(f"{server.base_url}/lots/987654321/")
        assert response.status == 404
        check(page, 404, language)
        page.screenshot(path=screenshot_dir / f"error-404-{language}-{size}.png", full_page=True)

        # A malformed request: a query with more fields than any form of ours has.
        query = "&".join(f"f{n}=1" for n in range(1_100))
        response = page.goto(f"{server.base_url}/auctions/?{query}")
        assert response.status == 400
        check(page, 400, language)
        page.screenshot(path=screenshot_dir / f"error-400-{language}-{size}.png", full_page=True)

        # A fault: the page the site renders for it, shown at one of the site's addresses.
        body = page_500(language)
        page.route(
            f"{server.base_url}/fault/",
            lambda route: route.fulfill(status=500, body=body, content_type="text/html"),
        )
        page.goto(f"{server.base_url}/fault/")
        check(page, 500, language)
        page.screenshot(path=screenshot_dir / f"error-500-{language}-{size}.png", full_page=True)

        # Staff with a wrong auction id on the live board.
        context, page = open_page(
            browser, server, language, email=staff.email, width=width, height=height
        )
        contexts.append(context)
        response = page.goto(f"{server.base_url}/staff/auctions/987654321/live/")
        assert response.status == 404
        check(page, 404, language)
        page.screenshot(
            path=screenshot_dir / f"error-404-staff-{language}-{size}.png", full_page=True
        )

        # A bidder on a staff page; then the way back.
        context, page = open_page(
            browser, server, language, email=bidder.email, width=width, height=height
        )
        contexts.append(context)
        response = page.goto(f"{server.base_url}/staff/auctions/")
        assert response.status == 403
        check(page, 403, language)
        page.screenshot(path=screenshot_dir / f"error-403-{language}-{size}.png", full_page=True)
        page.get_by_role("link", name=HOME[language]).click()
        page.wait_for_url(f"{server.base_url}/")
    finally:
        for context in contexts:
            context.close()
