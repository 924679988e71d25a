"""Typed answers through the agencies API: what each does to the order, and what is refused."""

from __future__ import annotations

import pytest

from core.models import AuditRecord
from enforcement.models import AgencyAnswer
from tests.agencies.helpers import issued_order, request_of, system, token
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def post(client, bearer, path, body, **headers):
    return client.post(
        path,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer}",
        **headers,
    )


def test_a_bank_freezes_then_transfers_and_the_order_shows_both(client, court):
    bank = system("BANK_FUNDS")
    order = issued_order(court, "BANK_FUNDS", bank.agency, claim_minor=1_000_000, costs_minor=0)
    assert order.amount_ordered_minor == 1_000_000
    letter = request_of(order)
    assert letter.payload["action"] == "freeze_funds"
    bearer = token(client, bank)

    listed = client.get("/api/v2/requests", HTTP_AUTHORIZATION=f"Bearer {bearer}").json()
    assert [item["number"] for item in listed["items"]] == [letter.number]

    frozen = post(
        client,
        bearer,
        f"/api/v2/requests/{letter.number}/answers",
        {"outcome": "FROZEN", "accounts": [order.target_iban], "amount_minor": 600_000},
    )
    assert frozen.status_code == 201, frozen.content
    order.refresh_from_db()
    assert (order.status, order.amount_seized_minor) == ("EXECUTED", 600_000)

    transferred = post(
        client,
        bearer,
        f"/api/v2/requests/{letter.number}/answers",
        {"outcome": "TRANSFERRED", "amount_minor": 600_000, "reference": "TRF-2026-0001"},
    )
    assert transferred.status_code == 201, transferred.content
    order.refresh_from_db()
    assert order.amount_transferred_minor == 600_000
    assert AgencyAnswer.objects.filter(order=order).count() == 2
    assert AuditRecord.objects.filter(action="order.agency_executed").exists()
    # The letter and the file's history keep the amounts in the file's currency, not minor units.
    letter.refresh_from_db()
    assert f"6000.00 {order.file.currency}" in letter.answer
    notes = AuditRecord.objects.filter(
        object_id=str(order.pk), object_type="enforcement.seizureorder"
    ).values_list("note", flat=True)
    assert any(f"6000.00 {order.file.currency} · TRF-2026-0001" in note for note in notes)
    assert not any("600000" in note for note in notes)


def answer_path(letter):
    return f"/api/v2/requests/{letter.number}/answers"


def snapshot(order):
    order.refresh_from_db()
    return (
        order.status,
        order.amount_seized_minor,
        order.amount_transferred_minor,
        AgencyAnswer.objects.filter(order=order).count(),
        AuditRecord.objects.filter(
            object_id=str(order.pk), object_type="enforcement.seizureorder"
        ).count(),
    )


def problem_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_an_answer_for_another_agencys_order_is_not_found_and_changes_nothing(client, court):
    bank = system("BANK_FUNDS")
    other = system("BANK_FUNDS", code="SA-OTHER-BANK")
    order = issued_order(court, "BANK_FUNDS", bank.agency)
    before = snapshot(order)

    response = post(
        client,
        token(client, other),
        answer_path(request_of(order)),
        {"outcome": "NOTHING_FOUND"},
    )

    assert problem_of(response, 404)["code"] == "not_found"
    assert snapshot(order) == before


def test_amounts_above_the_order_or_the_frozen_funds_are_refused(client, court):
    bank = system("BANK_FUNDS")
    order = issued_order(court, "BANK_FUNDS", bank.agency, claim_minor=500_000, costs_minor=0)
    bearer = token(client, bank)
    path = answer_path(request_of(order))
    before = snapshot(order)

    above = post(
        client, bearer, path, {"outcome": "FROZEN", "accounts": ["XX00"], "amount_minor": 500_001}
    )
    body = problem_of(above, 422)
    assert {(item["field"], item["code"]) for item in body["errors"]} == {
        ("amount_minor", "amount_above_order"),
        ("accounts[0]", "iban_invalid"),
    }
    assert snapshot(order) == before

    assert (
        post(
            client,
            bearer,
            path,
            {"outcome": "FROZEN", "accounts": [order.target_iban], "amount_minor": 200_000},
        ).status_code
        == 201
    )
    frozen = snapshot(order)
    too_much = post(
        client,
        bearer,
        path,
        {"outcome": "TRANSFERRED", "amount_minor": 200_001, "reference": "TRF-1"},
    )
    assert [e["code"] for e in problem_of(too_much, 422)["errors"]] == ["transfer_above_frozen"]
    assert snapshot(order) == frozen


