"""Capabilities come from the role alone, with no query; Django's own permissions still work."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from accounts.backends import RoleBackend
from accounts.models import User
from accounts.roles import Capability
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_staff_pages_capability_checks_make_no_query(court, django_assert_num_queries):
    staff = User.objects.get(pk=make_user("EXECUTION_STAFF", court=court).pk)

    with django_assert_num_queries(0):
        assert staff.has_perm(Capability.VIEW_FILES)
        assert staff.has_perm(Capability.MANAGE_FILES)
        assert not staff.has_perm(Capability.APPROVE_DISBURSEMENTS)
        assert not staff.has_perm(Capability.ANSWER_LETTERS)


def test_a_capability_is_granted_by_the_role_and_nothing_else(court):
    bidder = make_user("BIDDER")
    # A permission row of a capability's very name, given to the user, does not grant it.
    app_label, codename = Capability.VIEW_FILES.split(".")
    same_name = Permission.objects.create(
        codename=codename,
        name="made up",
        content_type=ContentType.objects.filter(app_label=app_label).first(),
    )
    admin_right = Permission.objects.filter(content_type__app_label="auth").first()
    assert admin_right is not None
    bidder.user_permissions.add(same_name, admin_right)
    bidder = User.objects.get(pk=bidder.pk)

    assert not bidder.has_perm(Capability.VIEW_FILES)
    assert bidder.has_perm(Capability.PLACE_BIDS)
    assert bidder.has_perm(f"auth.{admin_right.codename}"), "Django's own permissions count"


def test_an_inactive_user_has_no_capability(court):
    staff = make_user("EXECUTION_STAFF", court=court)
    staff.is_active = False
    staff.save(update_fields=["is_active"])

    assert not User.objects.get(pk=staff.pk).has_perm(Capability.VIEW_FILES)


def test_the_signed_in_user_comes_with_their_court_in_one_query(court, django_assert_num_queries):
    staff = make_user("FINANCE_STAFF", court=court)

    with django_assert_num_queries(1):
        found = RoleBackend().get_user(staff.pk)
        assert found is not None
        assert found.court.time_zone == court.time_zone
