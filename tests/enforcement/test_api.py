"""The agency API: schema, token authentication, fetching and answering letters, fuzzing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.services import assign_role
from enforcement import services
from enforcement.models import AgencyLetter
from tests.conftest import ARTIFACTS, make_user
from tests.enforcement.conftest import open_file, tomorrow

API = "/api/v1"


@pytest.fixture
def letter(staff, file, agency):
    return services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind="SEIZE",
        language="ar",
        due_on=tomorrow(),
    )


@pytest.fixture
def key(agency_user):
    return services.issue_api_token(actor=agency_user, name="Traffic system").key


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.mark.django_db
def test_the_schema_is_served_with_bearer_authentication(client):
    response = client.get(f"{API}/openapi.json")

    schema = response.json()
    assert response.status_code == 200
    assert {"/api/v1/letters", "/api/v1/letters/{number}/answer"} <= set(schema["paths"])
    assert any(s["scheme"] == "bearer" for s in schema["components"]["securitySchemes"].values())


@pytest.mark.django_db
def test_an_agency_fetches_and_answers_a_letter_with_its_token(client, letter, key, agency_user):
    listed = client.get(f"{API}/letters", **bearer(key)).json()
    fetched = client.get(f"{API}/letters/{letter.number}", **bearer(key)).json()

    answered = client.post(
        f"{API}/letters/{letter.number}/answer",
        {"answer": "The vehicle is seized in our records."},
        content_type="application/json",
        **bearer(key),
    )

    assert [item["number"] for item in listed] == [letter.number]
    assert fetched["subject"] == letter.subject
    assert fetched["court"] == "RYC"
    assert answered.status_code == 200
    assert answered.json()["status"] == "ANSWERED"
    letter.refresh_from_db()
    assert letter.answered_by == agency_user
    assert letter.answer == "The vehicle is seized in our records."


@pytest.mark.django_db
def test_the_letter_pdf_is_served_over_the_api(client, letter, key):
    response = client.get(f"{API}/letters/{letter.number}/pdf", **bearer(key))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


@pytest.mark.django_db
def test_without_a_valid_token_nothing_is_served(client, letter, key):
    for headers in ({}, bearer("mzd_nothing_here"), bearer(key + "x"), {"HTTP_AUTHORIZATION": key}):
        response = client.get(f"{API}/letters", **headers)

        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


@pytest.mark.django_db
def test_a_revoked_token_or_a_former_agency_user_is_refused(client, court, letter, agency_user):
    issued = services.issue_api_token(actor=agency_user, name="Old")
    other = services.issue_api_token(actor=agency_user, name="Other")
    services.revoke_api_token(actor=agency_user, token_id=issued.token.pk)

    revoked = client.get(f"{API}/letters", **bearer(issued.key))
    assign_role(actor=None, user_id=agency_user.pk, role="EXECUTION_STAFF", court_id=court.pk)
    demoted = client.get(f"{API}/letters", **bearer(other.key))

    assert revoked.status_code == 401
    assert demoted.status_code == 401


@pytest.mark.django_db
def test_another_agencys_letter_is_not_found_and_is_not_changed(client, letter, other_agency):
    outsider = make_user("AGENCY", agency=other_agency)
    key = services.issue_api_token(actor=outsider, name="Registry").key

    fetched = client.get(f"{API}/letters/{letter.number}", **bearer(key))
    answered = client.post(
        f"{API}/letters/{letter.number}/answer",
        {"answer": "x"},
        content_type="application/json",
        **bearer(key),
    )

    assert fetched.status_code == 404
    assert answered.status_code == 404
    assert answered.json()["code"] == "not_found"
    assert client.get(f"{API}/letters", **bearer(key)).json() == []
    letter.refresh_from_db()
    assert letter.status == AgencyLetter.Status.SENT


@pytest.mark.django_db
def test_answering_twice_is_refused_in_the_error_shape(client, letter, key):
    url = f"{API}/letters/{letter.number}/answer"
    client.post(url, {"answer": "First"}, content_type="application/json", **bearer(key))

    again = client.post(url, {"answer": "Second"}, content_type="application/json", **bearer(key))

    assert again.status_code == 409
    assert set(again.json()) == {"code", "field", "params", "message"}
    assert again.json()["code"] == "invalid_transition"
    letter.refresh_from_db()
    assert letter.answer == "First"


@pytest.mark.django_db
def test_an_empty_answer_is_refused_and_changes_nothing(client, letter, key):
    response = client.post(
        f"{API}/letters/{letter.number}/answer",
        {"answer": ""},
        content_type="application/json",
        **bearer(key),
    )

    assert response.status_code == 422
    assert response.json()["field"] == "answer"
    letter.refresh_from_db()
    assert letter.status == AgencyLetter.Status.SENT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "language", "message"),
    [
        ("a\u0000b", "en", "Remove the control characters"),
        ("a\u0000b", "ar", "أزل أحرف التحكم"),
        ("seized\u001b[31m", "en", "Remove the control characters"),
        ("C1 \u009b31m control", "en", "Remove the control characters"),
    ],
)
def test_an_answer_with_a_nul_or_control_character_is_refused_naming_answer_and_changes_nothing(
    client, letter, key, answer, language, message
):
    before = AgencyLetter.objects.values().get(pk=letter.pk)

    response = client.post(
        f"{API}/letters/{letter.number}/answer",
        json.dumps({"answer": answer}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
        **bearer(key),
    )

    assert response.status_code == 422
    assert response.json()["code"] == "control_character"
    assert response.json()["field"] == "answer"
    assert message in response.json()["message"]
    assert AgencyLetter.objects.values().get(pk=letter.pk) == before


@pytest.mark.django_db
def test_an_answer_keeps_its_line_breaks_and_tabs(client, letter, key):
    text = "Seized on 2026-11-02.\r\n\tPlate: ABC 1234\nNo other record."

    response = client.post(
        f"{API}/letters/{letter.number}/answer",
        {"answer": text},
        content_type="application/json",
        **bearer(key),
    )

    assert response.status_code == 200
    letter.refresh_from_db()
    assert letter.answer == text


@pytest.mark.django_db
def test_overdue_letters_come_first(client, staff, file, agency, key):
    later = services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind="INQUIRY",
        language="en",
        due_on=tomorrow(),
    )
    overdue = services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind="SEIZE",
        language="en",
        due_on=tomorrow(),
    )
    AgencyLetter.objects.filter(pk=overdue.pk).update(
        due_on=timezone.localdate() - timezone.timedelta(days=2)
    )

    listed = client.get(f"{API}/letters", **bearer(key)).json()

    assert [item["number"] for item in listed] == [overdue.number, later.number]
    assert listed[0]["is_overdue"] is True


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error(web_servers, court, staff, agency, agency_user):
    file = open_file(staff)
    for subject in ("SEIZE", "INQUIRY"):
        services.send_letter(
            actor=staff,
            file_id=file.pk,
            agency_id=agency.pk,
            subject_kind=subject,
            language="en",
            due_on=tomorrow(),
        )
    key = services.issue_api_token(actor=agency_user, name="Fuzzer").key
    server = web_servers["uvicorn"]
    report = ARTIFACTS / "schemathesis"
    report.mkdir(parents=True, exist_ok=True)

    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{server.base_url}{API}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--header",
            f"Authorization: Bearer {key}",
            "--max-examples",
            "20",
            "--workers",
            "2",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-database",
            "none",
            "--request-timeout",
            "20",
            "--seed",
            "2026",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        cwd=report,
    )

    (report / "output.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-4000:]
