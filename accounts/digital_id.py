"""Sign-in with a national digital ID over OpenID Connect, through Authlib, a provider per country.

Authorization code flow with PKCE (S256), `state` and `nonce` kept in the session by
Authlib's Django client; the ID token's signature is checked against the provider's
published keys, and its issuer, audience, expiry, nonce and access-token hash against
what this site expects. Each failure becomes a DomainError with its own code and a
message in the user's language; the caller changes nothing when one is raised.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from requests import RequestException

from accounts import identity
from core.errors import DomainError

logger = logging.getLogger(__name__)

# Clock difference allowed between the provider and this site when checking expiry.
LEEWAY_SECONDS = 60


class DigitalIdUnavailable(DomainError):
    code = "digital_id_unavailable"
    status = 503
    message = _(
        "The national digital-ID service cannot be reached right now. Try again in a few "
        "minutes, or log in with your e-mail and password."
    )


class DigitalIdStateMismatch(DomainError):
    code = "digital_id_state_mismatch"
    message = _(
        "This sign-in was not started from this browser, was already completed or has "
        "expired. Start the sign-in again."
    )


class DigitalIdRefused(DomainError):
    code = "digital_id_refused"
    message = _("The national digital-ID service did not complete the sign-in: %(reason)s")


class DigitalIdUntrusted(DomainError):
    code = "digital_id_untrusted"
    message = _(
        "The answer of the national digital-ID service was refused because %(reason)s. "
        "Nothing was changed; start the sign-in again."
    )


class DigitalIdClaimsMissing(DomainError):
    code = "digital_id_claims_missing"
    message = _(
        "The national digital-ID service did not give a valid national ID number (%(claim)s). "
        "Verify your identity with a document instead."
    )


_UNTRUSTED_REASONS = {
    "signature": _("its signature does not match the provider's published keys"),
    "aud": _("it was issued to another service, not to this site"),
    "azp": _("it was issued to another service, not to this site"),
    "exp": _("it has expired"),
    "iat": _("it was issued at an impossible time"),
    "nbf": _("it is not valid yet"),
    "iss": _("it was issued by another provider"),
    "nonce": _("it does not belong to this sign-in"),
    "at_hash": _("it does not match the access token given with it"),
    "id_token": _("it carries no ID token"),
}


@dataclass(frozen=True)
class Provider:
    """One country's digital-ID provider, as configured (settings.DIGITAL_ID_PROVIDERS)."""

    country: str
    issuer: str
    client_id: str
    client_secret: str
    name_en: str
    name_ar: str
    scopes: str
    national_id_claim: str
    name_claim: str
    birthdate_claim: str

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en

    @property
    def slug(self) -> str:
        return self.country.lower()


@dataclass(frozen=True)
class VerifiedPerson:
    """What the provider vouched for in a valid ID token."""

    country: str
    issuer: str
    subject: str
    national_id: str
    full_name: str
    birth_date: datetime.date | None

    def as_session(self) -> dict[str, str]:
        data = {k: str(v) for k, v in self.__dict__.items() if v is not None}
        return data

    @classmethod
    def from_session(cls, data: dict[str, str]) -> VerifiedPerson:
        born = data.get("birth_date")
        return cls(
            country=data["country"],
            issuer=data["issuer"],
            subject=data["subject"],
            national_id=data["national_id"],
            full_name=data["full_name"],
            birth_date=datetime.date.fromisoformat(born) if born else None,
        )


def providers() -> list[Provider]:
    """The configured providers, in the order of DIGITAL_ID_COUNTRIES."""
    return [
        Provider(country=country, **config)
        for country, config in settings.DIGITAL_ID_PROVIDERS.items()
    ]


def provider_for(slug: str) -> Provider | None:
    return next((p for p in providers() if p.slug == slug.lower()), None)


@cache
def _registry(signature: tuple[tuple[str, str, str, str, str], ...]) -> OAuth:
    """Authlib's client registry for one configuration (cached; the settings key it)."""
    registry = OAuth()
    for country, issuer, client_id, client_secret, scopes in signature:
        registry.register(
            name=country,
            client_id=client_id,
            client_secret=client_secret,
            server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": scopes,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_post",
                "default_timeout": settings.DIGITAL_ID_TIMEOUT_SECONDS,
            },
        )
    return registry


