"""Courts and agencies left this app for `accounts` (accounts/organisations.py).

State only: this app's foreign keys now point at `accounts.Court` and `accounts.Agency`, and the
two models leave this app's state. The tables and their rows stay where they are (accounts 0005
took them over; accounts 0006 renames them). Runs after every other app's foreign keys were
moved, so no model in the state points at `enforcement.Court` when it is removed.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_courts_and_agencies'),
        ('aftersale', '0006_court_in_accounts'),
        ('auction', '0009_court_in_accounts'),
        ('core', '0009_court_in_accounts'),
        ('enforcement', '0004_more_choices_known'),
        ('payments', '0008_court_in_accounts'),
        ('support', '0002_court_in_accounts'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='seizureorder',
                    name='agency',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='accounts.agency', verbose_name='executing agency'),
                ),
                migrations.AlterField(
                    model_name='agencyletter',
                    name='agency',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='letters', to='accounts.agency', verbose_name='agency'),
                ),
                migrations.AlterField(
                    model_name='enforcementrequest',
                    name='court',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='accounts.court', verbose_name='court'),
                ),
                migrations.AlterField(
                    model_name='party',
                    name='court',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.court', verbose_name='court'),
                ),
                migrations.AlterField(
                    model_name='seizedasset',
                    name='court',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.court', verbose_name='court'),
                ),
                migrations.AlterField(
                    model_name='agencyletter',
                    name='court',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.court', verbose_name='court'),
                ),
                migrations.AlterField(
                    model_name='assetimport',
                    name='court',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.court', verbose_name='court'),
                ),
                migrations.AlterField(
                    model_name='enforcementfile',
                    name='court',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='files', to='accounts.court', verbose_name='court'),
                ),
                migrations.DeleteModel(
                    name='Agency',
                ),
                migrations.DeleteModel(
                    name='Court',
                ),
            ],
            database_operations=[],
        ),
    ]
