"""A supervisor enrols a passkey, signs in with it, and approves a payment only with a fresh one.

Chromium's own virtual authenticator (CDP `WebAuthn`) stands in for the phone or security
key: a real CTAP2 platform authenticator with resident keys and user verification, whose
answers py_webauthn checks on the server exactly as it would a person's device.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import Passkey
from aftersale import services as aftersale
from aftersale.models import Disbursement
from payments import services as payments
from payments.models import CourtAccount, Method
from tests.aftersale import helpers
from tests.conftest import ARTIFACTS, PASSWORD, make_user, server_env
from tests.harness.servers import Server, free_port, start_web

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

TEXT = {
    "ar": {
        "dir": "rtl",
        "login": "تسجيل الدخول",
        "add": "إضافة مفتاح مرور",
        "use": "استخدام مفتاح المرور",
        "approve": "اعتماد",
    },
    "en": {
        "dir": "ltr",
        "login": "Log in",
        "add": "Add a passkey",
        "use": "Use my passkey",
        "approve": "Approve",
    },
}

# Base64url helpers and the two ceremonies' encodings, for the tests that forge answers.
JS_HELPERS = """
const toBytes = (t) => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/')
  + '='.repeat((4 - t.length % 4) % 4)), (c) => c.charCodeAt(0));
const toText = (b) => btoa(String.fromCharCode(...new Uint8Array(b)))
  .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const csrf = document.querySelector('input[name=csrfmiddlewaretoken]').value;
const post = async (url, body) => {
  const r = await fetch(url, {method: 'POST',
    headers: {'X-CSRFToken': csrf, 'Content-Type': 'application/json'},
    body: typeof body === 'string' ? body : JSON.stringify(body)});
  return {status: r.status, body: await r.json()};
};
"""


@pytest.fixture(scope="module")
def site(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[Server, str]]:
    """A web process whose SITE_URL is http://localhost:PORT: the passkeys' relying party.

    WebAuthn takes a domain as relying party (never an IP address); localhost is one, and
    browsers treat it as a secure origin without TLS.
    """
    port = free_port()
    base = f"http://localhost:{port}"
    env = {**server_env(), "SITE_URL": base, "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    server = start_web("daphne", env, ARTIFACTS / "logs", port=port, timeout=90)
    try:
        yield server, base
    finally:
        server.stop()


def with_authenticator(browser: Any, base: str, language: str) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=language)
    context.add_cookies([{"name": "mazad_language", "value": language, "url": base}])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return context, page


def prepared_disbursement(court: Any) -> Disbursement:
    CourtAccount.objects.create(court=court, iban="SA0380000000608010167519", bank_name="Demo Bank")
    maker = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, maker, file=helpers.file_with(court, claim=90_000_000))
    payment = aftersale.start_balance_payment(
        buyer=sale.buyer, sale_id=sale.pk, method=Method.BANK_TRANSFER
    )
    payments.confirm_bank_transfer(actor=maker, payment=payment, note="Statement line 4")
    item = Disbursement.objects.get(distribution__file=sale.file)
    aftersale.prepare_disbursement(actor=maker, disbursement_id=item.pk, note="IBAN checked")
    item.refresh_from_db()
    return item


def age_second_factor(context: Any, seconds: int) -> None:
    """Move the session's last proof `seconds` into the past, as if that time had gone by."""
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.mfa import SESSION_PROVED_AT

    key = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=key)
    session[SESSION_PROVED_AT] = session[SESSION_PROVED_AT] - seconds
    session.save()


def log_in_with_password(page: Any, base: str, user: Any, language: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=TEXT[language]["login"], exact=True).last.click()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_supervisor_approves_a_disbursement_only_with_a_passkey_from_the_last_minute(
    browser: Any, site: tuple[Server, str], court: Any, screenshot_dir: Any, language: str
) -> None:
    _server, base = site
    item = prepared_disbursement(court)
    supervisor = make_user(
        "SUPERVISOR", court=court, second_factor=False, preferred_language=language
    )
    context, page = with_authenticator(browser, base, language)

    # After the password, a supervisor without a second factor reaches only the enrolment page.
    log_in_with_password(page, base, supervisor, language)
    page.wait_for_url("**/accounts/security/**")
    assert page.locator("html").get_attribute("dir") == TEXT[language]["dir"]
    distribution_page = base + f"/finance/distributions/{item.distribution_id}/"
    page.goto(distribution_page)
    assert "/accounts/security/" in page.url
    page.screenshot(path=screenshot_dir / f"passkey-enrol-{language}.png", full_page=True)
    page.get_by_role("button", name=TEXT[language]["add"]).click()
    page.wait_for_url(distribution_page)  # where they were going
    assert Passkey.objects.filter(user=supervisor).count() == 1

    # Signed out, they sign in again: the password, then the passkey.
    context.clear_cookies()
    context.add_cookies([{"name": "mazad_language", "value": language, "url": base}])
    log_in_with_password(page, base, supervisor, language)
    page.wait_for_url("**/accounts/second-factor/**")
    page.screenshot(path=screenshot_dir / f"passkey-sign-in-{language}.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / f"passkey-sign-in-phone-{language}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name=TEXT[language]["use"]).click()
    page.wait_for_url(base + "/workspace/")

    # A minute later, approving is refused until a new passkey assertion.
    age_second_factor(context, 61)
    page.goto(distribution_page)
    page.get_by_role("button", name=TEXT[language]["approve"]).click()
    page.wait_for_url("**/accounts/second-factor/?*step_up=1*")
    page.screenshot(path=screenshot_dir / f"passkey-step-up-{language}.png", full_page=True)
    item.refresh_from_db()
    assert item.status == "PREPARED"
    assert item.approved_by_id is None

    page.get_by_role("button", name=TEXT[language]["use"]).click()
    page.wait_for_url(distribution_page)
    page.get_by_role("button", name=TEXT[language]["approve"]).click()
    page.wait_for_load_state()
    item.refresh_from_db()
    assert item.approved_by_id == supervisor.pk
    assert item.status != "PREPARED"
    page.screenshot(path=screenshot_dir / f"passkey-approved-{language}.png", full_page=True)
    context.close()


