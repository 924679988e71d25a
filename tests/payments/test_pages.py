"""The payment pages: the payer's page, finance staff's pages, refusals in the user's language."""

from __future__ import annotations

import pytest
from django.test import Client

from core.models import AuditRecord
from core.money import Money
from payments import services
from payments.models import (
    CourtAccount,
    JobStatus,
    JournalEntry,
    Method,
    Payment,
    PaymentJob,
    PaymentStatus,
    Purpose,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def deposit(court, payer, method=Method.CARD, reference="registration:p"):
    return services.collect_payment(
        payer=payer,
        court=court,
        amount=Money(150_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference=reference,
        method=method,
    )


def awaiting(payment):
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.AWAITING_PAYMENT, intent_id="pi_page"
    )
    payment.refresh_from_db()
    return payment


def logged_in(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_the_payer_sees_the_amount_and_the_test_cards(court):
    payer = make_user(verified=True)
    payment = awaiting(deposit(court, payer))

    page = logged_in(payer).get(f"/payments/{payment.public_id}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "SAR\xa01,500.00" in html
    assert 'value="pm_card_visa"' in html
    assert "Test mode" in html


def test_paying_sends_the_confirmation_job_and_shows_it_is_being_confirmed(court):
    payer = make_user(verified=True)
    payment = awaiting(deposit(court, payer))
    client = logged_in(payer)

    response = client.post(f"/payments/{payment.public_id}/", {"payment_method": "pm_card_visa"})
    fragment = client.get(f"/payments/{payment.public_id}/", HTTP_HX_REQUEST="true")

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING
    assert PaymentJob.objects.filter(operation="payment_intent.confirm").count() == 1
    assert 'hx-trigger="every 1s"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Choose one of the cards offered."), ("ar", "اختر إحدى البطاقات المعروضة.")],
)
def test_an_unknown_card_is_refused_in_the_users_language_and_changes_nothing(
    court, language, text
):
    payer = make_user(verified=True, preferred_language=language)
    payment = awaiting(deposit(court, payer))

    response = logged_in(payer, language).post(
        f"/payments/{payment.public_id}/", {"payment_method": "pm_card_stolen"}
    )

    assert response.status_code == 400
    assert text in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AWAITING_PAYMENT
    assert not PaymentJob.objects.filter(operation="payment_intent.confirm").exists()


def test_someone_elses_payment_page_is_not_found(court):
    payment = deposit(court, make_user(verified=True))

    response = logged_in(make_user(verified=True)).get(f"/payments/{payment.public_id}/")

    assert response.status_code == 404


def test_a_bank_transfer_page_shows_the_iban_and_the_reference(court):
    CourtAccount.objects.create(court=court, iban="SA0380000000608010167519", bank_name="Bank")
    payer = make_user(verified=True)
    payment = deposit(court, payer, method=Method.BANK_TRANSFER)

    html = logged_in(payer).get(f"/payments/{payment.public_id}/").content.decode()

    assert "SA0380000000608010167519" in html
    assert payment.bank_reference in html


def test_finance_staff_confirm_a_transfer_from_their_page(court, finance):
    payment = deposit(court, make_user(verified=True), method=Method.BANK_TRANSFER)
    client = logged_in(finance)

    page = client.get("/payments/finance/")
    response = client.post(
        f"/payments/finance/transfers/{payment.pk}/confirm/",
        {"note": "Statement line 3 of 2 March"},
    )

    assert payment.bank_reference in page.content.decode()
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert AuditRecord.objects.get(action="payment.succeeded").note == "Statement line 3 of 2 March"


def test_a_confirmation_with_a_short_note_names_the_field_and_changes_nothing(court, finance):
    payment = deposit(court, make_user(verified=True), method=Method.BANK_TRANSFER)

    response = logged_in(finance).post(
        f"/payments/finance/transfers/{payment.pk}/confirm/", {"note": "ok"}
    )

    assert response.status_code == 400
    assert "Write at least 5 characters." in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AWAITING_PAYMENT
    assert not JournalEntry.objects.exists()


def test_finance_staff_of_another_court_and_bidders_cannot_act(court, other_court):
    payment = deposit(court, make_user(verified=True), method=Method.BANK_TRANSFER)
    outsider = logged_in(make_user("FINANCE_STAFF", court=other_court))
    bidder = logged_in(make_user(verified=True))

    assert (
        outsider.post(
            f"/payments/finance/transfers/{payment.pk}/confirm/",
            {"note": "Line 9 of the statement"},
        ).status_code
        == 404
    )
    assert payment.bank_reference not in outsider.get("/payments/finance/").content.decode()
    assert bidder.get("/payments/finance/").status_code == 403
    assert bidder.get("/payments/finance/ledger/").status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AWAITING_PAYMENT


def test_a_failed_job_is_shown_to_finance_with_its_error_and_can_be_sent_again(court, finance):
    deposit(court, make_user(verified=True))
    PaymentJob.objects.update(
        status=JobStatus.NEEDS_ATTENTION, last_error="500 api_error: boom", attempts=8
    )
    client = logged_in(finance)

    page = client.get("/payments/finance/").content.decode()
    workspace = client.get("/workspace/").content.decode()
    response = client.post(f"/payments/finance/jobs/{PaymentJob.objects.get().pk}/retry/")

    assert "500 api_error: boom" in page
    assert "Payments needing a person" in workspace
    assert response.status_code == 302
    assert PaymentJob.objects.get().status == JobStatus.PENDING


def test_the_ledger_page_shows_balances_and_refuses_a_future_date(court, finance):
    payment = deposit(court, make_user(verified=True), method=Method.BANK_TRANSFER)
    services.confirm_bank_transfer(actor=finance, payment=payment, note="Statement line 7")
    client = logged_in(finance)

    page = client.get("/payments/finance/ledger/")
    future = client.get("/payments/finance/ledger/", {"on": "2999-01-01"})
    garbage = client.get("/payments/finance/ledger/", {"on": "yesterday"})

    assert page.status_code == 200
    assert "Court custody" in page.content.decode()
    assert "SAR\xa01,500.00" in page.content.decode()
    assert future.status_code == 400
    assert "Choose today or a past date." in future.content.decode()
    assert garbage.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in garbage.content.decode()


def _walk(client, url, pattern):
    """Every row a keyset list shows, page after page by its "Next" links, in order."""
    import re
    from html import unescape

    seen, query, pages = [], "", 0
    while True:
        body = client.get(url + query).content.decode()
        seen += re.findall(pattern, body)
        pages += 1
        following = re.search(r'rel="next" href="([^"]+)"', body)
        if following is None:
            return seen, pages
        query = unescape(following.group(1))


def test_the_ledger_pages_through_every_journal_entry_newest_first(court, finance, monkeypatch):
    from payments import views
    from payments.models import JournalEntry

    monkeypatch.setattr(views, "ENTRIES_PAGE", 4)
    for number in range(7):
        payment = deposit(
            court,
            make_user(verified=True),
            Method.BANK_TRANSFER,
            reference=f"registration:{number}",
        )
        services.confirm_bank_transfer(actor=finance, payment=payment, note=f"Line {number}")
    client = logged_in(finance)

    seen, pages = _walk(client, "/payments/finance/ledger/", r'class="small">#(\d+) ')

    expected = list(
        JournalEntry.objects.filter(court=court)
        .order_by("-posted_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(expected) > 4
    assert [int(pk) for pk in seen] == expected  # none left out, none twice
    assert pages == -(-len(expected) // 4)
