"""A finance officer approves a disbursement and reconciles a statement, in Arabic and English."""

from __future__ import annotations

import pytest
from django.utils import timezone

from aftersale import samples
from aftersale import services as aftersale
from aftersale.models import Disbursement, Match
from core.money import Money
from payments import services as payments
from payments.models import CourtAccount, Method, Purpose
from tests.aftersale import helpers
from tests.conftest import PASSWORD, make_user
from tests.harness.second_factor import prove_if_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ar": {
        "login": "تسجيل الدخول",
        "approve": "اعتماد",
        "import": "استيراد ومطابقة",
        "resolve": "تسوية",
    },
    "en": {
        "login": "Log in",
        "approve": "Approve",
        "import": "Import and match",
        "resolve": "Resolve",
    },
}


def log_in(page, server, user, language):
    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=TEXT[language]["login"], exact=True).last.click()
    prove_if_enrolled(page, user)
    page.wait_for_url(server.base_url + "/workspace/")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_finance_officer_approves_and_reconciles(
    browser, web_servers, screenshot_dir, court, language, tmp_path
):
    server = web_servers["uvicorn"]
    CourtAccount.objects.create(court=court, iban="SA0380000000608010167519", bank_name="Demo Bank")
    maker = make_user("FINANCE_STAFF", court=court, full_name="Nora Al-Dossary")
    checker = make_user(
        "FINANCE_STAFF", court=court, preferred_language=language, full_name="Khalid Al-Shehri"
    )
    sale = helpers.sold_lot(
        court, maker, file=helpers.file_with(court, claim=90_000_000, costs=250_000)
    )
    payment = aftersale.start_balance_payment(
        buyer=sale.buyer, sale_id=sale.pk, method=Method.BANK_TRANSFER
    )
    payments.confirm_bank_transfer(actor=maker, payment=payment, note="Statement line 4")
    item = Disbursement.objects.get(distribution__file=sale.file)
    aftersale.prepare_disbursement(
        actor=maker, disbursement_id=item.pk, note="IBAN checked on the file"
    )
    statement = tmp_path / "statement.xml"
    statement.write_bytes(samples.sample_camt053(court, timezone.localdate()))

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale=language)
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    page = context.new_page()
    log_in(page, server, checker, language)
    page.goto(server.base_url + "/finance/")
    page.wait_for_function("document.querySelector('#flows-chart').width > 0")
    # Every day of the 30 is on the axis, the days without money as zero bars.
    chart = page.evaluate(
        "(() => { const c = Chart.getChart('flows-chart');"
        " return [c.data.labels.length, c.data.datasets[0].data.length]; })()"
    )
    assert chart == [30, 30]
    page.screenshot(path=screenshot_dir / f"finance-dashboard-{language}.png", full_page=True)
    page.goto(server.base_url + f"/finance/distributions/{item.distribution_id}/")
    page.screenshot(path=screenshot_dir / f"finance-distribution-{language}.png", full_page=True)
    page.get_by_role("button", name=TEXT[language]["approve"]).click()
    page.wait_for_load_state()
    page.screenshot(path=screenshot_dir / f"finance-approved-{language}.png", full_page=True)

    page.goto(server.base_url + "/finance/reconciliation/")
    page.set_input_files(
        "input[name=file][accept], form:has(input[value=camt]) input[type=file]", str(statement)
    )
    page.get_by_role("button", name=TEXT[language]["import"]).first.click()
    page.wait_for_selector("[data-testid=matches]")
    page.screenshot(
        path=screenshot_dir / f"reconciliation-statement-{language}.png", full_page=True
    )
    row = page.locator("tr[data-kind=DIFFERENCE]")
    row.locator("textarea").fill("The bank took one minor unit as a fee")
    row.get_by_role("button", name=TEXT[language]["resolve"]).click()
    page.wait_for_selector("tr[data-kind=DIFFERENCE] .result-resolved")
    page.screenshot(path=screenshot_dir / f"reconciliation-resolved-{language}.png", full_page=True)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale=language, is_mobile=True
    )
    phone.add_cookies(context.cookies())
    mobile = phone.new_page()
    mobile.goto(server.base_url + "/finance/")
    mobile.screenshot(
        path=screenshot_dir / f"finance-dashboard-phone-{language}.png", full_page=True
    )

    item.refresh_from_db()
    assert item.status == Disbursement.Status.SENDING
    assert item.approved_by == checker
    difference = Match.objects.get(kind=Match.Kind.DIFFERENCE)
    assert difference.difference_minor == -1
    assert difference.is_resolved
    phone.close()
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_on_a_phone_a_foreign_statement_is_refused_and_an_mt940_one_reconciles(
    browser, web_servers, screenshot_dir, court, language, tmp_path
):
    from tests.aftersale.statement_files import Entry, Tx, mt940
    from tests.aftersale.statement_files import Statement as File

    server = web_servers["uvicorn"]
    iban = "SA0380000000608010167519"
    CourtAccount.objects.create(court=court, iban=iban, bank_name="Demo Bank")
    officer = make_user("FINANCE_STAFF", court=court, preferred_language=language)
    payment = payments.collect_payment(
        payer=make_user(verified=True),
        court=court,
        amount=Money(218_700, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:phone",
        method=Method.BANK_TRANSFER,
    )
    payments.confirm_bank_transfer(actor=officer, payment=payment, note="Arrived at the bank")
    payment.refresh_from_db()
    today = timezone.localdate()
    entries = [Entry(today, [Tx(218_700, reference=payment.bank_reference, counterparty="")])]
    foreign = tmp_path / "foreign.sta"
    foreign.write_bytes(
        mt940(File("KFH-9", "KW81CBKU0000000000001234560101", "KWD", 0, entries, today, today))
    )
    own = tmp_path / "own.sta"
    own.write_bytes(mt940(File("SNB-9", iban, "SAR", 0, entries, today, today)))

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale=language, is_mobile=True
    )
    phone.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    page = phone.new_page()
    log_in(page, server, officer, language)
    for upload in (foreign, own):
        page.goto(server.base_url + "/finance/reconciliation/")
        page.set_input_files("form:has(input[value=camt]) input[type=file]", str(upload))
        page.get_by_role("button", name=TEXT[language]["import"]).first.click()
        page.wait_for_load_state()
        page.screenshot(
            path=screenshot_dir / f"reconciliation-{upload.stem}-phone-{language}.png",
            full_page=True,
        )
        if upload is foreign:
            error = page.locator("form:has(input[value=camt])").inner_text()
            assert "KW81CBKU0000000000001234560101" in error
            assert iban in error

    page.wait_for_selector("[data-testid=matches]")
    assert page.locator("tr[data-kind=MATCHED]").count() == 1
    phone.close()
