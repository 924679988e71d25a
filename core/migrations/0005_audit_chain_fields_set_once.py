"""Audit records stay append-only; only their chain fields may be filled in, once."""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION core_auditrecord_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.record_hash = '' AND NEW.record_hash <> ''
       AND NEW.id = OLD.id AND NEW.at = OLD.at
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
       AND NEW.actor_label = OLD.actor_label
       AND NEW.court_id IS NOT DISTINCT FROM OLD.court_id
       AND NEW.action = OLD.action AND NEW.object_type = OLD.object_type
       AND NEW.object_id = OLD.object_id
       AND NEW.before IS NOT DISTINCT FROM OLD.before
       AND NEW.after IS NOT DISTINCT FROM OLD.after
       AND NEW.note = OLD.note THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS core_auditrecord_append_only ON core_auditrecord;
CREATE TRIGGER core_auditrecord_append_only
    BEFORE UPDATE OR DELETE ON core_auditrecord
    FOR EACH ROW EXECUTE FUNCTION core_auditrecord_guard();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS core_auditrecord_append_only ON core_auditrecord;
CREATE TRIGGER core_auditrecord_append_only
    BEFORE UPDATE OR DELETE ON core_auditrecord
    FOR EACH ROW EXECUTE FUNCTION mazad_refuse_change();
DROP FUNCTION IF EXISTS core_auditrecord_guard();
"""

SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS core_auditrecord_no_update;",
    """CREATE TRIGGER core_auditrecord_no_update BEFORE UPDATE ON core_auditrecord
       WHEN NOT (OLD.record_hash = '' AND NEW.record_hash <> ''
                 AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.action = OLD.action
                 AND NEW.object_type = OLD.object_type AND NEW.object_id = OLD.object_id
                 AND NEW.actor_label = OLD.actor_label AND NEW.note = OLD.note
                 AND NEW.actor_id IS OLD.actor_id AND NEW.court_id IS OLD.court_id
                 AND NEW.before IS OLD.before AND NEW.after IS OLD.after)
       BEGIN SELECT RAISE(ABORT, 'UPDATE on core_auditrecord is not allowed: append-only'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditrecord_no_update;",
    """CREATE TRIGGER core_auditrecord_no_update BEFORE UPDATE ON core_auditrecord
       BEGIN SELECT RAISE(ABORT, 'UPDATE on core_auditrecord is not allowed: append-only'); END;""",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_hash_chain")]
    operations = [migrations.RunPython(forward, backward)]
