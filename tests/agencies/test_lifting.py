"""Orders end when the debt ends: satisfaction sends lift requests, answers close the file."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import DomainError, InvalidTransition
from enforcement import services
from enforcement.models import AgencyLetter, EnforcementFile
from tests.agencies.helpers import issued_order, request_of, system, token
from tests.conftest import make_user
from tests.enforcement.conftest import IBAN_SA, open_file

pytestmark = pytest.mark.django_db


def answer(client, bearer, letter, body):
    return client.post(
        f"/api/v2/requests/{letter.number}/answers",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer}",
    )


def satisfy(file):
    services.record_file_satisfied(file_id=file.pk, note="Paid in full")
    file.refresh_from_db()


def test_satisfaction_asks_every_agency_to_lift_and_the_file_closes_when_all_are_lifted(
    client, court
):
    traffic, passports = system("VEHICLE"), system("TRAVEL_BAN")
    blocked = issued_order(court, "VEHICLE", traffic.agency)
    file = blocked.file
    banned = issued_order(court, "TRAVEL_BAN", passports.agency, on_file=file)
    staff = make_user("EXECUTION_STAFF", court=court)
    never_issued = services.request_order(
        actor=staff,
        file_id=file.pk,
        kind="BANK_FUNDS",
        agency_id=system("BANK_FUNDS").agency.pk,
        target=services.OrderTarget(iban=IBAN_SA),
    )
    traffic_token, passports_token = token(client, traffic), token(client, passports)
    assert (
        answer(client, traffic_token, request_of(blocked), {"outcome": "BLOCKED"}).status_code
        == 201
    )

    satisfy(file)

    assert file.status == EnforcementFile.Status.SATISFIED
    for order in (blocked, banned):
        order.refresh_from_db()
        assert order.status == "LIFTING"
        assert request_of(order, "LIFT").payload["action"].startswith("lift_")
    never_issued.refresh_from_db()
    assert never_issued.status == "REQUESTED"
    assert not never_issued.letters.exists()

    assert (
        answer(
            client, traffic_token, request_of(blocked, "LIFT"), {"outcome": "LIFTED"}
        ).status_code
        == 201
    )
    file.refresh_from_db()
    assert file.status == EnforcementFile.Status.SATISFIED  # the ban is still held
    refused = answer(
        client,
        passports_token,
        request_of(banned),
        {"outcome": "BAN_IN_FORCE", "effective_on": "2026-01-01"},
    )
    assert refused.json()["code"] == "order_lifting"
    assert (
        answer(
            client, passports_token, request_of(banned, "LIFT"), {"outcome": "LIFTED"}
        ).status_code
        == 201
    )
    file.refresh_from_db()
    assert file.status == EnforcementFile.Status.CLOSED
    with pytest.raises(InvalidTransition):  # a closed file is not satisfied again
        satisfy(file)
    file.refresh_from_db()
    assert file.status == EnforcementFile.Status.CLOSED


def test_a_refused_lift_keeps_the_file_satisfied_and_the_order_held(client, court):
    traffic = system("VEHICLE")
    order = issued_order(court, "VEHICLE", traffic.agency)
    bearer = token(client, traffic)
    satisfy(order.file)

    refused = answer(client, bearer, request_of(order, "LIFT"), {"outcome": "REFUSED"})
    assert [e["field"] for e in refused.json()["errors"]] == ["note"]
    made = answer(
        client,
        bearer,
        request_of(order, "LIFT"),
        {"outcome": "REFUSED", "note": "Court seal missing"},
    )
    assert made.status_code == 201
    order.refresh_from_db()
    order.file.refresh_from_db()
    assert (order.status, order.file.status) == ("LIFTING", "SATISFIED")
    again = answer(client, bearer, request_of(order, "LIFT"), {"outcome": "LIFTED"})
    assert again.json()["code"] == "already_answered"


def test_a_file_satisfied_without_orders_stays_satisfied(court):
    staff = make_user("EXECUTION_STAFF", court=court)
    file = open_file(staff)
    satisfy(file)
    assert file.status == EnforcementFile.Status.SATISFIED


def test_lift_letters_go_out_for_a_satisfied_file_and_other_letters_do_not(court):
    traffic = system("VEHICLE")
    order = issued_order(court, "VEHICLE", traffic.agency)
    satisfy(order.file)
    staff = make_user("EXECUTION_STAFF", court=court)
    due = timezone.localdate() + timedelta(days=5)

    letter = services.send_letter(
        actor=staff,
        file_id=order.file_id,
        agency_id=traffic.agency.pk,
        subject_kind="LIFT",
        language="en",
        due_on=due,
        order_id=order.pk,
    )
    assert letter.subject_kind == "LIFT"
    with pytest.raises(DomainError) as refused:
        services.send_letter(
            actor=staff,
            file_id=order.file_id,
            agency_id=traffic.agency.pk,
            subject_kind="SEIZE",
            language="en",
            due_on=due,
            order_id=order.pk,
        )
    assert refused.value.code == "file_final"


def test_the_letters_api_refuses_a_words_answer_to_a_structured_request(client, court):
    from enforcement import services as enforcement

    traffic = system("VEHICLE")
    order = issued_order(court, "VEHICLE", traffic.agency)
    officer = make_user("AGENCY", agency=traffic.agency)
    key = enforcement.issue_api_token(actor=officer, name="Old system").key
    letter = request_of(order)

    response = client.post(
        f"/api/v1/letters/{letter.number}/answer",
        {"answer": "Blocked"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "structured_request"
    letter.refresh_from_db()
    assert letter.status == AgencyLetter.Status.SENT
    listed = client.get("/api/v1/letters", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert [item["number"] for item in listed] == [letter.number]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_order_page_shows_the_request_answers_documents_and_deliveries(client, court, language):
    from enforcement import webhooks
    from tests.enforcement.conftest import pdf_upload

    bank = system("BANK_FUNDS")
    webhooks.set_endpoint(agency=bank.agency, url="http://127.0.0.1:9/hooks")
    order = issued_order(court, "BANK_FUNDS", bank.agency)
    bearer = token(client, bank)
    made = answer(
        client,
        bearer,
        request_of(order),
        {"outcome": "FROZEN", "accounts": [IBAN_SA], "amount_minor": 1000},
    )
    client.post(
        f"/api/v2/answers/{made.json()['id']}/document",
        {"document": pdf_upload()},
        HTTP_AUTHORIZATION=f"Bearer {bearer}",
    )
    staff = make_user("EXECUTION_STAFF", court=court, preferred_language=language)
    client.force_login(staff)

    page = client.get(f"/workspace/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE=language)

    assert page.status_code == 200
    html = page.content.decode()
    assert request_of(order).number in html
    assert "request.created" in html
    assert f"/workspace/orders/answers/{made.json()['id']}/document/" in html
    if language == "ar":
        assert 'dir="rtl"' in html
        assert "ردود الجهة" in html
    document = client.get(f"/workspace/orders/answers/{made.json()['id']}/document/")
    assert document.status_code == 200
