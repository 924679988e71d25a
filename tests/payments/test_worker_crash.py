"""A worker killed (SIGKILL) at any point: the restarted worker finishes with no second object."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from core.money import Money
from payments import services
from payments.models import JobStatus, PaymentJob, PaymentStatus, Purpose
from tests.conftest import make_user, server_env
from tests.harness.fault_proxy import Fault
from tests.harness.servers import ROOT, server_environment

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


def start_worker(proxy, log_path, *options):
    env = server_environment({**server_env(), "STRIPE_API_BASE": proxy.base_url})
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_payment_worker", "--poll", "0.05", *options],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_until(condition, *, timeout=20.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def one_deposit(court):
    return services.collect_payment(
        payer=make_user(verified=True),
        court=court,
        amount=Money(300_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:crash",
    )


@pytest.mark.parametrize(
    ("crash_point", "calls_before_kill", "calls_in_all"),
    [("after_claim", 0, 1), ("mid_request", 1, 2), ("after_call", 1, 2)],
)
def test_a_worker_killed_mid_job_is_finished_by_the_next_without_a_second_object(
    court, proxy, tmp_path, crash_point, calls_before_kill, calls_in_all
):
    payment = one_deposit(court)
    job = PaymentJob.objects.get()
    log = tmp_path / "worker-1.log"
    if crash_point == "mid_request":
        # The API makes the PaymentIntent, and its answer is held back until the worker is dead.
        proxy.script(Fault("slow_response", seconds=5))
        first = start_worker(proxy, log, "--lease", "1")
        wait_until(lambda: len(proxy.log) == 1, what="the request to reach the API")
    else:
        first = start_worker(proxy, log, "--lease", "1", "--pause-at", crash_point)
        wait_until(
            lambda: "paused at" in log.read_text(), what=f"the worker to pause {crash_point}"
        )

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    job.refresh_from_db()
    payment.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert payment.status == PaymentStatus.PREPARING
    assert len(proxy.log) == calls_before_kill

    second = start_worker(proxy, tmp_path / "worker-2.log")
    try:
        wait_until(
            lambda: PaymentJob.objects.get(pk=job.pk).status == JobStatus.DONE,
            what="the restarted worker to finish the job",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=10)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AWAITING_PAYMENT
    assert proxy.created_ids() == [payment.intent_id]
    assert set(proxy.keys()) == {job.idempotency_key}
    assert len(proxy.keys()) == calls_in_all
    assert "payment worker stopped" in (tmp_path / "worker-2.log").read_text()


def test_a_stop_signal_during_the_workers_wait_ends_the_wait_without_taking_a_lock():
    """The worker's stop is asked for from a signal handler, in the thread that may be
    waiting: it must only set a flag (an Event's set there can deadlock on the lock its own
    wait holds), and the wait must end soon after."""
    import threading
    import time

    from payments.management.commands.run_payment_worker import Stop

    stop = Stop()
    previous = signal.signal(signal.SIGALRM, stop.request)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        started = time.monotonic()
        stop.wait(30)
        waited = time.monotonic() - started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert stop.requested
    assert waited < 10, "the wait ended once the stop was asked for"
    assert not any(isinstance(v, threading.Event) for v in vars(stop).values())
