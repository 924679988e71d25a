"""An instalment payment racing the clock's default pass, on real connections: either the
payment counts and enforcement stays suspended, or the default came first and the late payment
is still credited to the file; never both. Two clock passes racing send each letter step once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.test import Client

from aftersale.models import CustodyItem
from aftersale.services import instalments as settlement_payments
from core.models import AuditRecord
from enforcement import services as enforcement
from enforcement.instalments import PlanTerms, add_months
from enforcement.models import EnforcementFile, Instalment, Settlement
from payments import services as payments
from payments.models import PaymentStatus
from tests.aftersale import helpers
from tests.conftest import make_user
from tests.payments.conftest import intent_object, make_event, post_event, work

RIYADH = ZoneInfo("Asia/Riyadh")


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), RIYADH)


def _race(*steps: Callable[[], Any]) -> list[BaseException]:
    barrier = threading.Barrier(len(steps))
    failures: list[BaseException] = []

    def run(step: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            step()
        except BaseException as error:  # reported by the test
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures


def _in_notice_period(court: Any, finance: Any) -> tuple[Any, Any, Settlement, datetime]:
    """A settlement whose second instalment was missed and noticed; returns the moment its
    notice period ends (the clock's default is then due)."""
    supervisor = make_user("SUPERVISOR", court=court)
    file = helpers.file_with(court, claim=300_000)
    party = file.file_parties.get(role="DEBTOR").party
    debtor = make_user("BIDDER", verified=True, id_kind="NATIONAL_ID", id_number=party.id_number)
    first_due = datetime.now(RIYADH).date()
    settlement = enforcement.propose_settlement(
        debtor=debtor,
        file_id=file.pk,
        terms=PlanTerms(total_minor=300_000, first_minor=100_000, first_due_on=first_due, count=2),
    )
    enforcement.decide_settlement(
        actor=supervisor, settlement_id=settlement.pk, approve=True, reason="Agreed terms"
    )
    first = settlement_payments.start_instalment_payment(
        debtor=debtor, file_id=file.pk, method="BANK_TRANSFER"
    )
    payments.confirm_bank_transfer(actor=finance, payment=first, note="Statement line 1")
    second_due = add_months(first_due, 1)
    enforcement.run_settlement_deadlines(_noon(second_due + timedelta(days=1)))
    settlement.refresh_from_db()
    assert settlement.resumes_on is not None
    return file, debtor, settlement, _noon(settlement.resumes_on)


def _one_state_only(file: Any, settlement: Settlement) -> None:
    file.refresh_from_db()
    settlement.refresh_from_db()
    second = Instalment.objects.get(settlement=settlement, number=2)
    assert second.is_paid, "the payment is credited either way"
    assert CustodyItem.objects.filter(file=file, kind="INSTALMENT").count() == 2
    if settlement.status == Settlement.Status.DEFAULTED:
        assert second.is_late
        assert file.status == EnforcementFile.Status.ENFORCING
    else:
        assert settlement.status == Settlement.Status.APPROVED
        assert not second.is_late
        assert settlement.notice_sent_on is None, "the notice was cured"
        assert file.status == EnforcementFile.Status.SUSPENDED
    defaults = AuditRecord.objects.filter(
        action="settlement.defaulted", object_id=str(file.pk)
    ).count()
    assert defaults == (1 if settlement.status == Settlement.Status.DEFAULTED else 0)


@pytest.mark.django_db(transaction=True)
def test_a_bank_transfer_racing_the_default_pass_leaves_one_state(court):
    finance = make_user("FINANCE_STAFF", court=court)
    outcomes = set()
    for _round in range(4):
        file, debtor, settlement, deadline = _in_notice_period(court, finance)
        payment = settlement_payments.start_instalment_payment(
            debtor=debtor, file_id=file.pk, method="BANK_TRANSFER"
        )

        failures = _race(
            lambda p=payment: payments.confirm_bank_transfer(
                actor=finance, payment=p, note="Statement line 2"
            ),
            lambda d=deadline: enforcement.run_settlement_deadlines(d),
        )

        assert failures == []
        enforcement.run_settlement_deadlines(deadline)  # a later pass changes nothing more
        _one_state_only(file, settlement)
        outcomes.add(Settlement.objects.get(pk=settlement.pk).status)
    assert outcomes <= {Settlement.Status.APPROVED, Settlement.Status.DEFAULTED}


@pytest.mark.django_db(transaction=True)
def test_a_card_payment_racing_the_default_pass_leaves_one_state(court, stripe):
    finance = make_user("FINANCE_STAFF", court=court)
    file, debtor, settlement, deadline = _in_notice_period(court, finance)
    payment = settlement_payments.start_instalment_payment(
        debtor=debtor, file_id=file.pk, method="CARD"
    )
    work(stripe)
    payment.refresh_from_db()
    payments.confirm_card_payment(payer=debtor, payment=payment, payment_method="pm_card_visa")
    work(stripe)
    payment.refresh_from_db()
    event = make_event("payment_intent.succeeded", intent_object(payment))
    provider = Client()

    def arrive() -> None:
        assert post_event(provider, event).status_code == 200
        work(stripe)

    failures = _race(arrive, lambda: enforcement.run_settlement_deadlines(deadline))
    work(stripe)

    assert failures == []
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    _one_state_only(file, settlement)
