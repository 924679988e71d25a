"""The identity tests' digital-ID provider: a real OpenID Connect provider started as its own
process on loopback (tests/harness/identity_provider.py), and the browser-side of its flow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import ARTIFACTS
from tests.harness.identity_provider import IdentityProvider, identity_provider

SITE_URL = "http://127.0.0.1:8000"
# sub at the provider → the claims it vouches for
PEOPLE = {
    "person-amal": {
        "national_id": "1000000016",
        "name": "Amal Saad Alharbi",
        "birthdate": "1990-04-12",
    },
    "person-badr": {
        "national_id": "1000000024",
        "name": "Badr Nasser Alotaibi",
        "birthdate": "1985-11-02",
    },
    "person-debtor": {
        "national_id": "1000000032",
        "name": "Dalal Fahad Alqahtani",
        "birthdate": "1979-01-30",
    },
    "person-bad-number": {
        "national_id": "1234",
        "name": "No Valid Number",
        "birthdate": "1979-01-30",
    },
}
CALLBACK = "/accounts/digital-id/sa/callback/"


@pytest.fixture(scope="module")
def provider() -> Iterator[IdentityProvider]:
    with identity_provider(PEOPLE, [SITE_URL + CALLBACK], ARTIFACTS / "logs") as started:
        yield started


@pytest.fixture
def digital_id_settings(settings: Any, provider: IdentityProvider) -> IdentityProvider:
    settings.SITE_URL = SITE_URL
    settings.DIGITAL_ID_PROVIDERS = provider.settings("SA")
    return provider


def approve_at_provider(authorize_url: str, sub: str, *, action: str = "approve") -> str:
    """What the person does at the provider: open its page, choose who signs in, approve.
    Returns the address the provider sends the browser back to (our callback, with code and
    state), without following it."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(authorize_url)
        while response.is_redirect and urlsplit(str(response.next_request.url)).path != CALLBACK:
            response = browser.send(response.next_request)
        assert response.status_code == 200, response.text
        interaction = str(response.url)
        response = browser.post(interaction, data={"sub": sub, "action": action})
        while response.is_redirect and urlsplit(str(response.next_request.url)).path != CALLBACK:
            response = browser.send(response.next_request)
        assert response.is_redirect, response.text
        return str(response.next_request.url)


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"
