"""The ledger is enforced by the database: postings and entries are append-only, entries balance.

PostgreSQL refuses UPDATE and DELETE on entries and postings (TRUNCATE stays
possible for whoever owns the tables, as test databases need), refuses a
posting whose currency differs from its account's, and, at commit, refuses an
entry with fewer than two postings or whose postings do not sum to zero in
each currency (a deferred constraint trigger, so the postings of one entry
can be inserted one after another in the same transaction).
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE TRIGGER payments_journalentry_append_only
    BEFORE UPDATE OR DELETE ON payments_journalentry
    FOR EACH ROW EXECUTE FUNCTION mazad_refuse_change();
CREATE TRIGGER payments_posting_append_only
    BEFORE UPDATE OR DELETE ON payments_posting
    FOR EACH ROW EXECUTE FUNCTION mazad_refuse_change();

CREATE OR REPLACE FUNCTION payments_posting_currency_matches() RETURNS trigger AS $$
BEGIN
    IF NEW.currency IS DISTINCT FROM (
        SELECT currency FROM payments_ledgeraccount WHERE id = NEW.account_id
    ) THEN
        RAISE EXCEPTION 'posting in % on an account kept in another currency', NEW.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_posting_currency
    BEFORE INSERT ON payments_posting
    FOR EACH ROW EXECUTE FUNCTION payments_posting_currency_matches();

CREATE OR REPLACE FUNCTION payments_entry_balances() RETURNS trigger AS $$
DECLARE
    entry bigint;
    unbalanced record;
    legs integer;
BEGIN
    IF TG_TABLE_NAME = 'payments_posting' THEN
        entry := NEW.entry_id;
    ELSE
        entry := NEW.id;
    END IF;
    SELECT count(*) INTO legs FROM payments_posting WHERE entry_id = entry;
    IF legs < 2 THEN
        RAISE EXCEPTION 'journal entry % has % posting(s); an entry needs at least two', entry, legs
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT currency, sum(amount_minor) AS total INTO unbalanced
        FROM payments_posting WHERE entry_id = entry
        GROUP BY currency HAVING sum(amount_minor) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance: % % left over',
            entry, unbalanced.total, unbalanced.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER payments_posting_balanced
    AFTER INSERT ON payments_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_entry_balances();
CREATE CONSTRAINT TRIGGER payments_journalentry_balanced
    AFTER INSERT ON payments_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_entry_balances();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS payments_journalentry_balanced ON payments_journalentry;
DROP TRIGGER IF EXISTS payments_posting_balanced ON payments_posting;
DROP TRIGGER IF EXISTS payments_posting_currency ON payments_posting;
DROP TRIGGER IF EXISTS payments_posting_append_only ON payments_posting;
DROP TRIGGER IF EXISTS payments_journalentry_append_only ON payments_journalentry;
DROP FUNCTION IF EXISTS payments_entry_balances();
DROP FUNCTION IF EXISTS payments_posting_currency_matches();
"""

SQLITE_TABLES = ("payments_journalentry", "payments_posting")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, None)
    elif schema_editor.connection.vendor == "sqlite":
        # The embedded default keeps the append-only rule; balance is checked by the service.
        for table in SQLITE_TABLES:
            for operation in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{operation} on {table} is not allowed: "
                    "append-only'); END;"
                )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, None)
    elif schema_editor.connection.vendor == "sqlite":
        for table in SQLITE_TABLES:
            for operation in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation};")


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("core", "0002_auditrecord_append_only"),  # defines mazad_refuse_change()
    ]
    operations = [migrations.RunPython(forward, backward)]
