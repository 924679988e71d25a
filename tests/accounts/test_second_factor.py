"""Second factor by role (TOTP here; passkeys in tests/browser/test_passkeys.py), step-up, roles.

These tests sign in through the real pages: the password form, then the code of the
authenticator app, computed with pyotp from the secret the server gave.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from django.contrib.sessions.backends.db import SessionStore

from accounts.mfa import SESSION_PROVED_AT
from accounts.models import TotpDevice, User
from aftersale import services as aftersale
from aftersale.models import Disbursement
from auction.bidding import decide as bidding
from auction.models import Bid
from core.models import AuditRecord
from payments import services as payments
from payments.models import CourtAccount, Method
from tests.aftersale import helpers
from tests.auction import factories
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]


def password_login(client: Any, user: Any) -> None:
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]


def code_at(user: Any, offset_steps: int = 0) -> str:
    device = TotpDevice.objects.get(user=user)
    return pyotp.TOTP(device.secret).at(time.time() + 30 * offset_steps)


def prove(client: Any, user: Any, offset_steps: int = 0, **extra: str) -> Any:
    return client.post("/accounts/second-factor/", {"code": code_at(user, offset_steps), **extra})


def age_proof(client: Any, seconds: int) -> None:
    session = SessionStore(session_key=client.cookies["sessionid"].value)
    session[SESSION_PROVED_AT] -= seconds
    session.save()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_staff_without_a_second_factor_reach_nothing_but_the_enrolment_page(client, court):
    supervisor = make_user("SUPERVISOR", court=court, second_factor=False)
    password_login(client, supervisor)

    for path in ("/workspace/", "/finance/", "/accounts/profile/", "/accounts/staff/roles/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/security/?next="), path
    response = client.post("/accounts/staff/roles/1/", {"role": "BIDDER"})
    assert response["Location"].startswith("/accounts/security/")
    assert client.get("/accounts/security/").status_code == 200


def test_a_bidder_may_go_without_one(client):
    bidder = make_user("BIDDER", verified=True)
    password_login(client, bidder)
    assert client.get("/my-auctions/").status_code == 200


def test_totp_enrolment_then_sign_in_refuse_wrong_garbled_and_replayed_codes(client, court):
    staff = make_user("EXECUTION_STAFF", court=court, second_factor=False)
    password_login(client, staff)

    page = client.get("/accounts/security/?totp=1&next=/workspace/")
    device = TotpDevice.objects.get(user=staff)
    assert device.confirmed_at is None
    html = page.content.decode()
    assert device.secret in html
    assert "<svg" in html

    good = code_at(staff)
    refused = client.post("/accounts/security/", {"code": wrong(good), "next": "/workspace/"})
    assert refused.status_code == 400
    assert "That code is not valid" in refused.content.decode()
    device.refresh_from_db()
    assert device.confirmed_at is None
    assert client.get("/workspace/").status_code == 302

    enrolled = client.post("/accounts/security/", {"code": good, "next": "/workspace/"})
    assert enrolled.status_code == 302
    assert enrolled["Location"] == "/workspace/"
    device.refresh_from_db()
    assert device.confirmed_at is not None
    assert AuditRecord.objects.filter(action="user.totp_added", actor_id=staff.pk).count() == 1
    assert client.get("/workspace/").status_code == 200

    client.post("/accounts/logout/")
    password_login(client, staff)
    assert client.get("/workspace/")["Location"].startswith("/accounts/second-factor/")
    for code, message in (
        (good, "That code was already used"),  # the enrolment's code, typed again
        ("12ab56", "That code is not valid"),
        ("", "This field is required"),
    ):
        response = client.post("/accounts/second-factor/", {"code": code})
        assert response.status_code == 400, code
        assert message in response.content.decode(), code
        assert client.get("/workspace/").status_code == 302
    accepted = prove(client, staff, offset_steps=1, next="/workspace/")
    assert accepted.status_code == 302
    assert accepted["Location"] == "/workspace/"
    assert client.get("/workspace/").status_code == 200
    # The accepted code cannot open a second session either.
    other = client_class_copy(client)
    password_login(other, staff)
    replay = other.post("/accounts/second-factor/", {"code": code_at(staff, 1)})
    assert replay.status_code == 400


def client_class_copy(client: Any) -> Any:
    return type(client)()


def test_a_bidder_who_added_an_app_is_asked_for_it_after_the_password(client):
    bidder = make_user("BIDDER", verified=True)
    password_login(client, bidder)
    client.get("/accounts/security/?totp=1")
    assert client.post("/accounts/security/", {"code": code_at(bidder)}).status_code == 302
    client.post("/accounts/logout/")
    password_login(client, bidder)
    assert client.get("/my-auctions/")["Location"].startswith("/accounts/second-factor/")


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
    return item


def test_approving_a_disbursement_needs_a_second_factor_from_the_last_minute(client, court):
    item = prepared_disbursement(court)
    supervisor = make_user("SUPERVISOR", court=court)
    password_login(client, supervisor)
    prove(client, supervisor)
    age_proof(client, 61)
    audits = AuditRecord.objects.count()

    refused = client.post(f"/finance/disbursements/{item.pk}/approve/")
    back = f"/finance/distributions/{item.distribution_id}/"
    assert refused.status_code == 302
    assert refused["Location"].startswith("/accounts/second-factor/?")
    assert "step_up=1" in refused["Location"]
    assert re.search("next=" + re.escape(back.replace("/", "%2F")), refused["Location"])
    item.refresh_from_db()
    assert (item.status, item.approved_by_id) == ("PREPARED", None)
    assert AuditRecord.objects.count() == audits

    stepped = prove(client, supervisor, offset_steps=1, next=back, step_up="1")
    assert stepped["Location"] == back
    approved = client.post(f"/finance/disbursements/{item.pk}/approve/")
    assert approved.status_code == 302
    assert approved["Location"] == back
    item.refresh_from_db()
    assert item.approved_by_id == supervisor.pk


def test_annulling_a_bid_needs_a_fresh_second_factor(client, court):
    supervisor = make_user("SUPERVISOR", court=court)
    lot = factories.lot(court)
    first, second = factories.registered_bidder(lot), factories.registered_bidder(lot)
    bidding.place_bid(lot_id=lot.pk, user_id=first.bidder_id, amount_minor=1_000)
    bidding.place_bid(lot_id=lot.pk, user_id=second.bidder_id, amount_minor=5_000)
    password_login(client, supervisor)
    prove(client, supervisor)
    age_proof(client, 61)
    url = f"/staff/auctions/{lot.auction_id}/lots/{lot.pk}/annul/"

    refused = client.post(url, {"seq": 2, "reason": "Bid placed in error"})
    assert refused["Location"].startswith("/accounts/second-factor/?")
    assert not Bid.objects.get(lot=lot, seq=2).is_annulled

    prove(client, supervisor, offset_steps=1)
    client.post(url, {"seq": 2, "reason": "Bid placed in error"})
    assert Bid.objects.get(lot=lot, seq=2).is_annulled


def test_a_platform_administrator_reaches_neither_the_admin_nor_the_roles_without_a_factor(
    client,
):
    admin = User.objects.create_superuser(
        "root@example.com", PASSWORD, full_name="Platform administrator", id_number="ADMIN-1"
    )
    password_login(client, admin)

    for path in ("/admin/", "/admin/accounts/user/", "/accounts/staff/roles/", "/workspace/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/security/?next="), path
    page = client.get("/accounts/security/?totp=1&next=/admin/")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    enrolled = client.post(
        "/accounts/security/", {"code": pyotp.TOTP(secret).now(), "next": "/admin/"}
    )
    assert enrolled["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
