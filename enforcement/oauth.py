"""OAuth2 for agency systems: the scopes each application may hold, and how a token is read.

Scopes are per kind of order and per verb: `orders:bank:read`, `orders:bank:answer`,
`orders:traffic:…`, `orders:registry:…`, `orders:passports:…`; `letters:read` and
`letters:answer` cover free-text letters. An application (client credentials) is bound to one
agency (AgencyApplication) and may only be granted the scopes recorded on that binding.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.scopes import BaseScopes

from accounts.models import IdKind, User
from accounts.organisations import Agency
from accounts.roles import Role
from core import audit
from core.errors import DomainError
from enforcement.models import AgencyApplication, SeizureOrder

# The scope word of each kind of order, and the agency kind that executes it.
KIND_SCOPE: dict[str, str] = {
    SeizureOrder.Kind.BANK_FUNDS: "bank",
    SeizureOrder.Kind.VEHICLE: "traffic",
    SeizureOrder.Kind.REAL_ESTATE: "registry",
    SeizureOrder.Kind.TRAVEL_BAN: "passports",
}
SCOPE_KIND = {word: kind for kind, word in KIND_SCOPE.items()}
AGENCY_KIND_OF_ORDER: dict[str, str] = {
    SeizureOrder.Kind.BANK_FUNDS: Agency.Kind.BANK,
    SeizureOrder.Kind.VEHICLE: Agency.Kind.TRAFFIC,
    SeizureOrder.Kind.REAL_ESTATE: Agency.Kind.LAND_REGISTRY,
    SeizureOrder.Kind.TRAVEL_BAN: Agency.Kind.IMMIGRATION,
}
VERBS = ("read", "answer")


def scope(kind: str, verb: str) -> str:
    return f"orders:{KIND_SCOPE[kind]}:{verb}"


ALL_SCOPES: dict[str, str] = {
    **{
        f"orders:{word}:{verb}": f"{verb.capitalize()} {word} orders"
        for word in SCOPE_KIND
        for verb in VERBS
    },
    "letters:read": "Read letters",
    "letters:answer": "Answer letters",
}


def _binding(application: Any) -> AgencyApplication | None:
    if application is None:
        return None
    return AgencyApplication.objects.filter(application=application).first()


class AgencyScopes(BaseScopes):  # type: ignore[misc]
    """Scopes of django-oauth-toolkit: an application gets at most those of its binding."""

    def get_all_scopes(self) -> dict[str, str]:
        return ALL_SCOPES

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        binding = _binding(application)
        return sorted(binding.scope_set & ALL_SCOPES.keys()) if binding else []

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return self.get_available_scopes(application, request)


@dataclass(frozen=True)
class Client:
    """The agency system behind a request: its binding, agency and the token's scopes."""

    binding: AgencyApplication
    agency: Agency
    scopes: frozenset[str]
    token_id: int


def client_of(request: HttpRequest) -> Client | None:
    """The client of a valid, unexpired bearer token bound to an agency; None otherwise."""
    valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
    if not valid or oauth_request.access_token is None:
        return None
    token = oauth_request.access_token
    binding = (
        AgencyApplication.objects.select_related("agency")
        .filter(application_id=token.application_id)
        .first()
    )
    if binding is None:
        return None
    return Client(binding, binding.agency, frozenset(token.scope.split()), token.pk)


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str  # shown once; only its hash is stored
    binding: AgencyApplication


@transaction.atomic
def register_application(
    *, agency: Agency, name: str, scopes: list[str], actor: Any = None
) -> Credentials:
    """A new client-credentials application for `agency` with `scopes` (each a known one)."""
    unknown = [item for item in scopes if item not in ALL_SCOPES]
    if unknown or not scopes:
        raise DomainError(
            _("Choose scopes among the known ones: %(unknown)s is not one."),
            code="unknown_scope",
            field="scopes",
            params={"unknown": ", ".join(unknown) or "—"},
        )
    secret = secrets.token_urlsafe(40)
    application = get_application_model().objects.create(
        name=name.strip()[:255] or agency.code,
        client_type="confidential",
        authorization_grant_type="client-credentials",
        client_secret=secret,
        skip_authorization=True,
    )
    user = User.objects.create_user(
        f"system-{application.client_id[:16].lower()}@{agency.code.lower()}.agency.invalid",
        None,
        full_name=f"{agency.name_en} system",
        id_kind=IdKind.PASSPORT,
        id_country=agency.country,
        id_number=f"SYS{application.pk:08d}",
        phone="",
        role=Role.AGENCY,
        agency=agency,
    )
    binding = AgencyApplication.objects.create(
        application=application, agency=agency, user=user, scopes=" ".join(sorted(set(scopes)))
    )
    audit.record(
        actor=actor,
        action="agency.application_registered",
        obj=binding,
        after={"agency": agency.code, "client_id": application.client_id, "scopes": scopes},
    )
    return Credentials(application.client_id, secret, binding)
