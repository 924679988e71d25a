"""The catalog's map, saved searches and questions, as people use them: Arabic and English, a
phone and a desktop, with screenshots (tests/artifacts/screenshots/catalog-*.png); the maps
take the keyboard, break no rule of the Content Security Policy and fetch nothing from
outside the site."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from auction import clock
from auction.models import Question, SavedSearch
from enforcement.models import SeizedAsset
from tests.auction import factories
from tests.browser.test_content_security_policy import WATCH_VIOLATIONS
from tests.browser.test_live_bidding import open_page
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
TEXT = {
    "ar": {"map": "خريطة", "save": "احفظ هذا البحث", "saved": "حُفظ البحث", "sent": "أُرسل سؤالك"},
    "en": {
        "map": "Map of",
        "save": "Save this search",
        "saved": "was saved",
        "sent": "Your question was sent",
    },
}


def villa(court, *, title: str, lat: str, lng: str, shown: str = "AREA"):
    asset = factories.approved_asset(court)
    SeizedAsset.objects.filter(pk=asset.pk).update(
        kind="REAL_ESTATE",
        plate="",
        deed_number=f"D-{asset.pk}",
        title=title,
        district="Al Olaya",
        city="Riyadh",
        latitude=Decimal(lat),
        longitude=Decimal(lng),
        public_location=shown,
    )
    return factories.lot(court, asset=SeizedAsset.objects.get(pk=asset.pk))


def watch(page, server) -> list[str]:
    """Every request the page makes that is not to the site itself."""
    outside: list[str] = []
    site = urlsplit(server.base_url).netloc

    def seen(request) -> None:
        where = urlsplit(request.url)
        if where.scheme in ("http", "https", "ws", "wss") and where.netloc != site:
            outside.append(request.url)

    page.on("request", seen)
    page.add_init_script(WATCH_VIOLATIONS)
    return outside


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url} scrolls sideways"


def test_the_maps_take_the_keyboard_and_send_nothing_outside_the_site(
    browser, web_servers, court, screenshot_dir
):
    server = web_servers["uvicorn"]
    area = villa(court, title="Villa in Al Olaya", lat="24.713552", lng="46.675296")
    villa(court, title="Flat in Al Malqa", lat="24.801200", lng="46.612300", shown="EXACT")
    for language in ("ar", "en"):
        for size, (width, height) in SIZES.items():
            context, page = open_page(browser, server, language, width=width, height=height)
            outside = watch(page, server)
            try:
                page.goto(f"{server.base_url}/auctions/?kind=REAL_ESTATE")
                page.locator(".map-box > summary").click()
                page.locator("#catalog-map .leaflet-marker-icon").first.wait_for()
                assert page.locator("#catalog-map .leaflet-marker-icon").count() == 2
                assert page.locator(".map-list li").count() == 2
                fits(page)
                page.screenshot(
                    path=screenshot_dir / f"catalog-map-{size}-{language}.png", full_page=True
                )

                page.goto(f"{server.base_url}/lots/{area.pk}/")
                page.locator("#lot-map .leaflet-marker-icon").wait_for()
                page.locator("#lot-map").focus()
                page.keyboard.press("ArrowDown")  # the map pans under the keyboard
                page.keyboard.press("Tab")
                focused = page.evaluate("document.activeElement.className")
                assert "leaflet-marker-icon" in focused
                page.keyboard.press("Enter")
                popup = page.locator("#lot-map .leaflet-popup-content")
                popup.wait_for()
                assert "Villa in Al Olaya" in popup.inner_text()
                html = page.content()
                assert "24.713552" not in html
                assert "46.675296" not in html
                fits(page)
                page.locator("#lot-map-section").scroll_into_view_if_needed()
                page.screenshot(
                    path=screenshot_dir / f"catalog-lot-map-{size}-{language}.png", full_page=True
                )
                assert page.evaluate("window.__cspViolations") == []
                assert outside == []
            finally:
                context.close()


def test_a_bidder_saves_a_search_and_asks_staff_answer_in_both_languages(
    browser, web_servers, court, screenshot_dir
):
    server = web_servers["uvicorn"]
    lot = villa(court, title="Villa in Al Olaya", lat="24.713552", lng="46.675296")
    for language, size in (("ar", "phone"), ("en", "desktop"), ("ar", "desktop"), ("en", "phone")):
        width, height = SIZES[size]
        bidder = make_user("BIDDER", verified=True, preferred_language=language)
        staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
        context, page = open_page(
            browser, server, language, email=bidder.email, width=width, height=height
        )
        try:
            page.goto(f"{server.base_url}/auctions/?q=villa&kind=REAL_ESTATE")
            page.get_by_text(TEXT[language]["save"], exact=True).first.click()
            page.locator("form[action$='save-search/'] input[name=name]").fill("Villas")
            page.locator("form[action$='save-search/'] button[type=submit]").click()
            page.wait_for_load_state()
            assert TEXT[language]["saved"] in page.content()
            assert SavedSearch.objects.get(user=bidder).query == "q=villa&kind=REAL_ESTATE"
            page.goto(f"{server.base_url}/my-auctions/searches/")
            fits(page)
            page.screenshot(
                path=screenshot_dir / f"catalog-saved-searches-{size}-{language}.png",
                full_page=True,
            )

            page.goto(f"{server.base_url}/lots/{lot.pk}/")
            page.locator("textarea[name=text]").fill("x\x00")
            page.locator("form[action$='/questions/'] button[type=submit]").click()
            page.wait_for_load_state()
            assert page.locator(".errorlist").count() == 1  # the control character, named
            fits(page)
            page.screenshot(
                path=screenshot_dir / f"catalog-ask-refused-{size}-{language}.png", full_page=True
            )
            page.locator("textarea[name=text]").fill("Is the roof recently repaired?")
            page.locator("form[action$='/questions/'] button[type=submit]").click()
            page.wait_for_load_state()
            assert TEXT[language]["sent"] in page.content()
            page.locator("#questions").scroll_into_view_if_needed()
            page.screenshot(
                path=screenshot_dir / f"catalog-asked-{size}-{language}.png", full_page=True
            )
        finally:
            context.close()

        context, page = open_page(
            browser, server, language, email=staff.email, width=width, height=height
        )
        try:
            question = Question.objects.filter(asker=bidder).get()
            page.goto(f"{server.base_url}/staff/questions/")
            fits(page)
            page.screenshot(
                path=screenshot_dir / f"catalog-staff-questions-{size}-{language}.png",
                full_page=True,
            )
            page.locator(f"textarea[name=a{question.pk}-answer]").fill("Yes, in 2025.")
            page.locator(f"form[action$='/{question.pk}/answer/'] button").click()
            page.wait_for_load_state()
            question.refresh_from_db()
            assert question.status == "ANSWERED"
        finally:
            context.close()
        clock.notify(timezone.now())

    context, page = open_page(browser, server, "ar", width=390, height=844)
    try:
        page.goto(f"{server.base_url}/lots/{lot.pk}/#questions")
        assert page.locator(".qa-item").count() == 4
        fits(page)
        page.locator("#questions").scroll_into_view_if_needed()
        page.screenshot(path=screenshot_dir / "catalog-answers-phone-ar.png", full_page=True)
    finally:
        context.close()


def test_the_new_pages_pass_wcag_22_aa_with_their_maps_open(
    browser, web_servers, court, screenshot_dir
):
    from auction import questions, saved_searches
    from tests.browser.test_accessibility import SIZES, new_context, reflows, sign_in, violations

    server = web_servers["uvicorn"]
    lot = villa(court, title="Villa in Al Olaya", lat="24.713552", lng="46.675296")
    bidder = make_user("BIDDER", verified=True)
    staff = make_user("EXECUTION_STAFF", court=court)
    saved_searches.save(user=bidder, name="Villas", query="kind=REAL_ESTATE", alerts=True)
    asked = questions.ask(user=bidder, lot_id=lot.pk, text="Any damp?", now=timezone.now())
    questions.answer(staff=staff, question_id=asked.pk, text="None found.", now=timezone.now())
    questions.ask(user=bidder, lot_id=lot.pk, text="Is the roof new?", now=timezone.now())
    pages = {
        None: [f"/lots/{lot.pk}/", "/auctions/?kind=REAL_ESTATE"],
        bidder: [f"/lots/{lot.pk}/", "/my-auctions/searches/", "/my-auctions/"],
        staff: ["/staff/questions/"],
    }
    found: dict[str, list[str]] = {}
    for language in ("ar", "en"):
        for size in ("desktop", "phone"):
            for user, paths in pages.items():
                context = new_context(browser, server, language, None)
                page = context.new_page()
                try:
                    if user is not None:
                        sign_in(page, server, user)
                    for path in paths:
                        page.set_viewport_size(SIZES[size])  # reflows() leaves it at desktop
                        page.goto(server.base_url + path)
                        page.wait_for_load_state("networkidle")
                        box = page.locator(".map-box > summary")
                        if box.count():
                            box.click()
                        if page.locator("[data-map]").count():
                            page.locator("[data-map] .leaflet-marker-icon").first.wait_for()
                        problems = violations(page)
                        wide = reflows(page)
                        if wide:
                            problems.append(wide)
                        if problems:
                            found[f"{language} {size} {path}"] = problems
                finally:
                    context.close()

    assert not found, found
