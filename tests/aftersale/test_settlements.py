"""Instalment settlements from proposal to their end: default (enforcement resumes after the
notice period) or completion (the file satisfied); the money through payments core."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from aftersale.models import CustodyItem, Distribution
from aftersale.services import instalments as settlement_payments
from auction.models import Lot
from core.errors import InvalidTransition, NotFound
from enforcement import services as enforcement
from enforcement.instalments import PlanTerms, add_months
from enforcement.models import EnforcementFile, Instalment, Settlement, SettlementRules
from enforcement.services.settlements import SettlementRefused
from notifications import delivery
from payments import services as payments
from tests.aftersale import helpers
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

RIYADH = ZoneInfo("Asia/Riyadh")


def today() -> date:
    return datetime.now(RIYADH).date()


def noon(day: date) -> datetime:
    """A moment of `day` in the court's zone: the clock's `now` in these tests."""
    return datetime.combine(day, time(12), RIYADH)


def debtor_of(file: Any) -> Any:
    """A verified account with the national ID of the file's debtor (not linked to the party)."""
    party = file.file_parties.get(role="DEBTOR").party
    return make_user("BIDDER", verified=True, id_kind="NATIONAL_ID", id_number=party.id_number)


def pay(debtor: Any, file: Any, finance: Any) -> Any:
    """The debtor pays the next instalment by bank transfer; finance finds it in the statement."""
    payment = settlement_payments.start_instalment_payment(
        debtor=debtor, file_id=file.pk, method="BANK_TRANSFER"
    )
    payments.confirm_bank_transfer(actor=finance, payment=payment, note="Statement line 4")
    return payment


