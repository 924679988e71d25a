"""The enforcement services: files, parties, orders, assets, appraisals and letters."""

from __future__ import annotations

import pytest
from django.utils import timezone

from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from core.models import AuditRecord
from enforcement import selectors, services
from enforcement.models import AgencyLetter, EnforcementFile, SeizedAsset, SeizureOrder
from tests.conftest import make_user
from tests.enforcement.conftest import IBAN_SA, open_file, person, tomorrow, vehicle

pytestmark = pytest.mark.django_db


def test_a_file_is_numbered_per_court_and_year_and_audited(staff, court):
    first = open_file(staff)
    second = open_file(staff, debtors=[person(id_number="1000000016")])

    year = timezone.localdate().year
    assert first.number == f"RYC-{year}-000001"
    assert second.number == f"RYC-{year}-000002"
    assert first.currency == "SAR"
    assert AuditRecord.objects.filter(action="file.opened", object_id=str(first.pk)).exists()


@pytest.mark.parametrize(
    ("by_court", "directly"), [(5_000_000, 0), (0, 5_000_000), (3_000_000, 2_000_000)]
)
def test_balance_owed_is_claim_plus_costs_less_what_was_paid(file, by_court, directly):
    EnforcementFile.objects.filter(pk=file.pk).update(
        paid_to_applicants_minor=by_court, paid_directly_minor=directly
    )
    file.refresh_from_db()

    owed = selectors.balance_owed(file)

    assert owed.amount_minor == 15_000_000 + 250_000 - 5_000_000
    assert owed.currency == "SAR"


def test_staff_of_another_court_cannot_see_or_touch_a_file(file, other_court):
    outsider = make_user("EXECUTION_STAFF", court=other_court)

    with pytest.raises(NotFound):
        services.change_file_status(actor=outsider, file_id=file.pk, action="start_enforcement")

    file.refresh_from_db()
    assert file.status == EnforcementFile.Status.OPEN
    assert not selectors.search_files(outsider).exists()


def test_the_registrar_cannot_approve_the_sale_of_the_asset(court, appraised_asset):
    supervisor = make_user("SUPERVISOR", court=court)
    asset = services.register_asset(
        actor=supervisor, file_id=appraised_asset.file_id, details=vehicle(vin="", plate="XYZ 9")
    )
    services.record_appraisal(
        actor=supervisor,
        asset_id=asset.pk,
        appraiser="A",
        appraised_on=timezone.localdate(),
        value_minor=100,
    )
    before = AuditRecord.objects.count()

    with pytest.raises(PermissionDenied):
        services.approve_for_sale(actor=supervisor, asset_id=asset.pk)

    asset.refresh_from_db()
    assert asset.status == SeizedAsset.Status.APPRAISED
    assert AuditRecord.objects.count() == before


def test_a_supervisor_approves_an_appraised_asset(supervisor, appraised_asset):
    services.approve_for_sale(actor=supervisor, asset_id=appraised_asset.pk)

    appraised_asset.refresh_from_db()
    assert appraised_asset.status == SeizedAsset.Status.APPROVED_FOR_SALE
    assert appraised_asset.approved_by == supervisor
    record = AuditRecord.objects.get(action="asset.approve_for_sale")
    assert record.before["status"] == "APPRAISED"
    assert record.after["status"] == "APPROVED_FOR_SALE"


def test_the_sale_states_used_by_auctions(supervisor, appraised_asset):
    services.approve_for_sale(actor=supervisor, asset_id=appraised_asset.pk)

    services.mark_listed(actor=None, asset_id=appraised_asset.pk)
    services.mark_unsold(actor=None, asset_id=appraised_asset.pk)
    services.mark_listed(actor=None, asset_id=appraised_asset.pk)
    services.mark_sold(actor=None, asset_id=appraised_asset.pk)

    appraised_asset.refresh_from_db()
    assert appraised_asset.status == SeizedAsset.Status.SOLD
    with pytest.raises(InvalidTransition):
        services.mark_listed(actor=None, asset_id=appraised_asset.pk)


@pytest.mark.parametrize("status", ["SUSPENDED", "SATISFIED", "CLOSED"])
def test_nothing_of_a_file_suspended_or_paid_is_put_up_for_sale(
    supervisor, appraised_asset, status
):
    services.approve_for_sale(actor=supervisor, asset_id=appraised_asset.pk)
    EnforcementFile.objects.filter(pk=appraised_asset.file_id).update(status=status)
    audited = AuditRecord.objects.count()

    with pytest.raises(InvalidTransition) as refused:
        services.mark_listed(actor=None, asset_id=appraised_asset.pk)

    assert refused.value.code == "file_not_enforcing"
    assert appraised_asset.file.number in refused.value.render()
    appraised_asset.refresh_from_db()
    assert appraised_asset.status == SeizedAsset.Status.APPROVED_FOR_SALE
    assert AuditRecord.objects.count() == audited


