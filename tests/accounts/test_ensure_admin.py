"""manage.py ensure_admin: the first administrator from the environment, once."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from core.models import AuditRecord

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-court-admin-passphrase-7"


def test_the_administrator_is_created_once_and_left_alone_afterwards(monkeypatch):
    monkeypatch.setenv("ADMIN_EMAIL", "Admin@Court.example")
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)

    call_command("ensure_admin")
    monkeypatch.setenv("ADMIN_PASSWORD", "another-passphrase-chosen-later-9")
    call_command("ensure_admin")

    admin = User.objects.get(email="admin@court.example")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.is_active
    assert admin.check_password(PASSWORD)  # the second run changed nothing
    assert User.objects.filter(is_superuser=True).count() == 1
    assert AuditRecord.objects.filter(action="user.administrator_created").count() == 1


def test_without_admin_email_nothing_is_created(monkeypatch):
    monkeypatch.delenv("ADMIN_EMAIL", raising=False)
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)

    call_command("ensure_admin")

    assert not User.objects.filter(is_superuser=True).exists()


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("admin@court.example", "", "ADMIN_PASSWORD must be set"),
        ("admin@court.example", "short", "ADMIN_PASSWORD:"),
        ("not an address", PASSWORD, "ADMIN_EMAIL is not an e-mail address"),
    ],
)
def test_a_bad_administrator_is_refused_naming_the_variable_and_nothing_is_created(
    monkeypatch, email, password, message
):
    monkeypatch.setenv("ADMIN_EMAIL", email)
    monkeypatch.setenv("ADMIN_PASSWORD", password)

    with pytest.raises(CommandError, match=message):
        call_command("ensure_admin")

    assert not User.objects.exists()
    assert not AuditRecord.objects.exists()
