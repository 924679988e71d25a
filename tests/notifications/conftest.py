"""A real SMTP server and a stand-in SMS gateway, each its own process, for the outbox tests."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.enforcement.conftest import agency  # noqa: F401 - the fixture, for the party tests
from tests.harness.servers import ROOT, free_port, wait_for_port


class ProcessServer:
    """A small server process on a fixed port that a test may stop (an outage) and start again."""

    def __init__(self, module: str, record: Path) -> None:
        self.module = module
        self.record = record
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, str(self.port), str(self.record)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout=20, process=self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def records(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line]


def parts(record: dict[str, Any]) -> dict[str, str]:
    """The text and HTML of a recorded e-mail, decoded: {"text/plain": ..., "text/html": ...}."""
    message = message_from_bytes(record["raw"].encode(), policy=default)
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }


class SmsGateway(ProcessServer):
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"

    def mode(self, mode: str) -> None:
        httpx.post(f"http://127.0.0.1:{self.port}/control", json={"mode": mode}, timeout=5)


@pytest.fixture
def mail_server(settings: Any, tmp_path: Path) -> Iterator[ProcessServer]:
    """aiosmtpd in its own process; Django's SMTP backend sends to it."""
    server = ProcessServer("tests.harness.smtp_sink", tmp_path / "mail.jsonl")
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 3
    yield server
    server.stop()


@pytest.fixture
def sms_gateway(settings: Any, tmp_path: Path) -> Iterator[SmsGateway]:
    gateway = SmsGateway("tests.harness.sms_gateway", tmp_path / "sms.jsonl")
    gateway.start()
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = "test-token"
    settings.SMS_SENDER_ID = "Mazad"
    settings.SMS_GATEWAY_TIMEOUT_SECONDS = 1.0
    yield gateway
    gateway.stop()
