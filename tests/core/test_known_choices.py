"""The database refuses a state no code knows: CHECK constraints follow the fields' choices."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import CheckConstraint

from tests.auction import factories

# The states of the sale and money paths: a row outside them would be read as none of them.
GUARDED = {
    ("auction", "Auction", "status"),
    ("auction", "Lot", "status"),
    ("auction", "Lot", "outcome"),
    ("auction", "Registration", "deposit_status"),
    ("auction", "Bid", "source"),
    ("aftersale", "Sale", "status"),
    ("aftersale", "Distribution", "status"),
    ("aftersale", "Disbursement", "status"),
    ("payments", "Payment", "status"),
    ("payments", "Payment", "purpose"),
    ("payments", "Payment", "method"),
    ("payments", "Refund", "status"),
    ("payments", "LedgerAccount", "purpose"),
    ("payments", "LedgerAccount", "kind"),
    ("payments", "WebhookEvent", "status"),
    ("enforcement", "EnforcementFile", "status"),
    ("support", "Ticket", "status"),
    # The other states and the kinds that steer money, seizures and access.
    ("enforcement", "SeizedAsset", "status"),
    ("enforcement", "AssetImport", "status"),
    ("enforcement", "EnforcementRequest", "status"),
    ("enforcement", "AgencyLetter", "status"),
    ("enforcement", "SeizureOrder", "status"),
    ("accounts", "Court", "currency"),
    ("payments", "PaymentJob", "status"),
    ("accounts", "User", "role"),
    ("accounts", "User", "identity_status"),
    ("aftersale", "DistributionLine", "step"),
    ("aftersale", "DistributionLine", "payee_kind"),
    ("aftersale", "Disbursement", "payee_kind"),
    ("aftersale", "Match", "kind"),
    ("aftersale", "Match", "method"),
    ("aftersale", "Sale", "kind"),
    ("aftersale", "Statement", "source"),
    ("aftersale", "FinanceRules", "disbursement_method"),
    ("core", "Receipt", "kind"),
    ("auction", "Notification", "kind"),
}


def known_values() -> dict[tuple[str, str, str], set[str]]:
    """Each `… IN (…)` CHECK on one field: the values it lets through."""
    found = {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if not isinstance(constraint, CheckConstraint):
                continue
            children = constraint.condition.children
            if len(children) == 1 and isinstance(children[0], tuple):
                lookup, values = children[0]
                if lookup.endswith("__in") and "__" not in lookup[: -len("__in")]:
                    key = (model._meta.app_label, model.__name__, lookup[: -len("__in")])
                    found[key] = set(values)
    return found


def test_every_guarded_state_has_a_check_that_lets_through_exactly_its_choices():
    found = known_values()

    missing = sorted(GUARDED - found.keys())
    assert not missing, f"add a CHECK (field__in=…) for {missing}"
    for app_label, model_name, field_name in sorted(found.keys() & GUARDED):
        field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
        choices = {str(value) for value, _label in field.choices}
        if field.blank:
            choices.add("")
        assert found[(app_label, model_name, field_name)] == choices, (model_name, field_name)


@pytest.mark.django_db
def test_the_database_refuses_a_lot_or_a_payment_event_in_a_state_no_code_knows(court):
    if connection.vendor != "postgresql":
        pytest.skip("the constraints are checked here on PostgreSQL")
    lot = factories.lot(court)

    with pytest.raises(IntegrityError), transaction.atomic():
        apps.get_model("auction", "Lot").objects.filter(pk=lot.pk).update(status="PAUSED")
    with connection.cursor() as cursor, pytest.raises(IntegrityError), transaction.atomic():
        cursor.execute(
            "INSERT INTO payments_webhookevent (event_id, type, object_id, payload, status, "
            "attempts, received_at) VALUES ('evt_x', 'x', 'x', '{}', 'LOST', 0, now())"
        )

    lot.refresh_from_db()
    assert lot.status == "OPEN", "unchanged"
