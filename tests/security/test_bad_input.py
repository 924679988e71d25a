"""Bad input closed: the shared input rule, schedule bounds, encumbrance amounts, and the cap
on failed log-ins per account across addresses. Each refusal is a 4xx naming the field and
changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import LoginThrottle
from auction.models import Auction
from core.models import AuditRecord
from enforcement.models import Encumbrance
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

MESSAGES = {
    "date_out_of_range": {"en": "Choose a time between", "ar": "اختر وقتًا بين"},
    "control_character": {"en": "Remove the control characters", "ar": "أزل أحرف التحكم"},
}


def _auction_form(**overrides: str) -> dict[str, str]:
    starts = timezone.localtime() + timedelta(days=20)
    return {
        "title_ar": "مزاد المركبات",
        "title_en": "Vehicles sale",
        "description_ar": "",
        "description_en": "",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        **overrides,
    }


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("starts_at", "2020-03-01T10:00", "date_out_of_range"),
        ("starts_at", "9999-12-30T10:00", "date_out_of_range"),
        ("ends_at", "9999-12-31T10:00", "date_out_of_range"),
        ("title_en", "Vehicles\x00sale", "control_character"),
        ("description_ar", "وصف\x07", "control_character"),
    ],
)
def test_a_draft_auction_out_of_bounds_or_with_control_characters_is_refused_naming_the_field(
    client, staff, language, field, value, code
):
    staff.preferred_language = language
    staff.save(update_fields=["preferred_language"])
    client.force_login(staff)
    audit_before = AuditRecord.objects.count()

    response = client.post(
        reverse("auction:staff_create"),
        _auction_form(**{field: value}),
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert code in [error.code for error in errors[field]]
    assert MESSAGES[code][language] in response.content.decode()
    assert not Auction.objects.exists()
    assert AuditRecord.objects.count() == audit_before


def test_a_draft_auction_within_the_horizon_is_created(client, staff):
    client.force_login(staff)

    response = client.post(reverse("auction:staff_create"), _auction_form())

    assert response.status_code == 302
    assert Auction.objects.count() == 1


def test_the_horizon_follows_auction_horizon_days(client, staff, settings):
    settings.AUCTION_HORIZON_DAYS = 10
    client.force_login(staff)

    response = client.post(reverse("auction:staff_create"), _auction_form())  # opens in 20 days

    assert response.status_code == 400
    assert "starts_at" in response.context["form"].errors
    assert not Auction.objects.exists()


@pytest.fixture
def asset(staff, court):
    from enforcement import services
    from tests.enforcement.conftest import open_file, vehicle

    file = open_file(staff)
    return services.register_asset(actor=staff, file_id=file.pk, details=vehicle())


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-5"),
        ("amount", "12.3456"),
        ("amount", "1e9"),
        ("amount", "ten thousand"),
        ("holder", "Bank\x00"),
    ],
)
def test_an_invalid_encumbrance_is_a_400_naming_the_field_and_stores_nothing(
    client, staff, asset, language, field, value
):
    staff.preferred_language = language
    staff.save(update_fields=["preferred_language"])
    client.force_login(staff)
    audit_before = AuditRecord.objects.count()
    data = {"kind": "LIEN", "holder": "Al Rajhi Bank", "amount": "1000", "note": "", field: value}

    response = client.post(reverse("enforcement:encumbrance_add", args=[asset.pk]), data)

    assert response.status_code == 400
    assert field in response.context["encumbrance_form"].errors
    assert "is-invalid" in response.content.decode()
    assert not Encumbrance.objects.exists()
    assert AuditRecord.objects.count() == audit_before


def test_a_valid_encumbrance_is_recorded(client, staff, asset):
    client.force_login(staff)

    response = client.post(
        reverse("enforcement:encumbrance_add", args=[asset.pk]),
        {"kind": "LIEN", "holder": "Al Rajhi Bank", "amount": "1,000.50", "note": "first rank"},
    )

    assert response.status_code == 302
    assert Encumbrance.objects.get().amount_minor == 100050


# -- failed log-ins to one account from many addresses ----------------------------------------


def _log_in(client, email: str, password: str, address: str, language: str = "en"):
    return client.post(
        reverse("accounts:login"),
        {"username": email, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize(
    ("language", "message"), [("en", "Too many failed log-ins"), ("ar", "محاولات دخول فاشلة كثيرة")]
)
def test_ten_failures_from_ten_addresses_cool_the_account_down_even_for_the_right_password(
    client, language, message
):
    make_user(email="target@example.com")
    for number in range(10):  # one failure per address: the per-address lockout never fires
        _log_in(client, "target@example.com", "wrong-guess", f"203.0.113.{number}")

    refused = _log_in(client, "target@example.com", PASSWORD, "198.51.100.7", language)

    assert refused.status_code == 429
    assert message in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_nine_failures_from_many_addresses_leave_the_account_open(client):
    user = make_user(email="target@example.com")
    for number in range(9):
        _log_in(client, "target@example.com", "wrong-guess", f"203.0.113.{number}")

    response = _log_in(client, "target@example.com", PASSWORD, "198.51.100.7")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert not LoginThrottle.objects.exists()  # a successful log-in clears the count


def test_the_cooldown_touches_no_other_account_and_ends_after_five_minutes(client):
    target = make_user(email="target@example.com")
    make_user(email="other@example.com")
    for number in range(10):
        _log_in(client, "target@example.com", "wrong-guess", f"203.0.113.{number}")

    other_logs_in = _log_in(client, "other@example.com", PASSWORD, "198.51.100.7")
    client.logout()
    throttle = LoginThrottle.objects.get(username="target@example.com")
    assert throttle.cooldown_until - timezone.now() <= timedelta(minutes=5)
    # Five minutes pass: the cooldown's end is moved into the past, as time would.
    LoginThrottle.objects.filter(pk=throttle.pk).update(
        cooldown_until=timezone.now() - timedelta(seconds=1)
    )
    after = _log_in(client, "target@example.com", PASSWORD, "198.51.100.8")

    assert other_logs_in.status_code == 302
    assert after.status_code == 302
    assert client.session["_auth_user_id"] == str(target.pk)


def test_attempts_during_the_cooldown_are_not_counted_as_guesses(client):
    make_user(email="target@example.com")
    for number in range(10):
        _log_in(client, "target@example.com", "wrong-guess", f"203.0.113.{number}")
    throttle = LoginThrottle.objects.get(username="target@example.com")

    for number in range(20):
        _log_in(client, "target@example.com", "wrong-guess", f"192.0.2.{number}")

    assert LoginThrottle.objects.get(pk=throttle.pk).cooldown_until == throttle.cooldown_until
