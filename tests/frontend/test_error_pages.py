"""People never see Django's technical pages: every error is the site's own page, in their language.

The first test walks the URL resolver: every route that takes an identifier gets one that does
not exist, asked for anonymously and by a user of each role, in Arabic and in English.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

MISSING_ID = 987_654_321
# Routes that are not pages for people: Django's admin (for the platform's operators, behind
# its own login) and the agency API, whose callers are programs (it answers JSON: see below).
NOT_FOR_PEOPLE = ("admin/", "api/")
# Routes whose answer to an unknown value is a page of their own, not an error page.
OWN_ANSWER = {
    # An unknown or used password-reset link: "this link is no longer valid", with a new one.
    "accounts/password/reset/<uidb64>/<token>/": 200,
    # Anyone checking a receipt is told that no receipt has this number (in the page's layout).
    "receipts/<str:number>/verify/": 404,
    # Likewise for an agency letter: no letter has this number.
    "letters/<str:number>/verify/": 404,
    # And for a signed court document (an order, minutes): no document has this number.
    "documents/<str:number>/verify/": 404,
}
TECHNICAL = (
    "Page not found (404)",
    "Using the URLconf",
    "Traceback",
    "technical_500",
    "Django tried these URL patterns",
    "You're seeing this error because you have <code>DEBUG = True</code>",
    "Request Method:",
)
LANGUAGE = {"ar": ('lang="ar"', 'dir="rtl"'), "en": ('lang="en"', 'dir="ltr"')}
ROLES = ["anonymous", "BIDDER", "EXECUTION_STAFF", "FINANCE_STAFF", "SUPERVISOR", "AGENCY"]


def routes_with_parameters() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every route of the site that takes a parameter, with its converters."""

    def walk(patterns: list[Any], prefix: str, converters: dict[str, Any]) -> Iterator[Any]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            found = {**converters, **getattr(pattern.pattern, "converters", {})}
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route, found)
            elif isinstance(pattern, URLPattern) and "<" in route:
                yield route, found

    for route, converters in walk(get_resolver().url_patterns, "", {}):
        if not route.startswith(NOT_FOR_PEOPLE):
            yield route, converters


def missing_value(name: str, converter: Any) -> str:
    kind = type(converter).__name__
    if kind == "IntConverter":
        return str(MISSING_ID)
    if kind == "UUIDConverter":
        return str(uuid.UUID(int=MISSING_ID))
    if kind == "SlugConverter":
        return "no-such-thing"
    return "NOPE-2026-987654"


def missing_path(route: str, converters: dict[str, Any]) -> str:
    return "/" + re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: missing_value(m.group(1), converters.get(m.group(1))), route
    )


ROUTES = sorted(routes_with_parameters())


def client_for(role: str, language: str, agency: Any, court: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.cookies["mazad_language"] = language
    if role == "anonymous":
        return client
    fields: dict[str, Any] = {"preferred_language": language}
    if role == "AGENCY":
        fields["agency"] = agency
    elif role != "BIDDER":
        fields["court"] = court
    client.force_login(make_user(role, verified=role == "BIDDER", **fields))
    return client


@pytest.fixture
def agency(db: None) -> Any:
    from accounts.organisations import Agency

    return Agency.objects.create(
        code="SA-TRAFFIC",
        kind="TRAFFIC",
        country="SA",
        name_ar="الإدارة العامة للمرور",
        name_en="General Traffic Department",
    )


def ask(client: Client, path: str, language: str, *, follow: bool) -> Any:
    """GET the path; a route that only takes forms answers with its page, then gets an empty one.

    With `follow`, redirects are followed to the page the person ends on (a form refused
    before its record is looked up sends them back to the record's page).
    """
    response = client.get(path, follow=follow)
    if response.status_code == 405:
        assert_friendly(response, language, (405,))
        response = client.post(path, {}, follow=follow)
    return response


def assert_friendly(response: Any, language: str, statuses: tuple[int, ...] = (403, 404)) -> None:
    body = response.content.decode()
    assert response.status_code in statuses, response.status_code
    assert f'data-error-page="{response.status_code}' in body, "the site's own error page"
    for marker in TECHNICAL:
        assert marker not in body, marker
    for marker in LANGUAGE[language]:
        assert marker in body[:400], marker
    assert 'class="site-header"' in body, "the site's header"
    assert 'href="/"' in body, "a way back"


def test_the_walk_finds_the_route_families_people_reach():
    routes = [route for route, _converters in ROUTES]

    for family in ("lots/", "staff/auctions/", "workspace/files/", "support/tickets/", "payments/"):
        assert any(route.startswith(family) for route in routes), family
    assert "staff/auctions/<int:auction_id>/live/" in routes


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_an_unknown_id_on_every_route_gets_the_friendly_page_in_the_users_language(
    role, language, court, agency
):
    client = client_for(role, language, agency, court)
    failures: list[str] = []

    for route, converters in ROUTES:
        path = missing_path(route, converters)
        try:
            response = ask(client, path, language, follow=role != "anonymous")
        except AssertionError as error:
            failures.append(f"GET {path}: {error}")
            continue
        if route in OWN_ANSWER:
            outcome_ok = response.status_code == OWN_ANSWER[route]
            outcome_ok = outcome_ok and 'class="site-header"' in response.content.decode()
        elif role == "anonymous" and response.status_code == 302:
            outcome_ok = "/accounts/login/" in response["Location"]
        else:
            try:
                assert_friendly(response, language)
            except AssertionError as error:
                failures.append(f"{path}: {response.status_code} {error}")
            continue
        body = response.content.decode(errors="replace")
        if not outcome_ok or any(marker in body for marker in TECHNICAL):
            failures.append(f"{path}: {response.status_code}")

    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("language", "words"),
    [("ar", "هذه الصفحة غير موجودة"), ("en", "This page does not exist")],
)
def test_an_unknown_address_gets_the_404_page_in_the_visitors_language(language, words):
    client = Client(raise_request_exception=False)
    client.cookies["mazad_language"] = language

    response = client.get("/no/such/page/")

    assert_friendly(response, language, (404,))
    assert words in response.content.decode()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_records_of_another_court_get_the_friendly_page_as_if_they_did_not_exist(
    court, other_court, language
):
    from tests.auction import factories
    from tests.support.conftest import open_ticket

    auction = factories.auction(other_court)
    ticket = open_ticket(make_user("BIDDER", verified=True), other_court)
    client = Client(raise_request_exception=False)
    client.force_login(make_user("EXECUTION_STAFF", court=court, preferred_language=language))

    board = client.get(f"/staff/auctions/{auction.pk}/live/")
    answer = client.get(f"/support/tickets/{ticket.number}/")

    assert_friendly(board, language, (404,))
    assert_friendly(answer, language, (404,))


