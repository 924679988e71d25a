"""/livez, /readyz (never the payment provider), the heartbeats and the staff status page."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import pytest
from django.core.management import call_command
from django.db import connection

from core import heartbeats
from core.models import ProcessHeartbeat
from tests.conftest import make_user, server_env
from tests.harness.servers import ARTIFACTS_LOGS, ROOT, free_port, start_web, stripe_mock

pytestmark = pytest.mark.django_db

INTERNALS = ("Error", "Exception", "Traceback", "refused", "127.0.0.1", "psycopg", "redis://")


def test_readyz_stays_ready_while_stripe_mock_is_stopped(client, settings):
    with stripe_mock(ARTIFACTS_LOGS) as server:
        settings.STRIPE_API_BASE = server.base_url
    # stripe-mock is stopped now: nothing listens at STRIPE_API_BASE.

    ready = client.get("/readyz")
    old_address = client.get("/healthz")

    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "failing": []}
    assert "no-cache" in ready["Cache-Control"]
    assert old_address.status_code == 200
    assert old_address.json() == ready.json()


def test_livez_is_200_without_asking_any_service(client, settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens

    response = client.get("/livez")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def _readyz_of_a_web_process(**env: str) -> httpx.Response:
    server = start_web("uvicorn", {**server_env(), **env}, ARTIFACTS_LOGS / "readyz")
    try:
        return httpx.get(f"{server.base_url}/readyz", timeout=20)
    finally:
        server.stop()


def _closed_port() -> int:
    return free_port()  # bound and released at once: nothing listens there


def _assert_reveals_nothing(response: httpx.Response) -> None:
    for word in INTERNALS:
        assert word not in response.text, word
    assert set(response.json()) == {"status", "failing"}


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_naming_the_database_when_it_is_unreachable():
    url = f"postgres://mazad:mazad@127.0.0.1:{_closed_port()}/mazad"

    response = _readyz_of_a_web_process(DATABASE_URL=url)

    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "failing": ["database"]}
    _assert_reveals_nothing(response)


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_naming_redis_when_it_is_unreachable():
    response = _readyz_of_a_web_process(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")

    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "failing": ["redis"]}
    _assert_reveals_nothing(response)


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_naming_the_migrations_on_a_database_without_the_schema():
    database = connection.settings_dict
    empty = f"{database['NAME']}_empty"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{empty}"')
        cursor.execute(f'CREATE DATABASE "{empty}"')
    try:
        url = f"postgres://{database['USER']}:{database['PASSWORD']}@127.0.0.1:5432/{empty}"
        response = _readyz_of_a_web_process(DATABASE_URL=url)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')

    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "failing": ["migrations"]}
    _assert_reveals_nothing(response)


# -- heartbeats ---------------------------------------------------------------------------------


def _healthcheck(role: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "healthcheck", role, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=_process_env(),
        timeout=60,
    )


def _process_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**env, **server_env(), "DJANGO_SETTINGS_MODULE": "config.settings.test"}


def _age_beats(role: str, seconds: float) -> None:
    """Move the beats back in time, as if the process had been silent that long."""
    for beat in ProcessHeartbeat.objects.filter(role=role):
        beat.beat_at -= timedelta(seconds=seconds)
        beat.save(update_fields=["beat_at"])


def _wait_for_beat(role: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if ProcessHeartbeat.objects.filter(role=role, host=heartbeats.this_host()).exists():
            return
        assert process.poll() is None, "the process exited before its first beat"
        time.sleep(0.05)
    raise AssertionError("no beat within 30 s")


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("role", "command", "stale_after"),
    [
        ("worker", ["run_payment_worker", "--poll", "0.2"], 300),
        ("clock", ["run_auction_clock", "--closers", "1"], 30),
    ],
)
def test_the_healthcheck_passes_while_the_process_beats_and_fails_once_its_beat_is_stale(
    role, command, stale_after
):
    before = _healthcheck(role)
    process = subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=_process_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_beat(ProcessHeartbeat.Role[role.upper()], process)
        beating = _healthcheck(role)
    finally:
        process.terminate()
        process.wait(timeout=20)
    _age_beats(ProcessHeartbeat.Role[role.upper()], stale_after + 5)
    stale = _healthcheck(role)

    assert before.returncode == 1
    assert "no beat" in before.stderr
    assert beating.returncode == 0, beating.stderr
    assert stale.returncode == 1
    assert "unhealthy: last beat" in stale.stderr


def test_a_beat_of_another_host_does_not_make_this_host_healthy():
    ProcessHeartbeat.objects.create(
        role=ProcessHeartbeat.Role.WORKER,
        host="another-container",
        pid=1,
        started_at=heartbeats.db_now(),
        beat_at=heartbeats.db_now(),
    )

    with pytest.raises(SystemExit) as failed:
        call_command("healthcheck", "worker")
    call_command("healthcheck", "worker", "--any-host")

    assert failed.value.code == 1


def test_a_beater_writes_at_most_once_a_second_in_database_time():
    beater = heartbeats.Beater(heartbeats.Role.CLOCK)

    beater.beat()
    first = ProcessHeartbeat.objects.get(role="CLOCK", host=heartbeats.this_host()).beat_at
    beater.beat()  # within the second: no write
    second = ProcessHeartbeat.objects.get(role="CLOCK", host=heartbeats.this_host()).beat_at

    assert first == second
    assert heartbeats.latest(heartbeats.Role.CLOCK).is_fresh


# -- the staff status page ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_status_page_shows_staff_the_provider_down_the_backlogs_and_the_silent_processes(
    client, settings, court, language
):
    from payments.models import PaymentJob

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{_closed_port()}"
    supervisor = make_user("SUPERVISOR", court=court, preferred_language=language)
    PaymentJob.objects.create(
        operation="payment_intent.create",
        params={},
        idempotency_key="status-page-test",
        next_attempt_at=heartbeats.db_now() - timedelta(minutes=3),
        subject_type="payments.payment",
        subject_id="1",
    )
    client.force_login(supervisor)

    response = client.get("/workspace/status/", HTTP_ACCEPT_LANGUAGE=language)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-check="provider"' in page
    assert ("Unreachable" if language == "en" else "لا يمكن الوصول إليه") in page
    assert 'data-value="jobs-waiting">1<' in page
    assert ("3 min" if language == "en" else "3 دقيقة") in page
    assert 'data-check="worker"' in page
    assert 'data-check="clock"' in page
    assert response["Cache-Control"] == "no-store"


def test_the_status_page_shows_the_provider_reachable_through_stripe_mock(client, settings, court):
    with stripe_mock(ARTIFACTS_LOGS) as server:
        settings.STRIPE_API_BASE = server.base_url
        client.force_login(make_user("FINANCE_STAFF", court=court))

        response = client.get("/workspace/status/", HTTP_ACCEPT_LANGUAGE="en")

    assert '<span class="status-chip ok" data-check="provider">Reachable</span>' in (
        response.content.decode()
    )


def test_the_status_page_is_refused_to_bidders_and_sends_strangers_to_log_in(client):
    anonymous = client.get("/workspace/status/")
    client.force_login(make_user("BIDDER", verified=True))

    refused = client.get("/workspace/status/")

    assert anonymous.status_code == 302
    assert refused.status_code == 403


def test_no_public_page_links_to_a_health_endpoint(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "/healthz" not in page
    assert "/readyz" not in page
    assert "/workspace/status/" not in page