def test_forged_garbled_or_misdirected_passkey_answers_are_refused_and_change_nothing(
    browser: Any, site: tuple[Server, str], court: Any, screenshot_dir: Any
) -> None:
    _server, base = site
    supervisor = make_user("SUPERVISOR", court=court, second_factor=False)
    context, page = with_authenticator(browser, base, "en")
    log_in_with_password(page, base, supervisor, "en")
    page.wait_for_url("**/accounts/security/**")
    page.get_by_role("button", name=TEXT["en"]["add"]).click()
    page.wait_for_url(base + "/workspace/")
    context.clear_cookies()
    log_in_with_password(page, base, supervisor, "en")
    page.wait_for_url("**/accounts/second-factor/**")
    passkey = Passkey.objects.get(user=supervisor)

    results = page.evaluate(
        "async () => {"
        + JS_HELPERS
        + """
        const out = {};
        const options = '/accounts/second-factor/passkey/options/';
        const verify = '/accounts/second-factor/passkey/';
        out.noChallenge = await post(verify, '{"rawId": "AAAA"}');
        await post(options, {});
        out.garbled = await post(verify, 'not json at all {');
        out.reused = await post(verify, '{"rawId": "AAAA"}');
        const sign = async (challenge) => {
          const real = (await post(options, {})).body;
          const c = await navigator.credentials.get({publicKey: {
            challenge: challenge || toBytes(real.challenge), rpId: real.rpId,
            allowCredentials: real.allowCredentials.map((d) => ({...d, id: toBytes(d.id)})),
            userVerification: 'required'}});
          return {id: c.id, rawId: toText(c.rawId), type: c.type, response: {
            clientDataJSON: toText(c.response.clientDataJSON),
            authenticatorData: toText(c.response.authenticatorData),
            signature: toText(c.response.signature),
            userHandle: c.response.userHandle ? toText(c.response.userHandle) : null}};
        };
        const other = crypto.getRandomValues(new Uint8Array(32));
        out.wrongChallenge = await post(verify, await sign(other));
        const answer = await sign(null);
        const data = JSON.parse(new TextDecoder().decode(toBytes(answer.response.clientDataJSON)));
        data.origin = 'https://mazad.evil.example';
        answer.response.clientDataJSON = toText(new TextEncoder().encode(JSON.stringify(data)));
        out.wrongOrigin = await post(verify, answer);
        const forged = await sign(null);
        const signature = toBytes(forged.response.signature);
        signature[signature.length - 1] ^= 0xff;
        forged.response.signature = toText(signature);
        out.forged = await post(verify, forged);
        return out;
      }"""
    )
    expected = {
        "noChallenge": "passkey_challenge_missing",
        "garbled": "passkey_invalid",
        "reused": "passkey_challenge_missing",
        "wrongChallenge": "passkey_invalid",
        "wrongOrigin": "passkey_invalid",
        "forged": "passkey_invalid",
    }
    for name, code in expected.items():
        assert results[name]["status"] == 400, (name, results[name])
        assert results[name]["body"]["error"]["code"] == code, (name, results[name])
        assert results[name]["body"]["error"]["message"], name
    # Nothing moved: the counter is where it was and the session is still unproved.
    sign_count = passkey.sign_count
    passkey.refresh_from_db()
    assert passkey.sign_count == sign_count
    page.goto(base + "/workspace/")
    assert "/accounts/second-factor/" in page.url
    # The real answer still works afterwards.
    page.get_by_role("button", name=TEXT["en"]["use"]).click()
    page.wait_for_url(base + "/workspace/")
    # The fallback: an authenticator app's QR code and key, on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/accounts/security/?totp=1")
    assert page.locator(".totp-qr svg").count() == 1
    page.screenshot(path=screenshot_dir / "totp-setup-phone-en.png", full_page=True)
    context.close()
