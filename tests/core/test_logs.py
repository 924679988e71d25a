"""Log lines: JSON from a real server, request ids in answers, lines and bid batches; Sentry."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import subprocess

import httpx
import pytest
from django.test import Client
from websockets.asyncio.client import connect

from auction.bidding import batcher
from auction.bidding.decide import Instruction
from core import logs
from core.clock import stamp
from tests.auction import factories
from tests.conftest import ARTIFACTS, make_user, server_env
from tests.harness.aio import run
from tests.harness.http import logged_in_client
from tests.harness.servers import (
    ROOT,
    free_port,
    server_command,
    server_environment,
    wait_for_port,
)
from tests.harness.snippets import run_json

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def access_lines(caplog):
    caplog.set_level(logging.INFO, logger="mazad.access")
    caplog.handler.addFilter(logs.ContextFilter())
    return lambda: [r for r in caplog.records if r.name == "mazad.access"]


@pytest.mark.django_db
def test_a_well_formed_request_id_is_kept_and_returned_with_the_access_line(access_lines):
    response = Client().get("/livez", HTTP_X_REQUEST_ID="lb-7f3a2c19-0001")

    (line,) = access_lines()
    assert response.headers["X-Request-ID"] == "lb-7f3a2c19-0001"
    assert line.request_id == "lb-7f3a2c19-0001"
    assert (line.route, line.status, line.method, line.path) == ("livez", 200, "GET", "/livez")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["", "short", "has space 123456", "<script>alert(1)</script>", "x" * 200]
)
def test_a_missing_or_malformed_request_id_is_replaced_by_a_new_one(access_lines, incoming):
    response = Client().get("/livez?token=secret", HTTP_X_REQUEST_ID=incoming)

    (line,) = access_lines()
    assert GENERATED.match(response.headers["X-Request-ID"])
    assert line.request_id == response.headers["X-Request-ID"]
    assert "secret" not in line.getMessage() + line.path


@pytest.mark.django_db(transaction=True)
def test_a_bid_batch_logs_with_the_request_ids_of_its_sockets(court, caplog):
    lot = factories.lot(court, opening_minor=1_000)
    registration = factories.registered_bidder(lot)
    caplog.set_level(logging.DEBUG, logger="auction.bidding.batcher")
    caplog.handler.addFilter(logs.ContextFilter())

    async def bid():
        with logs.bound(request_id="socket-request-0001"):
            return await batcher.submit(
                lot.pk,
                Instruction(
                    user_id=registration.bidder_id,
                    received_at=stamp(),
                    amount_minor=1_000,
                    client_id="c1",
                ),
            )

    answer = run(bid)

    decided = [r for r in caplog.records if r.name == "auction.bidding.batcher"]
    assert answer.accepted
    assert decided
    assert all(record.request_ids == ["socket-request-0001"] for record in decided)


@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_every_line_a_server_process_writes_is_json_with_the_request_ids(court):
    bidder = make_user("BIDDER", verified=True)
    port = free_port()
    log_path = ARTIFACTS / "logs" / "json-lines" / "uvicorn.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**server_env(), "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
    log_config = str(ROOT / "deploy" / "logging" / "uvicorn-json.json")
    command = [*server_command("uvicorn", port), "--log-config", log_config]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=server_environment(env),
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    async def socket() -> None:
        async with connect(
            f"ws://127.0.0.1:{port}/ws/me/",
            origin=base,
            additional_headers={"X-Request-ID": "socket-request-0002"},
        ) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            await asyncio.wait_for(ws.recv(), 10)

    try:
        wait_for_port(port, timeout=60, process=process)
        answer = httpx.get(f"{base}/livez", headers={"X-Request-ID": "http-request-0001"})
        httpx.get(f"{base}/no/such/page/")
        logged_in_client(base, bidder.email).get("/")
        run(socket)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)

    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "mazad.access"]
    assert answer.headers["X-Request-ID"] == "http-request-0001"
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert {line["logger"] for line in lines} >= {"uvicorn.error", "mazad.access"}
    livez = next(line for line in access if line.get("path") == "/livez")
    assert (livez["request_id"], livez["route"], livez["status"]) == (
        "http-request-0001",
        "livez",
        200,
    )
    assert any(line.get("route") == "unmatched" and line["status"] == 404 for line in access)
    assert any(line.get("route") == "accounts:login" and line["status"] == 302 for line in access)
    ended = next(line for line in access if line.get("websocket"))
    assert (ended["path"], ended["request_id"]) == ("/ws/me/", "socket-request-0002")


SENTRY_STATE = (
    "import django, json; django.setup(); import sentry_sdk; "
    "client = sentry_sdk.get_client(); "
    "print(json.dumps({'active': client.is_active(), 'dsn': client.dsn, "
    "'pii': bool(client.options.get('send_default_pii'))}))"
)


def test_sentry_is_off_without_a_dsn():
    state = run_json(SENTRY_STATE, {"SENTRY_DSN": ""})

    assert state == {"active": False, "dsn": None, "pii": False}


def test_sentry_is_configured_from_sentry_dsn_without_personal_data():
    # Nothing listens on this loopback port, and nothing is reported: the process only starts.
    dsn = f"http://public@127.0.0.1:{free_port()}/1"

    state = run_json(SENTRY_STATE, {"SENTRY_DSN": dsn})

    assert state == {"active": True, "dsn": dsn, "pii": False}


def test_the_text_format_puts_the_context_after_the_message_and_an_unknown_format_is_refused():
    record = logging.LogRecord("mazad.test", logging.WARNING, __file__, 1, "lot %s", (7,), None)
    formatter = logs.TextFormatter()

    with logs.bound(request_id="text-request-0001", job=12):
        logs.ContextFilter().filter(record)
        line = formatter.format(record)

    assert line.endswith("WARNING mazad.test lot 7 [request_id=text-request-0001 job=12]")
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.config("xml")
