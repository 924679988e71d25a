"""Durable payment jobs: retries with backoff, one object per instruction, a person when stuck."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction

from core.models import AuditRecord
from core.money import Money
from payments import jobs, services
from payments.client import StripeClient
from payments.models import JobStatus, Payment, PaymentJob, PaymentStatus, Purpose
from tests.conftest import make_user
from tests.harness.fault_proxy import Fault, FaultProxy
from tests.harness.servers import ARTIFACTS_LOGS, free_port, stripe_mock
from tests.payments.conftest import work

pytestmark = pytest.mark.django_db

API_ERROR = json.dumps({"error": {"type": "api_error", "message": "boom"}}).encode()
JSON = {"Content-Type": "application/json"}


def deposit(court, reference="registration:1"):
    return services.collect_payment(
        payer=make_user(verified=True),
        court=court,
        amount=Money(250_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference=reference,
    )


def test_a_transient_failure_is_retried_later_with_the_same_key_and_body(
    court, stripe, proxy, clock
):
    payment = deposit(court)
    proxy.script(*[Fault("status", 503, JSON, API_ERROR)] * 3)

    work(stripe, clock)
    job = PaymentJob.objects.get()
    assert (job.status, job.attempts, job.outcome_unknown) == (JobStatus.PENDING, 1, True)
    assert job.next_attempt_at == clock.at + timedelta(seconds=jobs.JOB_BACKOFF_SECONDS[0])
    assert work(stripe, clock) == 0  # not due yet

    clock.advance(jobs.JOB_BACKOFF_SECONDS[0])
    work(stripe, clock)

    job.refresh_from_db()
    payment.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert payment.intent_id == proxy.created_ids()[0]
    assert len(proxy.posts()) == 4
    assert len({(r.idempotency_key, r.body) for r in proxy.posts()}) == 1


def test_an_indeterminate_call_ends_in_exactly_one_object(court, stripe, proxy, clock):
    payment = deposit(court)
    proxy.script(*[Fault("drop_response")] * 3)  # the API made it, we never heard

    work(stripe, clock)
    job = PaymentJob.objects.get()
    assert job.status == JobStatus.PENDING
    assert job.outcome_unknown

    clock.advance(3600)
    work(stripe, clock)

    payment.refresh_from_db()
    assert len(proxy.created_ids()) == 1
    assert payment.intent_id == proxy.created_ids()[0]
    assert set(proxy.keys()) == {job.idempotency_key}


def test_a_job_out_of_attempts_waits_for_finance_with_its_error(
    court, stripe, proxy, clock, finance
):
    deposit(court)
    job = PaymentJob.objects.get()
    job.max_attempts = 2
    job.save()
    proxy.script(*[Fault("status", 500, JSON, API_ERROR)] * 6)

    work(stripe, clock)
    clock.advance(3600)
    work(stripe, clock)

    job.refresh_from_db()
    assert job.status == JobStatus.NEEDS_ATTENTION
    assert job.error["type"] == "api_error"
    assert "boom" in job.last_error
    assert AuditRecord.objects.filter(action="payment_job.needs_attention").exists()

    jobs.retry_job(actor=finance, job=job)
    work(stripe, clock)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert set(proxy.keys()) == {job.idempotency_key}


def test_an_invalid_request_goes_straight_to_a_person(court, stripe, proxy, clock):
    deposit(court)
    bad = json.dumps(
        {
            "error": {
                "type": "invalid_request_error",
                "code": "parameter_invalid",
                "param": "amount",
                "message": "no",
            }
        }
    ).encode()
    proxy.script(Fault("status", 400, JSON, bad))

    work(stripe, clock)

    job = PaymentJob.objects.get()
    assert (job.status, job.attempts, job.error["param"]) == (
        JobStatus.NEEDS_ATTENTION,
        1,
        "amount",
    )


def test_the_same_key_with_other_parameters_is_refused(court):
    payment = deposit(court)
    job = PaymentJob.objects.get()

    with pytest.raises(jobs.JobKeyReused), transaction.atomic():
        jobs.enqueue(
            operation=job.operation,
            params={**job.params, "amount": 1},
            idempotency_key=job.idempotency_key,
            subject=payment,
        )

    assert PaymentJob.objects.count() == 1


def test_two_workers_never_claim_the_same_job(court, clock):
    deposit(court, "registration:1")
    deposit(court, "registration:2")

    with transaction.atomic():
        first = jobs.claim(now=clock())
        second = jobs.claim(now=clock())
        third = jobs.claim(now=clock())

    assert first.pk != second.pk
    assert third is None


def test_a_lease_that_ran_out_lets_another_worker_take_the_job(court, clock):
    deposit(court)
    taken = jobs.claim(now=clock(), lease_seconds=30)

    assert jobs.claim(now=clock()) is None
    clock.advance(31)
    again = jobs.claim(now=clock())

    assert again.pk == taken.pk
    assert again.attempts == 2


def test_stripe_mock_stopped_then_started_the_job_completes_once(court, clock, sleeps):
    port = free_port()
    deposit(court)
    with (
        stripe_mock(ARTIFACTS_LOGS, port=port) as server,
        FaultProxy(server.base_url, idempotent=True) as proxy,
    ):
        client = StripeClient(proxy.base_url, "sk_test_mazad", sleep=sleeps, timeout=2)
        server.stop()

        work(client, clock)
        job = PaymentJob.objects.get()
        assert job.status == JobStatus.PENDING
        assert job.error["type"] == "api_connection_error"

        with stripe_mock(ARTIFACTS_LOGS, port=port):
            clock.advance(3600)
            work(client, clock)
            work(client, clock)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.attempts == 2
    assert len(proxy.created_ids()) == 1
    assert set(proxy.keys()) == {job.idempotency_key}
    assert len(proxy.keys()) == 4  # three tries while down, one when back
    assert job.result["id"] == proxy.created_ids()[0]
    assert Payment.objects.get().status == PaymentStatus.AWAITING_PAYMENT
