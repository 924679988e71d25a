"""The notice preferences page: choices saved, garbage refused by name, legal notices explained."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications import services
from notifications.models import Preference
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

URL = "notifications:preferences"


@pytest.fixture
def sms_on(settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/messages"  # shown as a choice; never called


def test_the_page_explains_that_legal_notices_cannot_be_turned_off_in_both_languages(
    client, sms_on
):
    client.force_login(make_user("BIDDER", preferred_language="en"))
    english = client.get(reverse(URL))
    client.force_login(make_user("BIDDER", preferred_language="ar"))
    client.cookies["mazad_language"] = "ar"
    arabic = client.get(reverse(URL))

    assert english.status_code == arabic.status_code == 200
    assert "always sent by e-mail" in english.content.decode()
    assert 'dir="rtl"' in arabic.content.decode()
    assert "دائمًا" in arabic.content.decode()


def test_choices_are_saved_per_topic_and_channel(client, sms_on):
    user = make_user("BIDDER")
    client.force_login(user)

    response = client.post(
        reverse(URL), {"bidding": [], "purchases": ["email", "sms"], "court": ["sms"]}
    )

    assert response.status_code == 302
    chosen = services.preferences_of(user.pk)
    assert chosen["BIDDING"] == frozenset()
    assert chosen["PURCHASES"] == frozenset({"email", "sms"})
    assert chosen["COURT"] == frozenset({"sms"})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"purchases": ["pigeon"]}, "purchases"),
        ({"court": ["email", "<script>"]}, "court"),
        ({"bidding": ["sms" * 400]}, "bidding"),
    ],
)
def test_garbage_is_refused_naming_the_field_and_changes_nothing(client, sms_on, data, field):
    user = make_user("BIDDER", preferred_language="ar")
    services.save_preferences(user=user, chosen={"PURCHASES": ["email"]})
    before = list(Preference.objects.order_by("pk").values_list("topic", "channel", "is_enabled"))
    client.force_login(user)
    client.cookies["mazad_language"] = "ar"

    response = client.post(reverse(URL), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert "اختر" in errors[field][0], "the rule, in the reader's language"
    assert len(errors[field][0]) < 100, "the garbage is not echoed back"
    after = list(Preference.objects.order_by("pk").values_list("topic", "channel", "is_enabled"))
    assert after == before


def test_the_page_is_for_signed_in_people_only(client):
    response = client.get(reverse(URL))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
