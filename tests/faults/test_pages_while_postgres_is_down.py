"""Pages while PostgreSQL is away: "service unavailable" (503) in both languages, never a 500."""

from __future__ import annotations

import httpx
import pytest

from enforcement.services.tokens import PREFIX as TOKEN_PREFIX
from tests.conftest import PASSWORD
from tests.faults.sale import live_sale, reconnect_database
from tests.harness.http import csrf_from, logged_in_client

pytestmark = [pytest.mark.faults, pytest.mark.servers]


def test_signing_in_while_the_database_is_down_answers_503_with_the_plain_page_then_works_again(
    on_stack,
):
    stack = on_stack
    sale = live_sale(stack, bidders=1, signed_in=False)
    email = sale.registrations[sale.lot.pk][0].bidder.email
    # The login form as the bidder had it on screen before the database went away.
    browsers = {}
    for kind in stack.web:
        client = httpx.Client(base_url=stack.base_url(kind), timeout=30)
        browsers[kind] = (client, csrf_from(client.get("/accounts/login/").text))
    answers = {}
    stack.postgres.stop("immediate")
    try:
        for kind, (client, token) in browsers.items():
            login = client.post(
                "/accounts/login/",
                data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
                headers={"Referer": f"{client.base_url}/accounts/login/"},
            )
            # A token of the right form, so that it is looked up (a malformed one is refused
            # without asking the database).
            bearer = f"Bearer {TOKEN_PREFIX}_abcd_secret"
            api = client.get("/api/v1/letters", headers={"Authorization": bearer})
            answers[kind] = (login, api)
    finally:
        stack.postgres.start()
        for client, _token in browsers.values():
            client.close()
    reconnect_database()

    for kind, (login, api) in answers.items():
        assert login.status_code == 503, (kind, login.status_code, login.text[:300])
        assert login.headers["Retry-After"].isdigit()
        assert 'data-error-page="503"' in login.text
        assert "Service unavailable" in login.text
        assert "الخدمة غير متاحة مؤقتًا" in login.text
        assert "Traceback" not in login.text
        assert "OperationalError" not in login.text
        # The API's callers get the same answer in the API's one shape.
        assert api.status_code == 503, (kind, api.status_code, api.text[:300])
        assert api.json()["code"] == "service_unavailable"
        assert api.headers["Retry-After"].isdigit()
    # Back up, the same sign-in works without anything restarted.
    for kind in stack.web:
        logged_in_client(stack.base_url(kind), email).close()