def test_every_invalid_field_is_listed_in_one_problem(client, court):
    bank = system("BANK_FUNDS")
    order = issued_order(court, "BANK_FUNDS", bank.agency)
    response = post(
        client,
        token(client, bank),
        answer_path(request_of(order)),
        {"outcome": "FROZEN", "location": "somewhere", "colour": "red", "amount_minor": -1},
    )
    body = problem_of(response, 422)
    fields = {item["field"] for item in body["errors"]}
    assert {"colour", "amount_minor"} <= fields
    assert body["type"] == "urn:mazad:error:invalid"

    response = post(
        client,
        token(client, bank),
        answer_path(request_of(order)),
        {"outcome": "FROZEN", "location": "somewhere"},
    )
    codes = {(item["field"], item["code"]) for item in problem_of(response, 422)["errors"]}
    assert codes == {
        ("location", "not_applicable"),
        ("accounts", "required"),
        ("amount_minor", "required"),
    }


def test_an_answer_to_a_lifted_order_is_refused(client, court):
    from enforcement import services

    traffic = system("VEHICLE")
    order = issued_order(court, "VEHICLE", traffic.agency)
    judge = make_user("SUPERVISOR", court=court)
    services.lift_order(actor=judge, order_id=order.pk, reason="Settled")
    before = snapshot(order)

    response = post(
        client, token(client, traffic), answer_path(request_of(order)), {"outcome": "BLOCKED"}
    )

    assert problem_of(response, 409)["code"] == "order_lifted"
    assert snapshot(order) == before


