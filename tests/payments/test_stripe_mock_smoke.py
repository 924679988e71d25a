"""The project's Stripe client against the running stripe-mock."""

from __future__ import annotations

import pytest

from payments.client import StripeClient, StripeError, encode_form
from tests.support.fault_proxy import FaultProxy
from tests.support.servers import ARTIFACTS_LOGS, stripe_mock


@pytest.fixture(scope="module")
def stripe_server():
    with stripe_mock(ARTIFACTS_LOGS) as server:
        yield server


@pytest.fixture
def proxy(stripe_server):
    with FaultProxy(stripe_server.base_url) as running:
        yield running


def test_create_and_retrieve_a_payment_intent_with_an_idempotency_key(proxy):
    client = StripeClient(proxy.base_url, "sk_test_mazad")

    created = client.create_payment_intent(
        {"amount": 150_000, "currency": "sar", "metadata": {"mazad_ref": "deposit:1:2"}},
        idempotency_key="deposit:1:2:v1",
    )
    fetched = client.retrieve_payment_intent(created["id"])

    assert created["object"] == "payment_intent"
    assert created["id"].startswith("pi_")
    assert fetched["object"] == "payment_intent"
    assert [(r.method, r.path.split("?")[0], r.idempotency_key) for r in proxy.log] == [
        ("POST", "/v1/payment_intents", "deposit:1:2:v1"),
        ("GET", f"/v1/payment_intents/{created['id']}", None),
    ]
    assert b"metadata%5Bmazad_ref%5D=deposit%3A1%3A2" in proxy.log[0].body


def test_the_client_refuses_a_post_without_an_idempotency_key(stripe_server):
    client = StripeClient(stripe_server.base_url, "sk_test_mazad")

    with pytest.raises(ValueError, match="idempotency"):
        client.request("POST", "/v1/payment_intents", {"amount": 1, "currency": "sar"})


def test_an_invalid_request_is_a_typed_error(stripe_server):
    client = StripeClient(stripe_server.base_url, "sk_test_mazad")

    with pytest.raises(StripeError) as raised:
        client.create_payment_intent({"currency": "sar"}, idempotency_key="bad:1")

    assert raised.value.status == 400
    assert raised.value.error_type == "invalid_request_error"


def test_form_encoding_of_nested_parameters_lists_and_booleans():
    pairs = encode_form(
        {
            "amount": 100,
            "metadata": {"file": "KWC-2026-000123"},
            "payment_method_types": ["card"],
            "confirm": True,
            "transfer_data": {"destination": "acct_1"},
            "skipped": None,
        }
    )

    assert pairs == [
        ("amount", "100"),
        ("metadata[file]", "KWC-2026-000123"),
        ("payment_method_types[0]", "card"),
        ("confirm", "true"),
        ("transfer_data[destination]", "acct_1"),
    ]


def test_floats_are_never_encoded():
    with pytest.raises(TypeError):
        encode_form({"amount": 1.5})
