"""The state machines of files, orders, assets and letters, driven by random sequences of actions.

Every action the engine allows from the current state succeeds and writes one
audit record with the state before and after; every other action is refused
with InvalidTransition and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.organisations import Agency
from core.errors import InvalidTransition
from core.models import AuditRecord
from enforcement import engine, services
from tests.conftest import make_user
from tests.enforcement.conftest import IBAN_SA, open_file, tomorrow, vehicle

pytestmark = pytest.mark.django_db

RUNS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def audit_count(obj: Any) -> int:
    return AuditRecord.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).count()


def drive(
    obj: Any,
    table: dict[str, engine.Transition],
    actions: list[str],
    perform: Callable[[str], None],
) -> None:
    """Run `actions` against `obj`, checking each outcome against the engine's table."""
    for action in actions:
        obj.refresh_from_db()
        status, records = obj.status, audit_count(obj)
        if status in table[action].sources:
            perform(action)
            obj.refresh_from_db()
            assert obj.status == table[action].target, (action, status)
            assert audit_count(obj) == records + 1
            last = (
                AuditRecord.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
                .order_by("-pk")
                .first()
            )
            assert last.before["status"] == status
            assert last.after["status"] == obj.status
        else:
            with pytest.raises(InvalidTransition):
                perform(action)
            obj.refresh_from_db()
            assert obj.status == status, (action, status)
            assert audit_count(obj) == records


def sequences(table: dict[str, engine.Transition]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(sorted(table)), min_size=1, max_size=12)


@RUNS
@given(actions=sequences(engine.FILE_TRANSITIONS))
def test_file_transitions(staff, actions):
    file = open_file(staff, claim_minor=1000)

    drive(
        file,
        engine.FILE_TRANSITIONS,
        actions,
        lambda action: services.change_file_status(
            actor=staff, file_id=file.pk, action=action, reason="For the record"
        ),
    )


@RUNS
@given(actions=sequences(engine.ORDER_TRANSITIONS))
def test_order_transitions(court, staff, actions):
    supervisor = make_user("SUPERVISOR", court=court)
    agency = Agency.objects.get_or_create(
        code="SA-BANK", defaults={"kind": "BANK", "name_ar": "بنك", "name_en": "Bank"}
    )[0]
    file = open_file(staff)
    order = services.request_order(
        actor=staff,
        file_id=file.pk,
        kind="BANK_FUNDS",
        agency_id=agency.pk,
        target=services.OrderTarget(iban=IBAN_SA),
    )
    calls = {
        "issue": lambda: services.issue_order(actor=supervisor, order_id=order.pk),
        "record_execution": lambda: services.record_order_execution(
            actor=staff, order_id=order.pk, amount_seized_minor=500
        ),
        "lift": lambda: services.lift_order(actor=supervisor, order_id=order.pk, reason="Paid"),
    }

    drive(order, engine.ORDER_TRANSITIONS, actions, lambda action: calls[action]())


@RUNS
@given(actions=sequences(engine.ASSET_TRANSITIONS))
def test_asset_transitions(court, staff, actions):
    supervisor = make_user("SUPERVISOR", court=court)
    file = open_file(staff)
    asset = services.register_asset(
        actor=staff, file_id=file.pk, details=vehicle(vin="", plate=f"P {file.pk}")
    )
    calls = {
        "appraise": lambda: services.record_appraisal(
            actor=staff,
            asset_id=asset.pk,
            appraiser="Appraiser",
            appraised_on=timezone.localdate(),
            value_minor=10_000,
        ),
        "approve_for_sale": lambda: services.approve_for_sale(actor=supervisor, asset_id=asset.pk),
        "list": lambda: services.mark_listed(actor=None, asset_id=asset.pk),
        "withdraw": lambda: services.mark_withdrawn(actor=None, asset_id=asset.pk),
        "mark_sold": lambda: services.mark_sold(actor=None, asset_id=asset.pk),
        "mark_unsold": lambda: services.mark_unsold(actor=None, asset_id=asset.pk),
        "sale_failed": lambda: services.mark_sale_failed(actor=None, asset_id=asset.pk),
        "release": lambda: services.release_asset(
            actor=supervisor, asset_id=asset.pk, reason="Court order"
        ),
    }

    drive(asset, engine.ASSET_TRANSITIONS, actions, lambda action: calls[action]())


@RUNS
@given(actions=sequences(engine.LETTER_TRANSITIONS))
def test_letter_transitions(staff, agency, agency_user, actions):
    file = open_file(staff)
    letter = services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind="INQUIRY",
        language="en",
        due_on=tomorrow(),
    )
    calls = {
        "acknowledge": lambda: services.acknowledge_letter(actor=agency_user, letter_id=letter.pk),
        "answer": lambda: services.answer_letter(
            actor=agency_user, letter_id=letter.pk, answer="Nothing is held."
        ),
    }

    drive(letter, engine.LETTER_TRANSITIONS, actions, lambda action: calls[action]())


def test_a_request_is_decided_once(court, staff, bidder):
    from tests.enforcement.conftest import pdf_upload, person

    request = services.submit_request(
        applicant=bidder,
        court=court,
        debtor=person(),
        instrument=services.Instrument("CHEQUE", "C-1", timezone.localdate()),
        claim_minor=10_000,
        applicant_iban=IBAN_SA,
        document=pdf_upload(),
    )
    file = services.accept_request(actor=staff, request_id=request.pk)
    records = AuditRecord.objects.count()

    with pytest.raises(InvalidTransition):
        services.reject_request(actor=staff, request_id=request.pk, reason="Too late")

    request.refresh_from_db()
    assert request.status == "ACCEPTED"
    assert request.file == file
    assert AuditRecord.objects.count() == records