def test_the_same_idempotency_key_replays_and_with_another_body_conflicts(client, court):
    traffic = system("VEHICLE")
    order = issued_order(court, "VEHICLE", traffic.agency)
    bearer = token(client, traffic)
    path = answer_path(request_of(order))

    first = post(client, bearer, path, {"outcome": "BLOCKED"}, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, bearer, path, {"outcome": "BLOCKED"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    after = snapshot(order)

    other = post(
        client,
        bearer,
        path,
        {"outcome": "BLOCKED", "location": "Lot 9"},
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert problem_of(other, 409)["code"] == "idempotency_key_reused"
    twice = post(client, bearer, path, {"outcome": "NOTHING_FOUND"}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert problem_of(twice, 409)["code"] == "already_answered"
    assert snapshot(order) == after


def test_a_document_must_be_a_pdf_or_an_image_by_its_content(client, court):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.enforcement.conftest import pdf_upload, png_upload

    registry = system("REAL_ESTATE")
    order = issued_order(court, "REAL_ESTATE", registry.agency)
    bearer = token(client, registry)
    made = post(
        client,
        bearer,
        answer_path(request_of(order)),
        {"outcome": "ANNOTATED", "reference": "ANN-77"},
    )
    assert made.status_code == 201, made.content
    order.refresh_from_db()
    assert (order.status, order.annotation_number) == ("EXECUTED", "ANN-77")
    path = f"/api/v2/answers/{made.json()['id']}/document"

    fake = SimpleUploadedFile(
        "deed.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf"
    )
    refused = client.post(path, {"document": fake}, HTTP_AUTHORIZATION=f"Bearer {bearer}")
    assert [e["code"] for e in problem_of(refused, 422)["errors"]] == ["document_type"]
    assert not AgencyAnswer.objects.get(pk=made.json()["id"]).document

    accepted = client.post(
        path, {"document": png_upload("scan.pdf")}, HTTP_AUTHORIZATION=f"Bearer {bearer}"
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["document_type"] == "image/png"
    second = client.post(path, {"document": pdf_upload()}, HTTP_AUTHORIZATION=f"Bearer {bearer}")
    assert problem_of(second, 409)["code"] == "document_already_attached"


def test_expired_and_out_of_scope_tokens_are_refused(client, court):
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    bank = system("BANK_FUNDS", verbs=("read",))
    order = issued_order(court, "BANK_FUNDS", bank.agency)
    bearer = token(client, bank)
    before = snapshot(order)

    read_only = post(client, bearer, answer_path(request_of(order)), {"outcome": "NOTHING_FOUND"})
    assert problem_of(read_only, 403)["code"] == "insufficient_scope"

    widened = client.post(
        "/api/oauth/token/",
        {"grant_type": "client_credentials", "scope": "orders:bank:answer"},
        HTTP_AUTHORIZATION=bank.basic,
    )
    assert widened.status_code == 400
    assert widened.json()["error"] == "invalid_scope"

    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    expired = client.get("/api/v2/requests", HTTP_AUTHORIZATION=f"Bearer {bearer}")
    assert problem_of(expired, 401)["code"] == "invalid_token"
    assert expired["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(order) == before


def test_a_traffic_system_does_not_see_bank_requests_of_its_agency(client, court):
    bank = system("BANK_FUNDS")
    order = issued_order(court, "BANK_FUNDS", bank.agency)
    from enforcement import oauth

    passports_only = oauth.register_application(
        agency=bank.agency,
        name="other",
        scopes=["orders:passports:read", "orders:passports:answer"],
    )
    from tests.agencies.helpers import System

    other = System(
        bank.agency, passports_only.client_id, passports_only.client_secret, passports_only.binding
    )
    bearer = token(client, other)
    assert (
        client.get("/api/v2/requests", HTTP_AUTHORIZATION=f"Bearer {bearer}").json()["items"] == []
    )
    response = post(client, bearer, answer_path(request_of(order)), {"outcome": "NOTHING_FOUND"})
    assert problem_of(response, 403)["code"] == "insufficient_scope"


def test_the_pull_api_pages_by_cursor_and_updated_since(client, court):
    traffic = system("VEHICLE")
    orders = [issued_order(court, "VEHICLE", traffic.agency) for _ in range(3)]
    bearer = token(client, traffic)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"}

    first = client.get("/api/v2/requests", {"limit": 2}, **auth).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    second = client.get(
        "/api/v2/requests", {"limit": 2, "cursor": first["next_cursor"]}, **auth
    ).json()
    assert second["next_cursor"] is None
    numbers = [item["number"] for item in first["items"] + second["items"]]
    assert numbers == [request_of(order).number for order in orders]

    since = first["items"][-1]["updated_at"]
    post(client, bearer, answer_path(request_of(orders[0])), {"outcome": "BLOCKED"})
    changed = client.get("/api/v2/requests", {"updated_since": since}, **auth).json()
    assert [item["number"] for item in changed["items"]] == [
        request_of(orders[2]).number,
        request_of(orders[0]).number,
    ]
    bad = client.get("/api/v2/requests", {"cursor": "!!nope"}, **auth)
    assert problem_of(bad, 422)["errors"][0]["field"] == "cursor"


def test_the_rate_limit_answers_429_with_retry_after(client, court, settings):
    settings.AGENCY_API_RATE = "3/m"
    traffic = system("VEHICLE")
    bearer = token(client, traffic)
    statuses = [
        client.get("/api/v2/requests", HTTP_AUTHORIZATION=f"Bearer {bearer}").status_code
        for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    limited = client.get("/api/v2/requests", HTTP_AUTHORIZATION=f"Bearer {bearer}")
    assert problem_of(limited, 429)["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0


def test_the_openapi_document_describes_answers_with_examples(client):
    schema = client.get("/api/v2/openapi.json").json()
    answer = schema["components"]["schemas"]["AnswerIn"]
    assert answer["examples"][0]["outcome"] == "FROZEN"
    assert "/api/v2/requests/{number}/answers" in schema["paths"]
