"""Audit records are append-only in the database itself."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from core import audit
from core.models import AuditRecord
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_auditrecord SET action = 'forged' WHERE id = %s",
        "DELETE FROM core_auditrecord WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_an_audit_record(statement):
    user = make_user()
    record = audit.record(actor=user, action="user.test", obj=user, after={"a": 1})

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [record.pk])

    assert AuditRecord.objects.get(pk=record.pk).action == "user.test"


def test_audit_changes_keeps_only_what_differs():
    before, after = audit.changes({"a": 1, "b": 2}, {"a": 1, "b": 3})

    assert (before, after) == ({"b": 2}, {"b": 3})
