"""Login throttling, session fixation, CSRF on every state-changing endpoint, security headers."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_five_failed_log_ins_lock_the_account_out_even_with_the_right_password(client):
    user = make_user(email="target@example.com")
    url = reverse("accounts:login")

    for _ in range(5):
        client.post(url, {"username": "target@example.com", "password": "wrong-guess"})
    locked = client.post(url, {"username": "target@example.com", "password": PASSWORD})

    assert locked.status_code == 429
    assert "Too many attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert user.pk


def test_a_lockout_does_not_touch_another_account(client):
    make_user(email="target@example.com")
    other = make_user(email="other@example.com")
    url = reverse("accounts:login")
    for _ in range(5):
        client.post(url, {"username": "target@example.com", "password": "wrong-guess"})

    client.post(url, {"username": "other@example.com", "password": PASSWORD})

    assert client.session["_auth_user_id"] == str(other.pk)


def test_logging_in_gives_a_new_session_id(client):
    make_user(email="ali@example.com")
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key

    client.post(reverse("accounts:login"), {"username": "ali@example.com", "password": PASSWORD})

    assert client.session.session_key != before


# Endpoints that take POSTs from elsewhere than our forms: the provider's signed webhook and the
# agencies' APIs, which authenticate each request with a token (v1) or an OAuth2 bearer token
# (v2, tests/agencies/), never a cookie, so no CSRF.
# Also the OAuth2 token and revocation endpoints (client credentials in the request, no cookie)
# and the public receipt check's JSON API (stateless: it reads no cookie and stores nothing).
CSRF_EXEMPT = {
    "payments:stripe_webhook",
    "oauth_token",
    "oauth_revoke",
    "signed_receipt_verify_api",
}
CSRF_EXEMPT_PREFIXES = ("agency_api:", "agencies_api:")


def endpoints(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from endpoints(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}", pattern


def dummy_kwargs(pattern: URLPattern) -> dict[str, object]:
    if pattern.name == "app_list":  # the admin's one route with a fixed list of values
        return {"app_label": "auth"}
    values = {
        "int": 1,
        "str": "X-1",
        "slug": "x",
        "uuid": "00000000-0000-0000-0000-000000000001",
        "path": "x",
    }
    return {
        name: values.get(type(converter).__name__.replace("Converter", "").lower(), "x")
        for name, converter in pattern.pattern.converters.items()
    }


def test_every_endpoint_refuses_a_post_without_a_csrf_token_except_the_signed_ones():
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    unprotected = []

    for name, pattern in sorted(endpoints()):
        if name in CSRF_EXEMPT or name.startswith(CSRF_EXEMPT_PREFIXES):
            continue
        try:
            url = reverse(name, kwargs=dummy_kwargs(pattern))
        except Exception:
            unprotected.append(f"{name} (could not build a URL)")
            continue
        response = client.post(url, {"anything": "1"})
        # The refusal is the "form expired" page (frontend.views.csrf_failure), not another 403.
        if response.status_code != 403 or b'data-error-page="403-form"' not in response.content:
            unprotected.append(f"{name} → {response.status_code}")

    assert not unprotected, unprotected


def test_html_pages_carry_the_security_headers(client):
    response = client.get("/", secure=True)

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "base-uri 'self'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_no_template_has_an_inline_script_or_event_handler():
    import re

    from tests.harness.servers import ROOT

    offenders = []
    for path in (ROOT / "frontend" / "templates").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(
            r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", text
        ):
            offenders.append(f"{path.name}: {match.group(0)}")
        for match in re.finditer(r"\son[a-z]+=\"", text):
            offenders.append(f"{path.name}: {match.group(0)}")

    assert not offenders, offenders