def test_an_order_goes_from_requested_to_lifted(staff, supervisor, file, agency):
    order = services.request_order(
        actor=staff,
        file_id=file.pk,
        kind="BANK_FUNDS",
        agency_id=agency.pk,
        target=services.OrderTarget(iban=IBAN_SA),
    )

    services.issue_order(actor=supervisor, order_id=order.pk)
    services.record_order_execution(actor=staff, order_id=order.pk, amount_seized_minor=1_000_00)
    services.lift_order(actor=supervisor, order_id=order.pk, reason="Debt settled")

    order.refresh_from_db()
    assert order.status == SeizureOrder.Status.LIFTED
    assert order.amount_seized_minor == 1_000_00
    assert order.issued_by == supervisor
    assert order.lifted_by == supervisor


def test_staff_cannot_issue_an_order(staff, file, agency):
    order = services.request_order(
        actor=staff,
        file_id=file.pk,
        kind="TRAVEL_BAN",
        agency_id=agency.pk,
        target=services.OrderTarget(party_id=file.file_parties.get(role="DEBTOR").party_id),
    )

    with pytest.raises(PermissionDenied):
        services.issue_order(actor=staff, order_id=order.pk)

    order.refresh_from_db()
    assert order.status == SeizureOrder.Status.REQUESTED


def test_a_letter_is_written_from_its_template_and_answered_by_the_agency(
    staff, file, agency, agency_user, asset
):
    letter = services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind="SEIZE",
        language="en",
        due_on=tomorrow(),
        asset_id=asset.pk,
    )

    assert file.number in letter.subject
    assert asset.vin in letter.body
    assert "Khalid Al-Otaibi" in letter.body
    services.answer_letter(actor=agency_user, letter_id=letter.pk, answer="Seized on our records.")
    letter.refresh_from_db()
    assert letter.status == AgencyLetter.Status.ANSWERED
    assert letter.acknowledged_by == agency_user


def test_an_arabic_letter_uses_the_arabic_template(staff, file, agency):
    letter = services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind="INQUIRY",
        language="ar",
        due_on=tomorrow(),
    )

    assert letter.subject.startswith("استعلام")
    assert "خالد العتيبي" in letter.body


def test_another_agency_cannot_see_or_answer_a_letter(staff, file, agency, other_agency):
    letter = services.send_letter(
        actor=staff,
        file_id=file.pk,
        agency_id=agency.pk,
        subject_kind="INQUIRY",
        language="en",
        due_on=tomorrow(),
    )
    outsider = make_user("AGENCY", agency=other_agency)

    with pytest.raises(NotFound):
        services.answer_letter(actor=outsider, letter_id=letter.pk, answer="x")

    letter.refresh_from_db()
    assert letter.status == AgencyLetter.Status.SENT
    assert not selectors.letters_overdue_first(outsider).exists()


def test_a_due_date_in_the_past_is_refused(staff, file, agency):
    with pytest.raises(DomainError) as refused:
        services.send_letter(
            actor=staff,
            file_id=file.pk,
            agency_id=agency.pk,
            subject_kind="SEIZE",
            language="en",
            due_on=timezone.localdate(),
        )

    assert refused.value.field == "due_on"
    assert not AgencyLetter.objects.exists()


def test_what_the_court_account_paid_is_kept_on_the_file_and_lowers_the_balance(file):
    services.record_paid_to_applicants(file_id=file.pk, paid_minor=4_000_000)
    services.record_paid_to_applicants(file_id=file.pk, paid_minor=4_000_000)  # no change
    file.refresh_from_db()
    assert file.paid_to_applicants_minor == 4_000_000
    assert selectors.balance_owed(file).amount_minor == 15_000_000 + 250_000 - 4_000_000

    services.record_paid_to_applicants(file_id=file.pk, paid_minor=0)  # a payout came back
    file.refresh_from_db()
    assert file.balance_owed().amount_minor == 15_000_000 + 250_000

    with pytest.raises(ValueError, match="cannot be negative"):
        services.record_paid_to_applicants(file_id=file.pk, paid_minor=-1)
    services.record_paid_to_applicants(file_id=file.pk, paid_minor=99_000_000)  # never below 0
    file.refresh_from_db()
    assert file.balance_owed().amount_minor == 0
