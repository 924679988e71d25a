"""Fixtures of the agencies tests: the payment tests' stripe-mock, proxy and signed events."""

from tests.payments.conftest import clock, proxy, sleeps, stripe, stripe_server  # noqa: F401
