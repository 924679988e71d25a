"""Fixtures of the payment tests: a stripe-mock of their own, the fault proxy, signed events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fault_proxy import FaultProxy
from tests.support.servers import ARTIFACTS_LOGS, Server, stripe_mock


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[Server]:
    with stripe_mock(ARTIFACTS_LOGS) as server:
        yield server


@pytest.fixture
def proxy(stripe_server: Server) -> Iterator[FaultProxy]:
    """A recording proxy in front of stripe-mock that keeps Stripe's idempotency promise."""
    with FaultProxy(stripe_server.base_url, idempotent=True) as running:
        yield running


class Sleeps:
    """An injected sleep: records the pauses the client asked for and returns at once."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
