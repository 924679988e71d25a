"""Courts and agencies moved from `enforcement` to `accounts`: a database from before the move keeps
its rows, its ids and the records that point at them."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from accounts.organisations import Agency, Court
from enforcement.models import EnforcementFile

# The last migration of each app before the move.
BEFORE = [
    ("accounts", "0004_login_throttle"),
    ("aftersale", "0005_camt054_notifications"),
    ("auction", "0008_notification_indexes"),
    ("core", "0008_process_heartbeat"),
    ("enforcement", "0004_more_choices_known"),
    ("payments", "0007_request_ids"),
    ("support", "0001_initial"),
]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def referenced_table(table: str, column: str) -> str:
    """The table that the foreign key on `table.column` points at, as PostgreSQL knows it."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT confrelid::regclass::text FROM pg_constraint
            WHERE contype = 'f' AND conrelid = %s::regclass
              AND conkey = ARRAY[(SELECT attnum FROM pg_attribute
                                  WHERE attrelid = %s::regclass AND attname = %s)]
            """,
            [table, table, column],
        )
        (name,) = cursor.fetchone()
    return str(name)


@pytest.mark.django_db(transaction=True)
def test_rows_made_before_the_move_are_found_after_it():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate(BEFORE).loader.project_state(BEFORE).apps
        assert {"enforcement_court", "enforcement_agency"} <= tables()
        assert not {"accounts_court", "accounts_agency"} & tables()
        old_court = old.get_model("enforcement", "Court")
        old_agency = old.get_model("enforcement", "Agency")
        old_user = old.get_model("accounts", "User")
        old_file = old.get_model("enforcement", "EnforcementFile")
        # What an existing database holds: the content types made by an earlier `migrate`.
        ContentType.objects.get_or_create(app_label="enforcement", model="court")
        ContentType.objects.get_or_create(app_label="enforcement", model="agency")
        court = old_court.objects.create(
            code="OLDC",
            name_ar="محكمة قديمة",
            name_en="Old Court",
            city="الرياض",
            time_zone="Asia/Riyadh",
            currency="SAR",
        )
        agency = old_agency.objects.create(
            code="OLD-TRAFFIC", kind="TRAFFIC", name_ar="مرور", name_en="Traffic"
        )
        staff = old_user.objects.create(
            email="old-staff@example.sa",
            full_name="Old Staff",
            id_number="1000000001",
            phone="+966500000001",
            role="EXECUTION_STAFF",
            court=court,
        )
        officer = old_user.objects.create(
            email="old-officer@example.sa",
            full_name="Old Officer",
            id_number="1000000002",
            phone="+966500000002",
            role="AGENCY",
            agency=agency,
        )
        file = old_file.objects.create(
            court=court,
            number="OLDC-2026-1",
            year=2026,
            sequence=1,
            instrument_kind="JUDGMENT",
            instrument_reference="J-1",
            instrument_issued_on=date(2026, 1, 5),
            claim_minor=100_000,
            currency="SAR",
            opened_by=staff,
        )
    finally:
        migrate(latest)

    assert {"accounts_court", "accounts_agency"} <= tables()
    assert not {"enforcement_court", "enforcement_agency"} & tables()
    moved = Court.objects.get(pk=court.pk)
    assert (moved.code, moved.name_en, moved.currency) == ("OLDC", "Old Court", "SAR")
    assert Agency.objects.get(pk=agency.pk).code == "OLD-TRAFFIC"
    assert User.objects.get(pk=staff.pk).court == moved
    assert User.objects.get(pk=officer.pk).agency_id == agency.pk
    assert EnforcementFile.objects.get(pk=file.pk).court == moved
    assert list(moved.files.values_list("number", flat=True)) == ["OLDC-2026-1"]
    # The foreign keys in the database point at the renamed tables.
    assert referenced_table("enforcement_enforcementfile", "court_id") == "accounts_court"
    assert referenced_table("accounts_user", "agency_id") == "accounts_agency"
    # The content types followed the models, and the ids keep counting from the old rows.
    assert ContentType.objects.get_for_model(Court).app_label == "accounts"
    assert not ContentType.objects.filter(app_label="enforcement", model="court").exists()
    newer = Court.objects.create(
        code="NEWC", name_ar="محكمة", name_en="New Court", city="جدة", currency="SAR"
    )
    assert newer.pk > court.pk