def test_a_missed_instalment_is_noticed_then_enforcement_resumes_after_the_notice_period(
    court, finance, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    SettlementRules.objects.create(court=court, notice_days=10)
    file = helpers.file_with(court, claim=1_200_000, costs=30_000)
    debtor = debtor_of(file)
    first_due = today() + timedelta(days=2)

    settlement = enforcement.propose_settlement(
        debtor=debtor,
        file_id=file.pk,
        terms=PlanTerms(
            total_minor=1_230_000, first_minor=230_000, first_due_on=first_due, count=4
        ),
    )
    amounts = list(settlement.instalments.values_list("amount_minor", flat=True))
    assert amounts == [230_000, 250_000, 250_000, 250_000, 250_000]
    with django_capture_on_commit_callbacks(execute=True):
        enforcement.decide_settlement(
            actor=supervisor, settlement_id=settlement.pk, approve=True, reason="Agreed terms"
        )
    settlement.refresh_from_db()
    file.refresh_from_db()
    assert (settlement.status, settlement.notice_days) == ("APPROVED", 10)
    assert file.status == EnforcementFile.Status.SUSPENDED

    pay(debtor, file, finance)
    assert Instalment.objects.get(settlement=settlement, number=1).is_paid
    item = CustodyItem.objects.get(file=file, kind=CustodyItem.Kind.INSTALMENT)
    assert item.amount_minor == 230_000
    assert Distribution.objects.filter(file=file).exists()

    second_due = add_months(first_due, 1)
    assert enforcement.run_settlement_deadlines(noon(second_due)) == 0  # due today: not missed
    delivery.deliver_due(timezone.now())  # the notices so far (the decision, the receipt)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert enforcement.run_settlement_deadlines(noon(second_due + timedelta(days=1))) == 1
    delivery.deliver_due(timezone.now())
    settlement.refresh_from_db()
    assert settlement.notice_sent_on == second_due + timedelta(days=1)
    assert settlement.resumes_on == second_due + timedelta(days=11)
    assert [message.to for message in mailoutbox] == [[debtor.email]]
    assert "2,500.00" in mailoutbox[0].body or "2500.00" in mailoutbox[0].body
    assert enforcement.run_settlement_deadlines(noon(second_due + timedelta(days=2))) == 0

    assert enforcement.run_settlement_deadlines(noon(second_due + timedelta(days=10))) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert enforcement.run_settlement_deadlines(noon(second_due + timedelta(days=11))) == 1
    delivery.deliver_due(timezone.now())

    settlement.refresh_from_db()
    file.refresh_from_db()
    assert settlement.status == Settlement.Status.DEFAULTED
    assert file.status == EnforcementFile.Status.ENFORCING
    assert "Enforcement resumed" in mailoutbox[-1].subject
    with pytest.raises(InvalidTransition):
        settlement_payments.start_instalment_payment(
            debtor=debtor, file_id=file.pk, method="BANK_TRANSFER"
        )


def test_a_second_settlement_paid_in_full_satisfies_the_file(court, finance, supervisor, staff):
    file = helpers.file_with(court, claim=900_000)
    debtor = debtor_of(file)
    refused = enforcement.record_settlement(
        actor=staff,
        file_id=file.pk,
        terms=PlanTerms(total_minor=900_000, first_minor=100_000, first_due_on=today(), count=8),
    )
    enforcement.decide_settlement(
        actor=supervisor, settlement_id=refused.pk, approve=False, reason="Too long a plan"
    )

    settlement = enforcement.record_settlement(
        actor=staff,
        file_id=file.pk,
        terms=PlanTerms(total_minor=900_000, first_minor=300_000, first_due_on=today(), count=2),
        note="Agreed at the counter",
    )
    enforcement.decide_settlement(
        actor=supervisor, settlement_id=settlement.pk, approve=True, reason="A fair plan"
    )
    for _number in range(3):
        pay(debtor, file, finance)

    settlement.refresh_from_db()
    file.refresh_from_db()
    refused.refresh_from_db()
    assert refused.status == Settlement.Status.REFUSED
    assert settlement.status == Settlement.Status.COMPLETED
    assert file.status == EnforcementFile.Status.SATISFIED
    assert sum(CustodyItem.objects.filter(file=file).values_list("amount_minor", flat=True)) == (
        900_000
    )
    assert not Instalment.objects.filter(settlement=settlement, paid_at__isnull=True).exists()


def test_approval_withdraws_scheduled_lots_and_is_refused_while_a_lot_is_live(
    court, supervisor, staff
):
    file = helpers.file_with(court, claim=5_000_000)
    scheduled = factories.lot(
        court, status=Lot.Status.SCHEDULED, asset=factories.approved_asset(court, file=file)
    )
    debtor = debtor_of(file)
    settlement = enforcement.propose_settlement(
        debtor=debtor,
        file_id=file.pk,
        terms=PlanTerms(
            total_minor=5_000_000, first_minor=1_000_000, first_due_on=today(), count=4
        ),
    )
    live = factories.lot(court, asset=factories.approved_asset(court, file=file))

    with pytest.raises(settlement_payments.SettlementBlocked) as raised:
        enforcement.decide_settlement(
            actor=supervisor, settlement_id=settlement.pk, approve=True, reason="Agreed terms"
        )

    assert (raised.value.code, raised.value.field) == ("lot_live", "file")
    settlement.refresh_from_db()
    scheduled.refresh_from_db()
    assert settlement.status == Settlement.Status.PROPOSED
    assert scheduled.status == Lot.Status.SCHEDULED
    Lot.objects.filter(pk=live.pk).update(status=Lot.Status.WITHDRAWN)
    enforcement.decide_settlement(
        actor=supervisor, settlement_id=settlement.pk, approve=True, reason="Agreed terms"
    )
    scheduled.refresh_from_db()
    assert scheduled.status == Lot.Status.WITHDRAWN


def test_only_the_files_debtor_proposes_and_the_author_never_decides(court, supervisor):
    file = helpers.file_with(court, claim=100_000)
    stranger = make_user("BIDDER", verified=True)
    terms = PlanTerms(total_minor=100_000, first_minor=50_000, first_due_on=today(), count=1)

    with pytest.raises(NotFound):
        enforcement.propose_settlement(debtor=stranger, file_id=file.pk, terms=terms)
    party = file.file_parties.get(role="DEBTOR").party
    unverified = make_user("BIDDER", id_kind="NATIONAL_ID", id_number=party.id_number)
    with pytest.raises(NotFound):
        enforcement.propose_settlement(debtor=unverified, file_id=file.pk, terms=terms)
    recorded = enforcement.record_settlement(actor=supervisor, file_id=file.pk, terms=terms)
    with pytest.raises(SettlementRefused) as raised:
        enforcement.decide_settlement(
            actor=supervisor, settlement_id=recorded.pk, approve=True, reason="My own plan"
        )
    assert (raised.value.code, raised.value.field) == ("own_settlement", "decision")
    assert Settlement.objects.get(pk=recorded.pk).status == Settlement.Status.PROPOSED


def test_a_representative_of_a_debtor_company_proposes_for_it(court, staff):
    from django.utils import timezone as django_timezone

    from accounts.companies import Company, PowerOfAttorney
    from enforcement.models import FileParty, Party

    file = helpers.file_with(court, claim=400_000)
    company = Company.objects.create(
        name_ar="شركة الخليج",
        name_en="Gulf Co.",
        registration_country="SA",
        registration_number="1010123456",
    )
    party = Party.objects.create(
        court=court,
        kind="COMPANY",
        id_kind="COMMERCIAL_REGISTRATION",
        name_ar="شركة الخليج",
        name_en="Gulf Co.",
        id_country="SA",
        id_number="1010123456",
    )
    FileParty.objects.create(file=file, party=party, role="DEBTOR")
    representative = make_user("BIDDER", verified=True)
    terms = PlanTerms(total_minor=400_000, first_minor=100_000, first_due_on=today(), count=3)
    with pytest.raises(NotFound):
        enforcement.propose_settlement(debtor=representative, file_id=file.pk, terms=terms)
    PowerOfAttorney.objects.create(
        company=company,
        representative=representative,
        document="attorney/gulf.pdf",
        valid_until=today() + timedelta(days=90),
        status="APPROVED",
        reviewed_at=django_timezone.now(),
        reviewed_by=staff,
    )

    settlement = enforcement.propose_settlement(debtor=representative, file_id=file.pk, terms=terms)

    assert settlement.origin == Settlement.Origin.DEBTOR
    assert settlement.instalments.count() == 4


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_settlement_pages_render_for_debtor_staff_and_judge(
    client, court, staff, supervisor, language
):
    file = helpers.file_with(court, claim=600_000)
    debtor = debtor_of(file)
    for user in (debtor, staff, supervisor):
        type(user).objects.filter(pk=user.pk).update(preferred_language=language)
    client.force_login(debtor)
    assert client.get(f"/my-files/{file.pk}/settlement/").status_code == 200
    settlement = enforcement.propose_settlement(
        debtor=debtor,
        file_id=file.pk,
        terms=PlanTerms(total_minor=600_000, first_minor=200_000, first_due_on=today(), count=2),
    )
    client.force_login(supervisor)
    judge_page = client.get(f"/workspace/settlements/{settlement.pk}/").content.decode()
    assert 'name="decision"' in judge_page
    response = client.post(
        f"/workspace/settlements/{settlement.pk}/decide/",
        {"decision": "approve", "reason": "A fair plan"},
    )
    assert response.status_code == 302
    client.force_login(staff)
    file_page = client.get(f"/workspace/files/{file.pk}/").content.decode()
    assert 'id="settlement"' in file_page
    assert client.get(f"/workspace/settlements/{settlement.pk}/decision.pdf").status_code == 200

    client.force_login(debtor)
    status = client.get(f"/my-files/{file.pk}/settlement/").content.decode()

    assert 'data-testid="pay-instalment"' in status
    assert 'data-testid="next-due"' in status
    if language == "ar":
        assert "سداد القسط التالي" in status