def _client(provider: Provider) -> Any:
    signature = tuple(
        (p.country, p.issuer, p.client_id, p.client_secret, p.scopes) for p in providers()
    )
    return _registry(signature).create_client(provider.country)


def redirect_uri(provider: Provider) -> str:
    """The callback registered at the provider: the public address, never the request's host."""
    path = reverse("accounts:digital_id_callback", args=[provider.slug])
    return settings.SITE_URL.rstrip("/") + path


def start(request: HttpRequest, provider: Provider) -> HttpResponseRedirect:
    """Send the browser to the provider; Authlib keeps state, nonce and PKCE verifier in the
    session. Raises DigitalIdUnavailable when the provider's metadata cannot be read."""
    try:
        response: HttpResponseRedirect = _client(provider).authorize_redirect(
            request, redirect_uri(provider), nonce=_nonce(), ui_locales=get_language() or "ar"
        )
    except (RequestException, ValueError, KeyError) as error:
        logger.warning("digital-ID provider %s unreachable: %s", provider.country, error)
        raise DigitalIdUnavailable() from error
    return response


def _nonce() -> str:
    from authlib.common.security import generate_token

    return str(generate_token(32))


def finish(request: HttpRequest, provider: Provider) -> VerifiedPerson:
    """Check the provider's answer on the callback and return the person it vouches for.

    Raises DigitalIdStateMismatch (unknown, used or expired `state`), DigitalIdRefused
    (the person cancelled, or the provider refused the code: used, expired or not
    issued to this sign-in), DigitalIdUntrusted (the ID token failed a check),
    DigitalIdClaimsMissing, or DigitalIdUnavailable.
    """
    client = _client(provider)
    options = {
        "iss": {"essential": True, "value": provider.issuer},
        "aud": {"essential": True, "values": [provider.client_id]},
        "exp": {"essential": True},
        "sub": {"essential": True},
    }
    try:
        token = client.authorize_access_token(
            request, claims_options=options, leeway=LEEWAY_SECONDS
        )
    except MismatchingStateError as error:
        raise DigitalIdStateMismatch(field="state") from error
    except OAuthError as error:
        raise DigitalIdRefused(params={"reason": _reason_of(error)}, field="code") from error
    except (BadSignatureError, InvalidKeyIdError) as error:
        raise _untrusted("signature") from error
    except ExpiredTokenError as error:
        raise _untrusted("exp") from error
    except ClaimError as error:
        raise _untrusted(error.claim) from error
    except JoseError as error:
        raise _untrusted("signature") from error
    except RequestException as error:
        logger.warning("digital-ID provider %s unreachable: %s", provider.country, error)
        raise DigitalIdUnavailable() from error
    claims = token.get("userinfo")
    if not claims:
        raise _untrusted("id_token")
    return _person(provider, dict(claims))


def _untrusted(check: str) -> DigitalIdUntrusted:
    reason = _UNTRUSTED_REASONS.get(check, _UNTRUSTED_REASONS["signature"])
    return DigitalIdUntrusted(params={"reason": reason}, field="id_token")


def _reason_of(error: OAuthError) -> Any:
    if error.error == "access_denied":
        return _("you cancelled it.")
    if error.error == "invalid_grant":
        return _("the sign-in code was already used, has expired or was not issued to you.")
    return _("it answered %(error)s.") % {"error": error.error or "error"}


def _person(provider: Provider, claims: dict[str, Any]) -> VerifiedPerson:
    number = identity.normalise(str(claims.get(provider.national_id_claim) or ""))
    try:
        identity.validate_national_id(provider.country, number)
    except ValidationError as error:
        raise DigitalIdClaimsMissing(
            params={"claim": provider.national_id_claim}, field="national_id"
        ) from error
    name = " ".join(str(claims.get(provider.name_claim) or "").split())
    if not name:
        raise DigitalIdClaimsMissing(params={"claim": provider.name_claim}, field="full_name")
    return VerifiedPerson(
        country=provider.country,
        issuer=provider.issuer,
        subject=str(claims["sub"]),
        national_id=number,
        full_name=name[:200],
        birth_date=_date(claims.get(provider.birthdate_claim)),
    )


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
