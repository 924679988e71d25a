"""Courts and agencies move from `enforcement` to `accounts` (accounts/organisations.py).

They are the organisations users work for, and every domain app points at a court, so they sit
below all of them. The move keeps every row and every id:

- here, state only: `accounts` takes over the two models on their existing tables
  (`enforcement_court`, `enforcement_agency`), and the user's two foreign keys point at them;
  nothing changes in the database;
- each other app then moves its own foreign keys, state only (aftersale 0006, auction 0009,
  core 0009, payments 0008, support 0002, enforcement 0005), and enforcement 0005 drops the
  two models from its state, again leaving the tables alone;
- accounts 0006 renames the tables to `accounts_court` and `accounts_agency`, the names Django
  gives the models of this app, and moves their content types and permissions with them.

A database made from nothing and one upgraded from before the move run the same operations, so
both end with the same tables, rows and constraints (tests/accounts/test_organisations_migration.py).
"""

import accounts.organisations
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_login_throttle'),
        ('enforcement', '0004_more_choices_known'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Agency',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=20, unique=True, validators=[django.core.validators.RegexValidator('^[A-Z0-9-]{2,20}$', 'Use capital Latin letters, digits and dashes.')], verbose_name='code')),
                        ('kind', models.CharField(choices=[('TRAFFIC', 'Traffic department'), ('LAND_REGISTRY', 'Land registry'), ('BANK', 'Bank'), ('IMMIGRATION', 'Immigration'), ('OTHER', 'Other agency')], max_length=20, verbose_name='kind')),
                        ('country', models.CharField(default='SA', max_length=2, verbose_name='country')),
                        ('name_ar', models.CharField(max_length=200, verbose_name='name in Arabic')),
                        ('name_en', models.CharField(max_length=200, verbose_name='name in English')),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail address')),
                    ],
                    options={
                        'verbose_name': 'agency',
                        'verbose_name_plural': 'agencies',
                        'ordering': ['country', 'kind', 'code'],
                        'db_table': 'enforcement_agency',
                    },
                ),
                migrations.AlterField(
                    model_name='user',
                    name='agency',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='users', to='accounts.agency', verbose_name='agency'),
                ),
                migrations.CreateModel(
                    name='Court',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=8, unique=True, validators=[django.core.validators.RegexValidator('^[A-Z]{2,8}$', 'Use 2 to 8 capital Latin letters.')], verbose_name='code')),
                        ('name_ar', models.CharField(max_length=200, verbose_name='name in Arabic')),
                        ('name_en', models.CharField(max_length=200, verbose_name='name in English')),
                        ('city', models.CharField(max_length=100, verbose_name='city')),
                        ('time_zone', models.CharField(default='Asia/Riyadh', max_length=64, validators=[accounts.organisations.validate_time_zone], verbose_name='time zone')),
                        ('currency', models.CharField(choices=[('SAR', 'Saudi riyal'), ('KWD', 'Kuwaiti dinar'), ('BHD', 'Bahraini dinar'), ('AED', 'UAE dirham'), ('OMR', 'Omani rial'), ('JOD', 'Jordanian dinar'), ('VND', 'Vietnamese dong'), ('USD', 'US dollar')], default='SAR', max_length=3, verbose_name='currency')),
                    ],
                    options={
                        'verbose_name': 'court',
                        'verbose_name_plural': 'courts',
                        'ordering': ['code'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('currency__in', ['SAR', 'KWD', 'BHD', 'AED', 'OMR', 'JOD', 'VND', 'USD'])), name='enforcement_court_currency_known')],
                        'db_table': 'enforcement_court',
                    },
                ),
                migrations.AlterField(
                    model_name='user',
                    name='court',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='staff', to='accounts.court', verbose_name='court'),
                ),
            ],
            database_operations=[],
        ),
    ]
