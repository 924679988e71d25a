"""A bidder pays a test deposit on the payment page and sees the receipt, in Arabic and English."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx
import pytest

from core.money import Money
from payments import services
from payments.models import JobStatus, Payment, PaymentJob, PaymentStatus, Purpose
from tests.conftest import PASSWORD, make_user, server_env
from tests.harness.fault_proxy import FaultProxy
from tests.harness.second_factor import prove_if_enrolled
from tests.harness.servers import ARTIFACTS_LOGS, ROOT, server_environment, stripe_mock
from tests.payments.conftest import intent_object, make_event, signature_header

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ar": {"login": "تسجيل الدخول", "pay": "ادفع", "paid": "تم استلام الدفعة."},
    "en": {"login": "Log in", "pay": "Pay", "paid": "Payment received."},
}


@pytest.fixture
def worker(tmp_path):
    """The payment worker as its own process, on the test database and a stripe-mock of its own
    (behind the proxy that keeps the PaymentIntents' state the worker confirms payments with)."""
    with stripe_mock(ARTIFACTS_LOGS) as mock, FaultProxy(mock.base_url, stateful=True) as api:
        env = server_environment({**server_env(), "STRIPE_API_BASE": api.base_url})
        log = (tmp_path / "worker.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_payment_worker", "--poll", "0.1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        yield process
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def wait_until(condition, *, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_bidder_pays_a_test_deposit_and_sees_the_receipt(
    browser, web_servers, worker, screenshot_dir, court, language
):
    server = web_servers["daphne"]
    bidder = make_user(verified=True, preferred_language=language, full_name="Sara Al-Harbi")
    payment = services.collect_payment(
        payer=bidder,
        court=court,
        amount=Money(500_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:demo",
        description="Lot 7 · Toyota Land Cruiser 2021",
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=language)
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    page = context.new_page()
    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", bidder.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=TEXT[language]["login"], exact=True).last.click()
    page.wait_for_url(server.base_url + "/my-auctions/")

    page.goto(server.base_url + f"/payments/{payment.public_id}/")
    pay = page.get_by_role("button", name=TEXT[language]["pay"])
    pay.wait_for(timeout=15_000)  # the worker made the PaymentIntent; htmx swapped the form in
    page.screenshot(path=screenshot_dir / f"payment-page-{language}.png", full_page=True)
    pay.click()
    wait_until(
        lambda: PaymentJob.objects.filter(
            operation="payment_intent.confirm", status=JobStatus.DONE
        ).exists()
    )
    payment.refresh_from_db()
    payload = make_event("payment_intent.succeeded", intent_object(payment))
    delivered = httpx.post(
        server.base_url + "/payments/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": signature_header(payload), "Content-Type": "application/json"},
    )
    assert delivered.status_code == 200
    page.get_by_test_id("receipt-number").wait_for(timeout=15_000)

    payment = Payment.objects.select_related("receipt").get(pk=payment.pk)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert page.get_by_test_id("receipt-number").inner_text() == payment.receipt.number
    assert TEXT[language]["paid"] in page.inner_text("#payment-status")
    page.screenshot(path=screenshot_dir / f"payment-receipt-{language}.png", full_page=True)
    pdf = page.request.get(server.base_url + f"/receipts/{payment.receipt.number}.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_finance_staff_confirm_a_bank_transfer_and_see_the_ledger(
    browser, web_servers, screenshot_dir, court, language
):
    from payments.models import CourtAccount, Method

    server = web_servers["uvicorn"]
    CourtAccount.objects.create(court=court, iban="SA0380000000608010167519", bank_name="Demo Bank")
    payment = services.collect_payment(
        payer=make_user(verified=True, full_name="Omar Al-Qahtani"),
        court=court,
        amount=Money(250_000_000_00, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:villa",
        method=Method.BANK_TRANSFER,
    )
    finance = make_user("FINANCE_STAFF", court=court, preferred_language=language)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=language)
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    page = context.new_page()
    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", finance.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=TEXT[language]["login"], exact=True).last.click()
    prove_if_enrolled(page, finance)
    page.wait_for_url(server.base_url + "/workspace/")

    page.goto(server.base_url + "/payments/finance/")
    page.screenshot(path=screenshot_dir / f"finance-{language}.png", full_page=True)
    page.fill("textarea[name=note]", "Statement line 12, 3 March")
    page.locator("form[action$='/confirm/'] button[type=submit]").click()
    page.wait_for_url(server.base_url + "/payments/finance/")
    page.goto(server.base_url + "/payments/finance/ledger/")
    page.screenshot(path=screenshot_dir / f"ledger-{language}.png", full_page=True)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert page.locator("table.ledger-table").first.is_visible()
    context.close()
