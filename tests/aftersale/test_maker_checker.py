"""Maker-checker: the preparer never approves, supervisors above the limit, no other court."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from aftersale import services as aftersale
from aftersale.models import Disbursement, Distribution, FinanceRules
from aftersale.services.disbursements import DisbursementRefused
from core.errors import InvalidTransition, NotFound, PermissionDenied
from core.models import AuditRecord
from payments.models import DistributionHold, PaymentJob
from tests.aftersale import helpers
from tests.conftest import make_user


def paid_sale(client, court, stripe, **kwargs):
    finance = make_user("FINANCE_STAFF", court=court)
    file = helpers.file_with(court, claim=kwargs.pop("claim", 20_000_000))
    sale = helpers.sold_lot(court, finance, file=file, **kwargs)
    helpers.pay_by_card(client, sale, stripe)
    return Distribution.objects.get(file=file)


def state(item):
    item.refresh_from_db()
    return (item.status, item.prepared_by_id, item.approved_by_id)


@pytest.mark.django_db
def test_the_preparer_cannot_approve_their_own_and_nothing_changes(client, court, stripe):
    distribution = paid_sale(client, court, stripe)
    item = distribution.disbursements.get()
    maker = make_user("FINANCE_STAFF", court=court)
    aftersale.prepare_disbursement(actor=maker, disbursement_id=item.pk)
    before, audits = state(item), AuditRecord.objects.count()

    with pytest.raises(DisbursementRefused) as raised:
        aftersale.approve_disbursement(actor=maker, disbursement_id=item.pk)

    assert (raised.value.code, raised.value.field) == ("own_disbursement", "approved_by")
    assert state(item) == before
    assert AuditRecord.objects.count() == audits
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.filter(pk=item.pk).update(status="APPROVED", approved_by=maker)


@pytest.mark.django_db
def test_above_the_limit_only_a_supervisor_approves(client, court, stripe):
    FinanceRules.objects.create(court=court, approval_threshold_minor=1_000_000)
    distribution = paid_sale(client, court, stripe)
    item = distribution.disbursements.get()
    maker, checker = helpers.staff_pair(court)
    supervisor = make_user("SUPERVISOR", court=court)
    aftersale.prepare_disbursement(actor=maker, disbursement_id=item.pk)
    before = state(item)

    with pytest.raises(DisbursementRefused) as raised:
        aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)
    assert raised.value.code == "supervisor_required"
    assert state(item) == before
    aftersale.approve_disbursement(actor=supervisor, disbursement_id=item.pk)

    assert state(item)[0] == "SENDING"
    distribution.refresh_from_db()
    assert distribution.status == Distribution.Status.FINAL


@pytest.mark.django_db
def test_other_courts_and_other_roles_are_refused(client, court, other_court, stripe):
    distribution = paid_sale(client, court, stripe)
    item = distribution.disbursements.get()
    before = state(item)

    with pytest.raises(NotFound):
        aftersale.prepare_disbursement(
            actor=make_user("FINANCE_STAFF", court=other_court), disbursement_id=item.pk
        )
    with pytest.raises(PermissionDenied):
        aftersale.prepare_disbursement(
            actor=make_user("EXECUTION_STAFF", court=court), disbursement_id=item.pk
        )
    with pytest.raises(PermissionDenied):
        aftersale.prepare_disbursement(
            actor=make_user("SUPERVISOR", court=court), disbursement_id=item.pk
        )
    with pytest.raises(InvalidTransition):
        aftersale.approve_disbursement(
            actor=make_user("FINANCE_STAFF", court=court), disbursement_id=item.pk
        )
    assert state(item) == before


@pytest.mark.django_db
def test_nothing_is_sent_while_a_dispute_holds_the_file(client, court, stripe):
    distribution = paid_sale(client, court, stripe)
    item = distribution.disbursements.get()
    DistributionHold.objects.create(
        court=court, file_number=item.file_number, reason="Card dispute", source="dispute:dp_1"
    )
    maker, checker = helpers.staff_pair(court)
    aftersale.prepare_disbursement(actor=maker, disbursement_id=item.pk)

    aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)

    assert state(item)[0] == "APPROVED"
    assert not PaymentJob.objects.filter(subject_type="aftersale.disbursement").exists()
    with pytest.raises(DisbursementRefused) as raised:
        aftersale.send_disbursement(actor=checker, disbursement_id=item.pk)
    assert raised.value.code == "distribution_hold"


def _race(worker_count, action):
    barrier = threading.Barrier(worker_count)
    outcomes = []

    def run(index):
        try:
            barrier.wait(timeout=10)
            action(index)
            outcomes.append("ok")
        except Exception as error:  # the outcome is what the test counts
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(worker_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_approvers_racing_on_their_own_connections_send_one_transfer(client, court, stripe):
    distribution = paid_sale(client, court, stripe)
    item = distribution.disbursements.get()
    maker = make_user("FINANCE_STAFF", court=court)
    checkers = [make_user("FINANCE_STAFF", court=court) for _ in range(2)]
    aftersale.prepare_disbursement(actor=maker, disbursement_id=item.pk)

    outcomes = _race(
        2, lambda i: aftersale.approve_disbursement(actor=checkers[i], disbursement_id=item.pk)
    )
    senders = _race(
        2, lambda i: aftersale.send_disbursement(actor=checkers[i], disbursement_id=item.pk)
    )

    assert sorted(outcomes) == ["InvalidTransition", "ok"]
    assert senders == ["InvalidTransition", "InvalidTransition"]
    assert (
        PaymentJob.objects.filter(
            subject_type="aftersale.disbursement", subject_id=str(item.pk)
        ).count()
        == 1
    )
    assert AuditRecord.objects.filter(action="disbursement.approved").count() == 1
