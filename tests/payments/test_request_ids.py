"""A request's id follows it into the payment job it writes and the worker's lines about it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.test import Client

from core.money import Money
from payments import services
from payments.models import JobStatus, Payment, PaymentJob, PaymentStatus, Purpose
from tests.conftest import make_user, server_env
from tests.harness.servers import ROOT, server_environment

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]
REQUEST_ID = "pay-request-0001"


def test_the_worker_logs_a_job_with_the_id_of_the_request_that_wrote_it(court, proxy, tmp_path):
    payer = make_user(verified=True)
    payment = services.collect_payment(
        payer=payer,
        court=court,
        amount=Money(150_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:request-id",
    )
    # The intent was made already (its job is done); the payer now pays on the page.
    PaymentJob.objects.update(status=JobStatus.DONE)
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.AWAITING_PAYMENT, intent_id="pi_request_id"
    )
    client = Client()
    client.force_login(payer)
    response = client.post(
        f"/payments/{payment.public_id}/",
        {"payment_method": "pm_card_visa"},
        HTTP_X_REQUEST_ID=REQUEST_ID,
    )
    job = PaymentJob.objects.get(operation="payment_intent.confirm")
    log_path = tmp_path / "worker.log"
    env = {
        **server_env(),
        "STRIPE_API_BASE": proxy.base_url,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }

    done = subprocess.run(
        [sys.executable, "manage.py", "run_payment_worker", "--once", "--poll", "0.05"],
        cwd=ROOT,
        env=server_environment(env),
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        timeout=120,
        check=False,
    )

    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    about_the_job = [line for line in lines if line.get("job") == job.pk]
    assert done.returncode == 0, log_path.read_text()
    assert response.headers["X-Request-ID"] == REQUEST_ID
    assert job.request_id == REQUEST_ID
    assert about_the_job, lines
    assert {line["request_id"] for line in about_the_job} == {REQUEST_ID}
    assert any(line["message"] == f"payment job {job.pk} done" for line in about_the_job)
    assert all(line.get("request_id") in (None, REQUEST_ID) for line in lines)
