"""The auction tests reuse the payment tests' stripe-mock, recording proxy and signed events."""

from tests.payments.conftest import clock, proxy, sleeps, stripe, stripe_server  # noqa: F401
