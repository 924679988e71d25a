"""The order page of agencies online in Chromium: its request, the bank's answers with their
document, and the webhook deliveries, in Arabic and English, on a phone and a desktop."""

from __future__ import annotations

import pytest

from enforcement import webhooks
from tests.agencies.helpers import issued_order, request_of, system
from tests.browser.test_enforcement_flow import signed_in
from tests.conftest import make_user
from tests.enforcement.conftest import IBAN_SA, pdf_upload

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ar": {"dir": "rtl", "answers": "ردود الجهة", "deliveries": "إرسالات الإشعارات"},
    "en": {"dir": "ltr", "answers": "Answers of the agency", "deliveries": "Webhook deliveries"},
}


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("width", [390, 1280])
def test_the_order_page_shows_request_answers_document_and_deliveries(
    browser, web_servers, screenshot_dir, court, language, width
):
    from enforcement.services import agencies

    bank = system("BANK_FUNDS")
    webhooks.set_endpoint(agency=bank.agency, url="http://127.0.0.1:9/unreachable")
    order = issued_order(court, "BANK_FUNDS", bank.agency, claim_minor=1_250_000, costs_minor=0)
    webhooks.deliver_due()  # one failed attempt, logged
    letter = request_of(order)
    frozen = agencies.answer_request(
        agency_id=bank.agency.pk,
        actor=bank.binding.user,
        application_id=bank.binding.pk,
        number=letter.number,
        given=agencies.AnswerInput(
            outcome="FROZEN",
            amount_minor=1_250_000,
            accounts=(IBAN_SA,),
            given=frozenset({"amount_minor", "accounts"}),
        ),
    ).answer
    agencies.attach_document(
        agency_id=bank.agency.pk,
        actor=bank.binding.user,
        answer_id=frozen.pk,
        document=pdf_upload(),
    )
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    server = web_servers["daphne"]
    context, page = signed_in(browser, server, staff, language, width=width)
    try:
        page.goto(f"{server.base_url}/workspace/orders/{order.pk}/")
        assert page.locator("html").get_attribute("dir") == TEXT[language]["dir"]
        assert page.get_by_text(TEXT[language]["answers"]).is_visible()
        assert page.get_by_text(TEXT[language]["deliveries"]).is_visible()
        assert page.get_by_text(letter.number).first.is_visible()
        assert page.locator("a[href*='/workspace/orders/answers/']").count() == 1
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        page.screenshot(
            path=str(screenshot_dir / f"agency-order-{language}-{width}.png"), full_page=True
        )
    finally:
        context.close()
