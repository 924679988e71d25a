"""Agencies online in tests: agencies with registered systems, files with issued orders."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from accounts.organisations import Agency
from enforcement import oauth, services
from tests.conftest import make_user
from tests.enforcement.conftest import IBAN_SA, open_file

KIND_OF_AGENCY = {
    "BANK_FUNDS": "BANK",
    "VEHICLE": "TRAFFIC",
    "REAL_ESTATE": "LAND_REGISTRY",
    "TRAVEL_BAN": "IMMIGRATION",
}


@dataclass
class System:
    agency: Any
    client_id: str
    client_secret: str
    binding: Any

    @property
    def basic(self) -> str:
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()


def agency(kind: str, code: str = "") -> Any:
    agency_kind = KIND_OF_AGENCY[kind]
    return Agency.objects.get_or_create(
        code=code or f"SA-{agency_kind.replace('_', '-')}",
        defaults={"kind": agency_kind, "name_ar": "جهة", "name_en": f"{agency_kind} agency"},
    )[0]


def system(kind: str, *, verbs: tuple[str, ...] = ("read", "answer"), code: str = "") -> System:
    found = agency(kind, code)
    credentials = oauth.register_application(
        agency=found, name=f"{found.code} system", scopes=[oauth.scope(kind, v) for v in verbs]
    )
    return System(found, credentials.client_id, credentials.client_secret, credentials.binding)


def token(client: Any, system: System, scope: str = "") -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = client.post("/api/oauth/token/", data, HTTP_AUTHORIZATION=system.basic)
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def issued_order(
    court: Any, kind: str, target_agency: Any, *, on_file: Any = None, **file: Any
) -> Any:
    """A file (opened, or `on_file`) with an order of `kind` the judge issued to the agency."""
    staff = make_user("EXECUTION_STAFF", court=court)
    judge = make_user("SUPERVISOR", court=court)
    opened = on_file or open_file(staff, **file)
    debtor = opened.file_parties.get(role="DEBTOR").party
    target = {
        "BANK_FUNDS": services.OrderTarget(iban=IBAN_SA),
        "VEHICLE": services.OrderTarget(plate="ABC 1234", party_id=debtor.pk),
        "REAL_ESTATE": services.OrderTarget(deed_number="DEED-77"),
        "TRAVEL_BAN": services.OrderTarget(party_id=debtor.pk),
    }[kind]
    order = services.request_order(
        actor=staff, file_id=opened.pk, kind=kind, agency_id=target_agency.pk, target=target
    )
    services.issue_order(actor=judge, order_id=order.pk)
    order.refresh_from_db()
    return order


def request_of(order: Any, subject: str = "SEIZE") -> Any:
    return order.letters.get(subject_kind=subject)
