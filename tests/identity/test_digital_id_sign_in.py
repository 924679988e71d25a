"""Sign-in with a national digital ID against a real OpenID Connect provider on loopback."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import DigitalIdentity, IdentityStatus, User
from auction.bidding import decide as bidding
from auction.models import Bid, Registration
from core.models import AuditRecord
from tests.auction import factories
from tests.conftest import make_user
from tests.identity.conftest import approve_at_provider, local

pytestmark = pytest.mark.django_db

START = "/accounts/digital-id/sa/start/"


def start(client: Any) -> str:
    response = client.post(START)
    assert response.status_code == 302
    return str(response["Location"])


def sign_in(client: Any, sub: str) -> Any:
    return client.get(local(approve_at_provider(start(client), sub)))


def new_account(client: Any, sub: str, email: str) -> Any:
    response = sign_in(client, sub)
    assert response["Location"] == "/accounts/digital-id/new/"
    return client.post(
        "/accounts/digital-id/new/",
        {
            "email": email,
            "phone": "+966501234567",
            "preferred_language": "en",
            "accept_terms": "on",
        },
    )


def state_of_the_world() -> tuple[Any, ...]:
    return (
        User.objects.count(),
        DigitalIdentity.objects.count(),
        AuditRecord.objects.count(),
        list(User.objects.order_by("pk").values_list("identity_status", "id_number", "full_name")),
    )


def test_the_start_sends_the_browser_to_the_provider_with_pkce_state_and_nonce(
    client, digital_id_settings
):
    query = parse_qs(urlsplit(start(client)).query)

    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0]
    assert query["nonce"][0]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/accounts/digital-id/sa/callback/"]
    assert query["client_id"] == [digital_id_settings.client_id]


def test_a_new_person_signs_in_and_their_account_is_verified_at_once(client, digital_id_settings):
    response = new_account(client, "person-amal", "amal@example.com")

    assert response.status_code == 302
    user = User.objects.get(email="amal@example.com")
    assert user.identity_status == IdentityStatus.VERIFIED
    assert (user.id_kind, user.id_country, user.id_number) == ("NATIONAL_ID", "SA", "1000000016")
    assert user.full_name == "Amal Saad Alharbi"
    link = DigitalIdentity.objects.get(user=user)
    assert (link.subject, str(link.birth_date)) == ("person-amal", "1990-04-12")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditRecord.objects.filter(action="user.signed_up_with_digital_id").count() == 1


def test_a_returning_person_is_signed_in_to_their_linked_account(client, digital_id_settings):
    new_account(client, "person-amal", "amal@example.com")
    client.logout()

    response = sign_in(client, "person-amal")

    assert response.status_code == 302
    assert response["Location"] == "/my-auctions/"
    assert client.session["_auth_user_id"] == str(User.objects.get(email="amal@example.com").pk)
    assert User.objects.count() == 1


def test_a_signed_in_account_links_its_digital_id_and_is_verified_without_document_review(
    client, digital_id_settings
):
    user = make_user("BIDDER", id_kind="PASSPORT", id_number="P1234567")
    User.objects.filter(pk=user.pk).update(identity_status=IdentityStatus.PENDING)
    client.force_login(user)

    response = sign_in(client, "person-badr")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/identity/"
    user.refresh_from_db()
    assert user.identity_status == IdentityStatus.VERIFIED
    assert (user.id_kind, user.id_number, user.full_name) == (
        "NATIONAL_ID",
        "1000000024",
        "Badr Nasser Alotaibi",
    )
    assert user.digital_identity.subject == "person-badr"


def test_a_national_id_linked_to_another_account_is_refused_with_a_clear_message(
    client, digital_id_settings
):
    new_account(client, "person-amal", "amal@example.com")
    client.logout()
    other = make_user("BIDDER")
    client.force_login(other)
    before = state_of_the_world()

    response = sign_in(client, "person-amal")

    assert response.status_code == 409
    assert b'data-code="national_id_taken"' in response.content
    assert b"already linked to another Mazad account" in response.content
    assert state_of_the_world() == before


def test_a_national_id_typed_at_sign_up_by_an_unlinked_account_is_not_signed_into(
    client, digital_id_settings
):
    make_user("BIDDER", id_kind="NATIONAL_ID", id_number="1000000016")
    before = state_of_the_world()

    response = sign_in(client, "person-amal")

    assert response.status_code == 409
    assert b'data-code="national_id_exists"' in response.content
    assert "_auth_user_id" not in client.session
    assert state_of_the_world() == before


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("forged", b"signature does not match"),
        ("wrong_audience", b"issued to another service"),
        ("expired", b"has expired"),
    ],
)
def test_a_doctored_id_token_is_refused_and_nothing_changes(
    client, digital_id_settings, tamper, reason
):
    user = make_user("BIDDER")
    client.force_login(user)
    callback = approve_at_provider(start(client), "person-badr")
    before = state_of_the_world()
    digital_id_settings.tamper_next_token(tamper)

    response = client.get(local(callback))

    assert response.status_code == 400
    assert b'data-code="digital_id_untrusted"' in response.content
    assert reason in response.content
    assert state_of_the_world() == before


def test_a_replayed_callback_is_refused_as_a_used_sign_in(client, digital_id_settings):
    callback = local(approve_at_provider(start(client), "person-badr"))
    client.get(callback)
    before = state_of_the_world()

    response = client.get(callback)

    assert response.status_code == 400
    assert b'data-code="digital_id_state_mismatch"' in response.content
    assert state_of_the_world() == before


def test_a_code_already_used_is_refused_by_the_provider_in_another_sign_in(
    client, django_user_model, digital_id_settings
):
    from django.test import Client

    victim_callback = urlsplit(approve_at_provider(start(client), "person-badr"))
    client.get(f"{victim_callback.path}?{victim_callback.query}")
    attacker = Client()
    own_state = parse_qs(urlsplit(start(attacker)).query)["state"][0]
    used_code = parse_qs(victim_callback.query)["code"][0]
    before = state_of_the_world()

    response = attacker.get(victim_callback.path, {"code": used_code, "state": own_state})

    assert response.status_code == 400
    assert b'data-code="digital_id_refused"' in response.content
    assert b"already used" in response.content
    assert "_auth_user_id" not in attacker.session
    assert state_of_the_world() == before


def test_a_callback_whose_state_this_browser_never_sent_is_refused(client, digital_id_settings):
    callback = urlsplit(approve_at_provider(start(client), "person-badr"))
    code = parse_qs(callback.query)["code"][0]
    before = state_of_the_world()

    response = client.get(callback.path, {"code": code, "state": "forged-state-value"})

    assert response.status_code == 400
    assert b'data-code="digital_id_state_mismatch"' in response.content
    assert "_auth_user_id" not in client.session
    assert state_of_the_world() == before


def test_a_cancelled_sign_in_is_reported_and_changes_nothing(client, digital_id_settings):
    before = state_of_the_world()

    response = client.get(local(approve_at_provider(start(client), "", action="cancel")))

    assert response.status_code == 400
    assert b'data-code="digital_id_refused"' in response.content
    assert b"you cancelled it" in response.content
    assert state_of_the_world() == before


def test_a_provider_answer_without_a_valid_national_id_leaves_the_document_review(
    client, digital_id_settings
):
    before = state_of_the_world()

    response = sign_in(client, "person-bad-number")

    assert response.status_code == 400
    assert b'data-code="digital_id_claims_missing"' in response.content
    assert state_of_the_world() == before


def test_an_unconfigured_country_has_no_sign_in(client, digital_id_settings):
    assert client.post("/accounts/digital-id/kw/start/").status_code == 404


def test_the_log_in_page_offers_the_configured_provider_in_both_languages(
    client, digital_id_settings
):
    english = client.get("/accounts/login/")
    client.cookies["django_language"] = "ar"
    arabic = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ar")

    assert b"Sign in with Nafath" in english.content
    assert "نفاذ" in arabic.content.decode()


def test_a_bidder_signed_in_by_digital_id_is_verified_refused_on_their_own_file_and_bids_on_another(
    client, court, digital_id_settings
):
    own_file = factories.enforcement_file(court, debtor_id="1000000032")
    their_lot = factories.lot(
        court, deposit_minor=0, asset=factories.approved_asset(court, file=own_file)
    )
    other_lot = factories.lot(court, deposit_minor=0)
    new_account(client, "person-debtor", "dalal@example.com")
    bidder = User.objects.get(email="dalal@example.com")
    assert bidder.is_verified

    refused = client.post(f"/lots/{their_lot.pk}/register/", follow=True)
    client.post(f"/lots/{other_lot.pk}/register/")
    answer = bidding.place_bid(lot_id=other_lot.pk, user_id=bidder.pk, amount_minor=1_000)

    assert b"may not bid on its assets" in refused.content
    assert not Registration.objects.filter(lot=their_lot).exists()
    registration = Registration.objects.get(lot=other_lot, bidder=bidder)
    assert registration.deposit_status == Registration.Deposit.HELD
    assert answer.accepted
    assert Bid.objects.filter(registration=registration, amount_minor=1_000).exists()