@pytest.mark.parametrize(
    ("language", "words"),
    [("ar", "لا يمكن فتح هذه الصفحة مباشرة"), ("en", "This page cannot be opened directly")],
)
def test_opening_an_address_that_only_receives_forms_gets_a_page_that_says_so(
    court, language, words
):
    # As after a form sent while logged out: the login then opens the form's address.
    from tests.auction import factories

    lot = factories.lot(court)
    client = Client(raise_request_exception=False)
    client.force_login(make_user("BIDDER", verified=True, preferred_language=language))

    response = client.get(f"/lots/{lot.pk}/watch/")

    assert_friendly(response, language, (405,))
    assert words in response.content.decode()
    assert response["Allow"] == "POST"


def test_the_agency_api_answers_an_unknown_address_in_its_own_json_shape():
    response = Client(raise_request_exception=False).get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_request_with_a_host_that_is_not_ours_gets_the_400_page(language):
    client = Client(raise_request_exception=False)
    client.cookies["mazad_language"] = language

    response = client.get("/", HTTP_HOST="mazad.evil.example")

    assert_friendly(response, language, (400,))


def test_a_query_with_too_many_fields_gets_the_400_page():
    query = "&".join(f"f{n}=1" for n in range(1_100))
    client = Client(raise_request_exception=False)
    client.cookies["mazad_language"] = "ar"

    response = client.get(f"/auctions/?{query}")

    assert_friendly(response, "ar", (400,))


@pytest.mark.parametrize(
    ("language", "words"), [("ar", "انتهت صلاحية هذا النموذج"), ("en", "This form has expired")]
)
def test_a_form_sent_without_its_security_token_gets_the_expired_form_page(language, words):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["mazad_language"] = language

    response = client.post("/accounts/login/", {"username": "a@b.example", "password": "x"})

    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-error-page="403-form"' in body
    assert words in body
    assert "CSRF" not in body


@override_settings(ROOT_URLCONF="tests.frontend.failing_urls", DEBUG=False)
@pytest.mark.parametrize(
    ("language", "words"),
    [("ar", "حدث خطأ من جهتنا"), ("en", "Something went wrong on our side")],
)
def test_a_fault_gets_the_500_page_in_the_sites_layout_and_the_visitors_language(language, words):
    client = Client(raise_request_exception=False)
    client.cookies["mazad_language"] = language

    response = client.get("/fails/")

    assert_friendly(response, language, (500,))
    assert words in response.content.decode()


def test_a_fault_that_breaks_the_layout_too_gets_the_plain_bilingual_page(settings):
    settings.ROOT_URLCONF = "tests.frontend.failing_urls"
    templates = [{**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"]}}]
    templates[0]["OPTIONS"]["context_processors"] = [
        *templates[0]["OPTIONS"]["context_processors"],
        "tests.frontend.failing_urls.database_away",
    ]
    settings.TEMPLATES = templates

    response = Client(raise_request_exception=False).get("/fails-and-breaks-the-layout/")

    body = response.content.decode()
    assert response.status_code == 500
    assert 'data-error-page="500"' in body
    assert "حدث خطأ من جهتنا" in body
    assert "Something went wrong on our side" in body
    assert not any(marker in body for marker in TECHNICAL)


@override_settings(ROOT_URLCONF="tests.frontend.failing_urls", DEBUG=False)
def test_a_request_the_unreachable_database_failed_gets_503_service_unavailable_not_500():
    client = Client(raise_request_exception=False)

    page = client.get("/database-unreachable/")
    api = client.get("/api/database-unreachable/")

    body = page.content.decode()
    assert page.status_code == 503
    assert page["Retry-After"].isdigit()
    assert 'data-error-page="503"' in body
    assert "الخدمة غير متاحة مؤقتًا" in body
    assert "Service unavailable" in body
    assert not any(marker in body for marker in TECHNICAL)
    assert api.status_code == 503
    assert api["Retry-After"].isdigit()
    assert api.json()["code"] == "service_unavailable"
    assert api.json()["field"] is None


def test_the_technical_pages_come_back_only_when_a_developer_sets_debug(tmp_path):
    # Off by default: tests/core/test_settings.py checks the embedded default.
    from tests.core.test_settings import probe

    found = probe({"SQLITE_PATH": str(tmp_path / "debug.sqlite3"), "DEBUG": "true"})

    assert found["debug"] is True
