"""Sign-up, log-in, log-out, password reset and profile."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import IdentityStatus, User
from core.models import AuditRecord
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

VALID = {
    "full_name": "Nora Al-Shammari",
    "email": "Nora@Example.com",
    "phone": "0501234567",
    "id_kind": "NATIONAL_ID",
    "id_country": "SA",
    "id_number": "1000000032",
    "preferred_language": "ar",
    "password1": "a-long-pass-phrase-42",
    "password2": "a-long-pass-phrase-42",
    "accept_terms": "on",
}


def test_sign_up_creates_an_unverified_bidder_logs_in_and_audits(client):
    response = client.post(reverse("accounts:sign_up"), VALID)

    assert response.status_code == 302
    user = User.objects.get(email="nora@example.com")
    assert user.role == "BIDDER"
    assert user.identity_status == IdentityStatus.UNVERIFIED
    assert user.phone == "+966501234567"
    assert user.check_password("a-long-pass-phrase-42")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditRecord.objects.filter(action="user.signed_up", object_id=str(user.pk)).exists()
    assert response.cookies["mazad_language"].value == "ar"


def test_sign_up_normalises_arabic_indic_digits_in_the_id_number(client):
    client.post(reverse("accounts:sign_up"), {**VALID, "id_number": "١٠٠٠٠٠٠٠٣٢"})

    assert User.objects.get(email="nora@example.com").id_number == "1000000032"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("full_name", "Nora", "at least two names"),
        ("phone", "12", "Enter a valid mobile number"),
        ("id_number", "1000000033", "check digit must match"),
        ("id_number", "3000000000", "starts with 1 or 2"),
        ("password2", "something-else-entirely", "The two passwords differ."),
        ("password1", "short", "too short"),
        ("accept_terms", "", "This field is required."),
        ("id_kind", "DRIVING_LICENCE", "Select a valid choice."),
    ],
)
def test_sign_up_with_bad_input_names_the_field_and_the_rule_and_saves_nothing(
    client, field, value, message
):
    data = {**VALID, field: value}
    if field == "password1":
        data["password2"] = value

    response = client.post(reverse("accounts:sign_up"), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert any(message in error for error in errors[field])
    assert not User.objects.exists()
    assert not AuditRecord.objects.exists()


def test_sign_up_errors_are_in_arabic_for_an_arabic_visitor(client):
    client.cookies["mazad_language"] = "ar"

    response = client.post(reverse("accounts:sign_up"), {**VALID, "id_number": "1000000033"})

    assert response.status_code == 400
    assert "رقم الهوية الوطنية السعودية" in response.context["form"].errors["id_number"][0]


def test_sign_up_refuses_a_second_account_for_the_same_identity(client):
    make_user(id_kind="NATIONAL_ID", id_country="SA", id_number="1000000032")

    response = client.post(reverse("accounts:sign_up"), VALID)

    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["id_number"][0]
    assert not User.objects.filter(email="nora@example.com").exists()


def test_log_in_with_e_mail_and_password_sets_the_preferred_language(client):
    user = make_user(email="ali@example.com", preferred_language="ar")

    response = client.post(
        reverse("accounts:login"), {"username": "ALI@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert response.cookies["mazad_language"].value == "ar"


def test_log_in_with_a_wrong_password_is_refused(client):
    make_user(email="ali@example.com")

    response = client.post(
        reverse("accounts:login"), {"username": "ali@example.com", "password": "wrong-password"}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()


def test_log_in_of_a_deactivated_account_is_refused(client):
    make_user(email="ali@example.com", is_active=False)

    client.post(reverse("accounts:login"), {"username": "ali@example.com", "password": PASSWORD})

    assert "_auth_user_id" not in client.session


def test_log_out_is_a_post_and_ends_the_session(client):
    user = make_user()
    client.force_login(user)

    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))

    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    user = make_user(email="ali@example.com")

    client.post(reverse("accounts:password_reset"), {"email": "ali@example.com"})
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": "brand-new-pass-phrase-7", "new_password2": "brand-new-pass-phrase-7"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-pass-phrase-7")


def test_profile_changes_name_phone_and_language_and_audits_them(client):
    user = make_user(preferred_language="en")
    client.force_login(user)

    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "New Full Name", "phone": "+96550012345", "preferred_language": "ar"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.preferred_language) == (
        "New Full Name",
        "+96550012345",
        "ar",
    )
    record = AuditRecord.objects.get(action="user.profile_updated")
    assert record.before["full_name"] != record.after["full_name"]


def test_profile_with_a_bad_phone_changes_nothing(client):
    user = make_user(preferred_language="en")
    client.force_login(user)

    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "New Full Name", "phone": "abc", "preferred_language": "ar"},
    )

    assert response.status_code == 400
    assert "phone" in response.context["form"].errors
    user.refresh_from_db()
    assert user.full_name != "New Full Name"
    assert user.preferred_language == "en"


def test_language_switch_keeps_the_choice_for_a_signed_in_user(client):
    user = make_user(preferred_language="en")
    client.force_login(user)

    client.post(reverse("accounts:switch_language"), {"language": "ar", "next": "/"})

    user.refresh_from_db()
    assert user.preferred_language == "ar"
    assert 'lang="ar" dir="rtl"' in client.get("/").content.decode()


def test_language_switch_refuses_to_redirect_to_another_site(client):
    response = client.post(
        reverse("accounts:switch_language"), {"language": "en", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"
