"""Roles and courts change only on the audited staff page; the admin shows them read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore

from accounts.mfa import SESSION_PROVED_AT
from accounts.models import Passkey, TotpDevice, User
from core.models import AuditRecord
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def age_proof(client: Any, seconds: int) -> None:
    session = SessionStore(session_key=client.cookies["sessionid"].value)
    session[SESSION_PROVED_AT] -= seconds
    session.save()


def test_a_supervisor_changes_a_role_through_assign_role_and_it_is_audited(client, court):
    supervisor = make_user("SUPERVISOR", court=court)
    staff = make_user("EXECUTION_STAFF", court=court)
    client.force_login(supervisor)
    assert staff.email in client.get("/accounts/staff/roles/").content.decode()

    response = client.post(
        f"/accounts/staff/roles/{staff.pk}/", {"role": "FINANCE_STAFF", "court": court.pk}
    )

    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.role == "FINANCE_STAFF"
    record = AuditRecord.objects.get(action="user.role_changed")
    assert record.actor_id == supervisor.pk
    assert (record.before["role"], record.after["role"]) == ("EXECUTION_STAFF", "FINANCE_STAFF")


def test_without_a_fresh_second_factor_the_role_does_not_change(client, court):
    supervisor = make_user("SUPERVISOR", court=court)
    staff = make_user("EXECUTION_STAFF", court=court)
    client.force_login(supervisor)
    age_proof(client, 61)

    response = client.post(
        f"/accounts/staff/roles/{staff.pk}/", {"role": "SUPERVISOR", "court": court.pk}
    )

    assert response["Location"].startswith("/accounts/second-factor/?")
    staff.refresh_from_db()
    assert staff.role == "EXECUTION_STAFF"
    assert not AuditRecord.objects.filter(action="user.role_changed").exists()


def test_bad_input_and_other_courts_are_refused_and_change_nothing(client, court, other_court):
    supervisor = make_user("SUPERVISOR", court=court)
    staff = make_user("EXECUTION_STAFF", court=court)
    elsewhere = make_user("EXECUTION_STAFF", court=other_court)
    client.force_login(supervisor)

    for data in (
        {"role": "SUPERVISOR", "court": other_court.pk},  # not their court
        {"role": "KING", "court": court.pk},
        {"role": "SUPERVISOR"},  # court staff belong to a court
        {"role": "AGENCY", "court": court.pk},  # not a supervisor's to give
    ):
        response = client.post(f"/accounts/staff/roles/{staff.pk}/", data)
        assert response.status_code == 400, data
    staff.refresh_from_db()
    assert (staff.role, staff.court_id) == ("EXECUTION_STAFF", court.pk)
    assert (
        "court"
        in client.post(f"/accounts/staff/roles/{staff.pk}/", {"role": "SUPERVISOR"})
        .content.decode()
        .lower()
    )
    assert client.get(f"/accounts/staff/roles/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/accounts/staff/roles/{supervisor.pk}/").status_code == 404  # own
    assert not AuditRecord.objects.filter(action="user.role_changed").exists()


def test_staff_without_the_capability_are_refused(client, court):
    staff = make_user("EXECUTION_STAFF", court=court)
    client.force_login(staff)
    assert client.get("/accounts/staff/roles/").status_code == 403


def test_a_lost_second_factor_is_reset_audited_and_their_sessions_end(client, court):
    supervisor = make_user("SUPERVISOR", court=court)
    staff = make_user("FINANCE_STAFF", court=court)
    Passkey.objects.create(
        user=staff, name="Phone", credential_id=b"x", public_key=b"y", created_at=staff.date_joined
    )
    from django.test import Client

    theirs = Client()
    theirs.force_login(staff)
    assert theirs.get("/workspace/").status_code == 200
    client.force_login(supervisor)

    refused = client.post(f"/accounts/staff/roles/{staff.pk}/second-factor/reset/", {"reason": ""})
    assert refused.status_code == 400
    assert TotpDevice.objects.filter(user=staff).exists()

    done = client.post(
        f"/accounts/staff/roles/{staff.pk}/second-factor/reset/",
        {"reason": "Phone lost; identity checked in person"},
    )

    assert done.status_code == 302
    assert not Passkey.objects.filter(user=staff).exists()
    assert not TotpDevice.objects.filter(user=staff).exists()
    record = AuditRecord.objects.get(action="user.second_factor_reset")
    assert record.actor_id == supervisor.pk
    assert "Phone lost" in record.note
    assert theirs.get("/workspace/").status_code == 302  # signed out


def test_the_admin_shows_role_court_and_rights_read_only(client, court, other_court):
    admin = User.objects.create_superuser(
        "root@example.com", "pw-root-123456", full_name="Root", id_number="R1", phone="+1"
    )
    staff = make_user("EXECUTION_STAFF", court=court)
    client.force_login(admin)
    url = f"/admin/accounts/user/{staff.pk}/change/"
    page = client.get(url).content.decode()
    for name in ("role", "court", "agency", "is_staff", "is_superuser"):
        assert f'name="{name}"' not in page, name

    client.post(
        url,
        {
            "email": staff.email,
            "full_name": staff.full_name,
            "id_kind": staff.id_kind,
            "id_country": staff.id_country,
            "id_number": staff.id_number,
            "phone": staff.phone,
            "preferred_language": "en",
            "role": "SUPERVISOR",
            "court": other_court.pk,
            "is_staff": "on",
            "is_superuser": "on",
            "is_active": "on",
            "identity_rejection_reason": "",
        },
    )

    staff.refresh_from_db()
    assert (staff.role, staff.court_id, staff.is_staff, staff.is_superuser) == (
        "EXECUTION_STAFF",
        court.pk,
        False,
        False,
    )
