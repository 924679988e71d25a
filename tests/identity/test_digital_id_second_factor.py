"""Court staff who sign in with the national digital ID still prove their second factor.

The provider is a real OpenID Connect provider on loopback (tests/identity/conftest.py); the
sign-in is the real callback's `login`, so the session holds no proof until the code of the
staff member's authenticator app is typed on the page. (The test client's own `force_login`
below stands for an earlier sign-in with password and code: tests/conftest.py.)
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from accounts.models import TotpDevice, User
from core.models import AuditRecord
from tests.conftest import make_user
from tests.identity.conftest import approve_at_provider, local
from tests.identity.test_digital_id_sign_in import START, sign_in

pytestmark = pytest.mark.django_db

STAFF_PAGES = ("/workspace/", "/finance/", "/accounts/staff/roles/", "/my-auctions/")


def linked_staff(client: Any, role: str, **fields: Any) -> User:
    """A staff member who linked the digital ID of `person-badr` while signed in, then left."""
    court = fields.pop("court")
    user = make_user(role, court=court, **fields)
    client.force_login(user)
    linked = sign_in(client, "person-badr")
    assert linked["Location"] == "/accounts/identity/", linked
    client.logout()
    return user


def code_of(user: User) -> str:
    return pyotp.TOTP(TotpDevice.objects.get(user=user).secret).now()


@pytest.mark.parametrize("role", ["EXECUTION_STAFF", "FINANCE_STAFF", "SUPERVISOR"])
def test_staff_signed_in_by_digital_id_reach_nothing_until_they_type_their_code(
    client, digital_id_settings, court, role
):
    staff = linked_staff(client, role, court=court)

    signed_in = sign_in(client, "person-badr")

    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/workspace/"  # as after the password
    assert client.session["_auth_user_id"] == str(staff.pk)
    for path in STAFF_PAGES:
        held = client.get(path)
        assert held.status_code == 302, path
        assert held["Location"].startswith("/accounts/second-factor/?next="), path
    refused = client.post("/accounts/second-factor/", {"code": "000000", "next": "/workspace/"})
    assert refused.status_code == 400
    assert client.get("/workspace/").status_code == 302

    proved = client.post(
        "/accounts/second-factor/", {"code": code_of(staff), "next": "/workspace/"}
    )

    assert proved.status_code == 302
    assert proved["Location"] == "/workspace/"
    assert client.get("/workspace/").status_code == 200
    assert AuditRecord.objects.filter(action="user.signed_in_with_digital_id").count() == 1


def test_staff_without_a_factor_who_sign_in_by_digital_id_must_enrol_one_first(
    client, digital_id_settings, court
):
    staff = linked_staff(client, "SUPERVISOR", court=court, second_factor=False)

    sign_in(client, "person-badr")

    assert client.session["_auth_user_id"] == str(staff.pk)
    for path in STAFF_PAGES:
        held = client.get(path)
        assert held.status_code == 302, path
        assert held["Location"].startswith("/accounts/security/?next="), path


def test_a_proof_made_before_the_digital_id_answer_came_does_not_carry_over(
    client, digital_id_settings, court
):
    """The sign-in began at the provider; meanwhile the same person signed in with password and
    code in another tab; the provider's answer then signs them in again, without a proof."""
    staff = linked_staff(client, "SUPERVISOR", court=court)
    authorize = client.post(START)["Location"]
    client.force_login(staff)  # password and code, in another tab
    assert client.get("/workspace/").status_code == 200

    signed_in = client.get(local(approve_at_provider(authorize, "person-badr")))

    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)
    held = client.get("/workspace/")
    assert held["Location"].startswith("/accounts/second-factor/")


def test_a_bidder_signed_in_by_digital_id_is_not_asked_for_a_factor_they_do_not_have(
    client, digital_id_settings
):
    bidder = make_user("BIDDER")
    client.force_login(bidder)
    sign_in(client, "person-badr")
    client.logout()

    signed_in = sign_in(client, "person-badr")

    assert signed_in["Location"] == "/my-auctions/"
    assert client.get("/my-auctions/").status_code == 200
