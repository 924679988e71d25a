"""Enforcement keeps what the court account paid each file's applicants: count what was paid."""

from typing import Any

from django.db import migrations
from django.db.models import Sum


def count(apps: Any, schema_editor: Any) -> None:
    Disbursement = apps.get_model("aftersale", "Disbursement")
    EnforcementFile = apps.get_model("enforcement", "EnforcementFile")
    totals = (
        Disbursement.objects.filter(payee_kind="APPLICANT", status="PAID")
        .values("distribution__file_id")
        .annotate(total=Sum("amount_minor"))
    )
    for row in totals:
        EnforcementFile.objects.filter(pk=row["distribution__file_id"]).update(
            paid_to_applicants_minor=row["total"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("aftersale", "0006_court_in_accounts"),
        ("enforcement", "0006_file_paid_to_applicants"),
    ]

    operations = [migrations.RunPython(count, migrations.RunPython.noop)]
