"""The judge reads and signs a seizure order in the workspace; anyone checks the signed PDF.

In Chromium against the real web processes, in Arabic on a phone and in English on a desktop:
the judge opens the order's draft, signs it deliberately, downloads the signed PDF from the
file page; an anonymous visitor uploads it on the public page (valid, with the judge, the
court and the number), then a copy with one changed byte (invalid). Screenshots land in
tests/artifacts/screenshots/signing-*.png.
"""

from __future__ import annotations

import pytest

from accounts.organisations import Agency
from core import pdf_signing
from enforcement import services
from enforcement.models import SeizureOrder, SignedOrderDocument
from tests.browser.test_phone_layouts import fits
from tests.conftest import PASSWORD, make_user
from tests.enforcement.conftest import IBAN_SA, open_file
from tests.harness.second_factor import prove_if_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ar": {"sign": "اطّلع على الأمر ووقّعه", "valid": "صالح.", "invalid": "غير صالح."},
    "en": {"sign": "Read and sign the order", "valid": "Valid.", "invalid": "Invalid."},
}
WIDTHS = {"ar": 390, "en": 1280}


def new_page(browser, server, language):
    width = WIDTHS[language]
    context = browser.new_context(
        viewport={"width": width, "height": 844 if width < 500 else 900}, locale=language
    )
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    return context, context.new_page()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_judge_reads_and_signs_an_order_then_anyone_checks_it(
    browser, web_servers, screenshot_dir, court, language
):
    server = web_servers["uvicorn"]
    shot = lambda name: screenshot_dir / f"signing-{name}-{language}.png"  # noqa: E731
    text = TEXT[language]
    agency = Agency.objects.create(
        code=f"SA-BANK-{language.upper()}", kind="BANK", name_ar="بنك الرياض", name_en="Riyad Bank"
    )
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    judge = make_user(
        "SUPERVISOR", court=court, preferred_language=language, full_name="Nasser Al-Fahad"
    )
    file = open_file(staff)
    order = services.request_order(
        actor=staff,
        file_id=file.pk,
        kind="BANK_FUNDS",
        agency_id=agency.pk,
        target=services.OrderTarget(iban=IBAN_SA),
    )

    context, page = new_page(browser, server, language)
    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", judge.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    prove_if_enrolled(page, judge)
    page.wait_for_url(server.base_url + "/workspace/")
    page.goto(f"{server.base_url}/workspace/files/{file.pk}/#orders")
    page.get_by_role("link", name=text["sign"]).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    fits(page)
    page.screenshot(path=shot("1-read"), full_page=True)

    page.locator("#sign-order button[type=submit]").click()  # not ticked: refused
    page.wait_for_load_state()
    assert page.locator("#id_confirm.is-invalid").count() == 1
    order.refresh_from_db()
    assert order.status == SeizureOrder.Status.REQUESTED
    page.screenshot(path=shot("2-refused-unticked"), full_page=True)

    page.check("#id_confirm")
    page.locator("#sign-order button[type=submit]").click()
    page.wait_for_url(f"**/workspace/files/{file.pk}/**")
    document = SignedOrderDocument.objects.get(order=order)
    signed_row = page.locator(f"[data-signed-document='{document.number}']")
    signed_row.scroll_into_view_if_needed()
    assert signed_row.is_visible()
    fits(page)
    page.screenshot(path=shot("3-signed"), full_page=True)

    href = signed_row.locator("a").get_attribute("href")
    download = page.request.get(server.base_url + href)
    assert download.ok
    assert download.headers["content-type"] == "application/pdf"
    data = download.body()
    assert pdf_signing.validate_signed_pdf(data).valid
    context.close()

    context, page = new_page(browser, server, language)
    page.goto(server.base_url + "/receipts/verify/")
    page.set_input_files(
        "#pdf", files=[{"name": "order.pdf", "mimeType": "application/pdf", "buffer": data}]
    )
    page.locator("#pdf-check button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    verdict = page.locator("[data-pdf-verdict=valid]")
    assert verdict.inner_text().strip().startswith(text["valid"])
    details = page.locator("[data-pdf-details]").inner_text()
    assert document.number in details
    assert "Nasser Al-Fahad" in details
    assert court.name_en in details
    fits(page)
    page.screenshot(path=shot("4-public-valid"), full_page=True)

    changed = bytearray(data)
    changed[len(changed) // 3] ^= 0x01
    page.set_input_files(
        "#pdf",
        files=[{"name": "order.pdf", "mimeType": "application/pdf", "buffer": bytes(changed)}],
    )
    page.locator("#pdf-check button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    invalid = page.locator("[data-pdf-verdict=invalid]")
    assert invalid.inner_text().strip().startswith(text["invalid"])
    assert invalid.get_attribute("data-code") in {"signature_modified", "pdf_unreadable"}
    fits(page)
    page.screenshot(path=shot("5-public-invalid"), full_page=True)

    page.goto(f"{server.base_url}/documents/{document.number}/verify/")
    assert document.sha256 in page.content()
    fits(page)
    page.screenshot(path=shot("6-number-page"), full_page=True)
    context.close()
