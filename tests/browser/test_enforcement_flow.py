"""A file from seizure to approval for sale and an agency's answer, in Chromium, in both languages.

A staff member opens a file, registers a vehicle with photos, records its
appraisal and writes to the traffic department; a supervisor approves the
vehicle for sale; the traffic department's user answers the letter.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageDraw

from accounts.organisations import Agency
from enforcement.models import AgencyLetter, EnforcementFile, SeizedAsset
from tests.conftest import PASSWORD, make_user
from tests.harness.second_factor import prove_if_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ar": {"dir": "rtl", "approved": "معتمد للبيع", "answered": "تم الرد", "file": "ملف التنفيذ"},
    "en": {
        "dir": "ltr",
        "approved": "Approved for sale",
        "answered": "Answered",
        "file": "Enforcement file",
    },
}


def photo(path, colour):
    image = Image.new("RGB", (1200, 800), (200, 220, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 560, 1200, 800], fill=(190, 170, 130))
    draw.rounded_rectangle([250, 350, 950, 600], radius=50, fill=colour)
    draw.rounded_rectangle([400, 230, 800, 380], radius=40, fill=colour)
    for x in (400, 800):
        draw.ellipse([x - 70, 530, x + 70, 670], fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def signed_in(browser, server, user, language, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    page = context.new_page()
    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    prove_if_enrolled(page, user)
    page.wait_for_url(server.base_url + "/workspace/")
    return context, page


def submit(page, form="main form[method=post]"):
    page.locator(f"{form} button[type=submit]").last.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_vehicle_goes_from_seizure_to_approved_and_the_agency_answers(
    browser, web_servers, screenshot_dir, court, tmp_path, language
):
    server = web_servers["uvicorn" if language == "ar" else "daphne"]
    agency = Agency.objects.create(
        code=f"SA-TRAFFIC-{language.upper()}",
        kind="TRAFFIC",
        name_ar="الإدارة العامة للمرور",
        name_en="General Traffic Department",
    )
    staff = make_user(
        "EXECUTION_STAFF", court=court, preferred_language=language, full_name="Saad Al-Amri"
    )
    supervisor = make_user(
        "SUPERVISOR", court=court, preferred_language=language, full_name="Judge Nasser Al-Fahad"
    )
    officer = make_user(
        "AGENCY", agency=agency, preferred_language=language, full_name="Traffic Officer"
    )
    shots = lambda name: screenshot_dir / f"enforcement-{name}-{language}.png"  # noqa: E731

    # A staff member opens a file.
    context, page = signed_in(browser, server, staff, language)
    page.goto(server.base_url + "/workspace/files/new/")
    assert page.locator("html").get_attribute("dir") == TEXT[language]["dir"]
    for prefix, number, name_ar, name_en in (
        ("applicant", "1000000016", "عمر القحطاني", "Omar Al-Qahtani"),
        ("debtor", "1000000008", "خالد العتيبي", "Khalid Al-Otaibi"),
    ):
        page.select_option(f"select[name={prefix}-id_kind]", "NATIONAL_ID")
        page.fill(f"input[name={prefix}-id_number]", number)
        page.fill(f"input[name={prefix}-name_ar]", name_ar)
        page.fill(f"input[name={prefix}-name_en]", name_en)
    page.fill("input[name=applicant-iban]", "SA03 8000 0000 6080 1016 7519")
    page.select_option("select[name=instrument_kind]", "JUDGMENT")
    page.fill("input[name=instrument_reference]", "4471/1447")
    page.fill("input[name=instrument_issued_on]", "2026-03-01")
    page.fill("input[name=claim]", "185000")
    page.fill("input[name=costs]", "2500")
    page.screenshot(path=shots("1-open-file"), full_page=True)
    submit(page)
    page.wait_for_url(re.compile(r"/workspace/files/\d+/$"))
    file = EnforcementFile.objects.get()
    assert file.number in page.locator("h1").inner_text()

    # ... registers a vehicle with two photos ...
    page.goto(f"{server.base_url}/workspace/files/{file.pk}/assets/new/?kind=VEHICLE")
    page.fill("input[name=title]", "Toyota Land Cruiser 2021")
    page.fill("input[name=vin]", "1M8GDM9AXKP042788")
    page.fill("input[name=plate]", "ABC 1234")
    page.fill("input[name=make]", "Toyota")
    page.fill("input[name=model]", "Land Cruiser")
    page.fill("input[name=year]", "2021")
    page.fill("input[name=colour]", "White" if language == "en" else "أبيض")
    page.fill("input[name=mileage_km]", "64000")
    page.select_option("select[name=condition]", "GOOD")
    page.fill("input[name=custody_location]", "Court vehicle yard, Riyadh")
    page.fill("input[name=transfer_costs]", "1250.00")
    page.set_input_files(
        "input[name=photos]",
        [
            photo(tmp_path / "front.jpg", (240, 240, 240)),
            photo(tmp_path / "side.jpg", (90, 90, 100)),
        ],
    )
    submit(page)
    page.wait_for_url(re.compile(r"/workspace/assets/\d+/$"))
    asset = SeizedAsset.objects.get()
    assert asset.photos.count() == 2
    assert page.locator(".gallery img").count() == 2

    # ... records the appraisal and writes to the traffic department.
    page.goto(f"{server.base_url}/workspace/assets/{asset.pk}/appraisal/")
    page.fill("input[name=appraiser]", "Taqeem Certified Appraisers")
    page.fill("input[name=appraised_on]", "2026-03-10")
    page.fill("input[name=value]", "142000")
    submit(page)
    page.wait_for_url(re.compile(r"/workspace/assets/\d+/"))
    page.goto(f"{server.base_url}/workspace/files/{file.pk}/letters/new/?asset={asset.pk}")
    page.select_option("select[name=agency]", str(agency.pk))
    page.select_option("select[name=language]", language)
    submit(page)
    page.wait_for_url(re.compile(r"/workspace/letters/\d+/$"))
    page.screenshot(path=shots("2-letter-sent"), full_page=True)
    context.close()

    # A supervisor approves the vehicle for sale.
    context, page = signed_in(browser, server, supervisor, language)
    page.goto(f"{server.base_url}/workspace/assets/{asset.pk}/")
    page.locator("form[action$='/approve/'] button").click()
    page.wait_for_load_state()
    assert TEXT[language]["approved"] in page.locator("h1").inner_text()
    asset.refresh_from_db()
    assert asset.status == SeizedAsset.Status.APPROVED_FOR_SALE
    assert asset.approved_by == supervisor
    page.screenshot(path=shots("3-approved-asset"), full_page=True)
    page.goto(f"{server.base_url}/workspace/files/{file.pk}/")
    page.screenshot(path=shots("4-file"), full_page=True)
    context.close()

    # The traffic department's user answers the letter from the inbox.
    context, page = signed_in(browser, server, officer, language)
    page.goto(server.base_url + "/workspace/letters/")
    page.screenshot(path=shots("5-agency-inbox"), full_page=True)
    page.locator("a.letter-row").first.click()
    page.wait_for_url(re.compile(r"/workspace/letters/\d+/$"))
    page.fill(
        "textarea[name=answer]",
        "تم تسجيل الحجز على المركبة في نظام المرور."
        if language == "ar"
        else "The seizure is recorded on the vehicle in the traffic system.",
    )
    submit(page, "form[action$='/answer/']")
    assert TEXT[language]["answered"] in page.locator("h1").inner_text()
    assert AgencyLetter.objects.get().status == AgencyLetter.Status.ANSWERED
    page.screenshot(path=shots("6-agency-answered"), full_page=True)
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_workspace_fits_a_phone(browser, web_servers, screenshot_dir, court, language):
    from enforcement import services
    from tests.enforcement.conftest import open_file, png_upload, vehicle

    server = web_servers["daphne"]
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    file = open_file(staff)
    asset = services.register_asset(actor=staff, file_id=file.pk, details=vehicle())
    services.add_photos(actor=staff, asset_id=asset.pk, uploads=[png_upload(size=(800, 600))])
    context, page = signed_in(browser, server, staff, language, width=375)

    for name, path in (
        ("files", "/workspace/files/"),
        ("file", f"/workspace/files/{file.pk}/"),
        ("asset", f"/workspace/assets/{asset.pk}/"),
        ("new-file", "/workspace/files/new/"),
    ):
        page.goto(server.base_url + path)

        assert page.evaluate("document.documentElement.scrollWidth") <= 375, name
        page.screenshot(
            path=screenshot_dir / f"enforcement-phone-{name}-{language}.png", full_page=True
        )
    context.close()
