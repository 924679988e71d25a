"""The data migrations of statement fingerprints and card charges, on rows made before them."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from aftersale import statements
from aftersale.models import Statement, StatementLine
from payments.models import Method, Payment, PaymentStatus, Purpose, WebhookEvent
from tests.conftest import make_user

BEFORE = [("aftersale", "0003_more_choices_known"), ("payments", "0005_more_choices_known")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_rows_from_before_get_their_fingerprint_and_their_charge(court):
    finance = make_user("FINANCE_STAFF", court=court)
    payment = Payment.objects.create(
        court=court,
        payer=make_user(verified=True),
        purpose=Purpose.DEPOSIT,
        method=Method.CARD,
        status=PaymentStatus.SUCCEEDED,
        amount_minor=150_000,
        currency="SAR",
        reference="registration:old",
        intent_id="pi_old_1",
    )
    WebhookEvent.objects.create(
        event_id="evt_old_1",
        type="payment_intent.succeeded",
        object_id="pi_old_1",
        payload={"data": {"object": {"id": "pi_old_1", "latest_charge": "ch_old_1"}}},
    )
    on = date(2026, 1, 5)
    old = Statement.objects.create(
        court=court,
        source=Statement.Source.CAMT053,
        account_purpose="COURT_CUSTODY",
        identifier="OLD-1",
        content_hash="a" * 64,
        iban="SA03 8000 0000 6080 1016 7519",
        currency="SAR",
        opening_minor=0,
        closing_minor=150_000,
        from_on=on,
        to_on=on,
        imported_by=finance,
    )
    StatementLine.objects.create(
        statement=old, position=1, booked_on=on, amount_minor=150_000, currency="SAR"
    )
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()

    try:
        migrate(BEFORE)
    finally:
        migrate(latest)

    old.refresh_from_db()
    payment.refresh_from_db()
    assert payment.charge_id == "ch_old_1"
    parsed = statements.Parsed(
        identifier="OLD-1",
        currency="SAR",
        iban="SA0380000000608010167519",
        opening_minor=0,
        closing_minor=150_000,
        period_from=on,
        period_to=on,
        lines=[statements.Line(booked_on=on, amount_minor=150_000, currency="SAR")],
    )
    assert old.fingerprint == parsed.fingerprint()  # a new import of it is recognised
