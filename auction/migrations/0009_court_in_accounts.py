"""The court is now `accounts.Court` (accounts/organisations.py): this app's foreign keys follow it.

State only: the model kept its table and its rows (accounts 0005), so the columns and their
foreign-key constraints in the database are unchanged here; accounts 0006 then renames the table,
and PostgreSQL's constraints follow a renamed table by themselves.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_courts_and_agencies'),
        ('auction', '0008_notification_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='auction',
                    name='court',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='auctions', to='accounts.court', verbose_name='court'),
                ),
                migrations.AlterField(
                    model_name='salerules',
                    name='court',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='sale_rules', to='accounts.court', verbose_name='court'),
                ),
            ],
            database_operations=[],
        ),
    ]
