"""Fixtures of the agencies tests: the payment tests' stripe-mock, and agency client processes."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.payments.conftest import clock, proxy, sleeps, stripe, stripe_server  # noqa: F401


@pytest.fixture
def agency_processes() -> Iterator[list[Any]]:
    """Reference agency clients a test started (tests.agencies.test_end_to_end.AgencyProcess)."""
    started: list[Any] = []
    yield started
    for process in started:
        process.stop()
