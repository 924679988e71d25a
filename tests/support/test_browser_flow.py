"""A deposit complaint from opening to rating, in Chromium, in Arabic and English, and on a phone.

A bidder opens a complaint about their deposit with a photo attached; the
execution staff member answers it (the bidder's open page is told at once),
then resolves it; the bidder rates the answer; the supervisor reads the
quarter's report. Screenshots land in tests/artifacts/screenshots.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from auction.models import Registration
from support.models import Ticket
from tests.auction import factories
from tests.conftest import PASSWORD, make_user
from tests.harness.second_factor import prove_if_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ar": {"dir": "rtl", "closed": "مغلق", "rated": "5", "resolved": "محلولة"},
    "en": {"dir": "ltr", "closed": "Closed", "rated": "5", "resolved": "Resolved"},
}
PHONE = 375


def signed_in(browser, server, user, language, width=1280):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale=language, reduced_motion="reduce"
    )
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    page = context.new_page()
    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    prove_if_enrolled(page, user)  # court staff type their authenticator app's code
    page.wait_for_url(lambda url: "/accounts/second-factor/" not in url)
    page.goto(server.base_url + "/workspace/")
    return context, page


def photo(path):
    image = Image.new("RGB", (900, 600), (240, 236, 226))
    image.paste((11, 92, 75), (60, 60, 840, 180))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


WIDEST = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
            || e.getBoundingClientRect().left < -1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className)"""


def fits_the_screen(page):
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    if not fits:
        print("wider than the screen:", page.evaluate(WIDEST))
    return fits


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_deposit_complaint_is_answered_resolved_and_rated(
    browser, web_servers, screenshot_dir, court, tmp_path, language
):
    server = web_servers["uvicorn" if language == "ar" else "daphne"]
    bidder = make_user(
        "BIDDER", verified=True, preferred_language=language, full_name="Sara Al-Harbi"
    )
    staff = make_user(
        "EXECUTION_STAFF", court=court, preferred_language=language, full_name="Saad Al-Amri"
    )
    supervisor = make_user(
        "SUPERVISOR", court=court, preferred_language=language, full_name="Nasser Al-Fahad"
    )
    lot = factories.lot(court)
    registration = Registration.objects.create(lot=lot, bidder=bidder, paddle=431)
    shot = lambda name: screenshot_dir / f"support-{name}-{language}.png"  # noqa: E731

    # The bidder opens a complaint about the deposit of their registration.
    # In Arabic the bidder and the staff member work on a phone, in English on a desktop.
    width = PHONE if language == "ar" else 1280
    bidder_context, page = signed_in(browser, server, bidder, language, width=width)
    assert page.locator("html").get_attribute("dir") == TEXT[language]["dir"]
    assert page.locator("header a[href='/help/']").count() == 1  # "Help" in the menu
    assert page.locator("footer a[href='/support/']").count() == 1  # "My tickets"
    page.locator("main a[href='/support/']").click()  # the workspace card
    page.wait_for_url(server.base_url + "/support/")
    page.locator("main a[href='/support/new/']").first.click()
    page.wait_for_url(server.base_url + "/support/new/")
    page.locator("label[for=id_kind_0]").click()
    page.select_option("select[name=topic]", "DEPOSIT")
    page.select_option("select[name=about]", f"REGISTRATION:{registration.pk}")
    page.fill(
        "input[name=subject]",
        "My deposit was not refunded" if language == "en" else "لم يُرد مبلغ التأمين",
    )
    page.fill("textarea[name=body]", "The lot closed a week ago and my deposit is still held.")
    page.set_input_files("input[name=attachments]", photo(tmp_path / "transfer-slip.png"))
    assert fits_the_screen(page)
    page.screenshot(path=shot("1-open"), full_page=True)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/support/tickets/RYC-T-\d{4}-\d{6}/$"))
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.team, ticket.registration_id) == (
        "COMPLAINT",
        "EXECUTION",
        registration.pk,
    )
    assert page.locator(".attachments a").count() == 1

    # The execution staff member finds it in the queue and replies; the bidder's page is told.
    staff_context, desk = signed_in(browser, server, staff, language, width=width)
    desk.goto(server.base_url + "/support/queue/")
    assert ticket.number in desk.locator("main").inner_text()
    assert fits_the_screen(desk)
    desk.screenshot(path=shot("2-queue"), full_page=True)
    desk.locator(f"a[href='/support/tickets/{ticket.number}/']").click()
    desk.fill("textarea[name=body]", "We are checking the refund with the finance team.")
    desk.locator("button[value=reply]").click()
    desk.wait_for_load_state()
    page.wait_for_selector(f"#toasts .toast:has-text('{ticket.number}')", timeout=10_000)
    page.screenshot(path=shot("3-told"), full_page=True)

    # ... and resolves it.
    desk.fill(
        "textarea[name=body]", "The deposit was refunded today; it reaches your card in 5 days."
    )
    desk.locator("button[value=resolve]").click()
    desk.wait_for_load_state()
    assert TEXT[language]["resolved"] in desk.locator(".page-header").inner_text()
    desk.screenshot(path=shot("4-resolved"), full_page=True)

    # The bidder rates the answer, on a phone.
    bidder_context.close()
    bidder_context, phone = signed_in(browser, server, bidder, language, width=PHONE)
    phone.goto(f"{server.base_url}/support/tickets/{ticket.number}/")
    assert fits_the_screen(phone)
    phone.screenshot(path=shot("5-rate-phone"), full_page=True)
    phone.locator("label[for=id_rating_score_0]").click()  # 5, the first choice
    phone.fill("textarea[name=comment]", "Clear and quick, thank you.")
    phone.locator("#rate button[type=submit]").click()
    phone.wait_for_load_state()
    assert TEXT[language]["closed"] in phone.locator(".page-header").inner_text()
    phone.screenshot(path=shot("6-rated-phone"), full_page=True)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating.score) == ("CLOSED", 5)

    # The supervisor reads the quarter's report, with its charts, on a desktop and a phone.
    supervisor_context, report = signed_in(browser, server, supervisor, language)
    report.goto(server.base_url + "/support/report/")
    report.wait_for_function("document.querySelectorAll('canvas').length === 4 && !!window.Chart")
    assert report.locator(".figure-tile .value").first.inner_text() == "1"
    report.screenshot(path=shot("7-report"), full_page=True)
    report.set_viewport_size({"width": PHONE, "height": 900})
    report.reload()
    report.wait_for_function("document.querySelectorAll('canvas').length === 4 && !!window.Chart")
    assert fits_the_screen(report)
    report.screenshot(path=shot("8-report-phone"), full_page=True)
    report.goto(server.base_url + "/support/service-levels/")
    assert fits_the_screen(report)
    report.screenshot(path=shot("9-service-levels-phone"), full_page=True)
    for context in (bidder_context, staff_context, supervisor_context):
        context.close()
