"""The tables of courts and agencies take this app's names: `accounts_court`, `accounts_agency`.

Accounts 0005 took the two models over on their old tables; once no app's state points at
`enforcement.Court` any more (enforcement 0005), the tables are renamed. PostgreSQL keeps the
rows, the identity sequences and every foreign key that points at them (constraints follow the
table, not its name). The check on a court's currency takes this app's name too. The content
types (and so the admin's permissions and log entries) of the two models move to `accounts`.
"""

from django.db import migrations, models

MODELS = ("court", "agency")


def content_types_to(app_label, other_label):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in MODELS:
            if ContentType.objects.filter(app_label=app_label, model=model).exists():
                continue  # made already by a migrate run since the state moved
            ContentType.objects.filter(app_label=other_label, model=model).update(
                app_label=app_label
            )

    return move


def rename_check(old, new):
    """PostgreSQL renames the check in place. SQLite (the embedded default) keeps a check inside
    the table's definition and remakes the table from the model's state on any later change to
    it, so there is nothing to rename there."""

    def rename(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE accounts_court RENAME CONSTRAINT {old} TO {new}")

    return rename


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_courts_and_agencies"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("enforcement", "0005_courts_and_agencies_in_accounts"),
    ]

    operations = [
        migrations.AlterModelTable(name="court", table=None),
        migrations.AlterModelTable(name="agency", table=None),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="court", name="enforcement_court_currency_known"
                ),
                migrations.AddConstraint(
                    model_name="court",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("currency__in", ["SAR", "KWD", "BHD", "AED", "OMR", "JOD", "VND", "USD"])
                        ),
                        name="accounts_court_currency_known",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(
                    rename_check("enforcement_court_currency_known", "accounts_court_currency_known"),
                    rename_check("accounts_court_currency_known", "enforcement_court_currency_known"),
                ),
            ],
        ),
        migrations.RunPython(
            content_types_to("accounts", "enforcement"),
            content_types_to("enforcement", "accounts"),
        ),
    ]
