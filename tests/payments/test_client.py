"""The Stripe client: every call against stripe-mock, form encoding, typed errors, retries."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.client import (
    STRIPE_VERSION,
    APIError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    StripeClient,
    StripeConnectionError,
    backoff_seconds,
    encode_form,
)
from tests.harness.fault_proxy import Fault

REF = {"mazad_ref": "payment:test-1"}


def client_for(proxy, sleeps, **options):
    return StripeClient(
        proxy.base_url, "sk_test_mazad", sleep=sleeps, jitter=lambda: 0.5, **options
    )


def paths(proxy):
    return [(r.method, r.path.split("?")[0]) for r in proxy.log]


def error_body(error_type, code=None, **extra):
    return json.dumps(
        {"error": {"type": error_type, "code": code, "message": "no", **extra}}
    ).encode()


# -- every call the platform makes, against stripe-mock ------------------------------------


def test_payment_intent_calls_reach_stripe_mock_with_version_key_and_metadata(proxy, sleeps):
    client = client_for(proxy, sleeps)
    params = {"amount": 150_000, "currency": "sar", "metadata": REF, "capture_method": "automatic"}

    created = client.create_payment_intent(params, idempotency_key="k:create")
    intent = created["id"]
    confirmed = client.confirm_payment_intent(
        intent, {"payment_method": "pm_card_visa"}, idempotency_key="k:confirm"
    )
    captured = client.capture_payment_intent(intent, {}, idempotency_key="k:capture")
    canceled = client.cancel_payment_intent(intent, {}, idempotency_key="k:cancel")
    fetched = client.retrieve_payment_intent(intent)
    found = client.find_payment_intent("payment:test-1")

    assert created["object"] == confirmed["object"] == captured["object"] == "payment_intent"
    assert canceled["object"] == fetched["object"] == "payment_intent"
    assert created["amount"] == 150_000
    assert found is None or found["object"] == "payment_intent"
    assert paths(proxy) == [
        ("POST", "/v1/payment_intents"),
        ("POST", f"/v1/payment_intents/{intent}/confirm"),
        ("POST", f"/v1/payment_intents/{intent}/capture"),
        ("POST", f"/v1/payment_intents/{intent}/cancel"),
        ("GET", f"/v1/payment_intents/{intent}"),
        ("GET", "/v1/payment_intents/search"),
    ]
    assert [r.idempotency_key for r in proxy.posts()] == [
        "k:create",
        "k:confirm",
        "k:capture",
        "k:cancel",
    ]
    assert b"metadata%5Bmazad_ref%5D=payment%3Atest-1" in proxy.log[0].body


def test_refund_customer_and_connect_account_calls(proxy, sleeps):
    client = client_for(proxy, sleeps)

    refund = client.create_refund(
        {"payment_intent": "pi_1", "amount": 500, "metadata": REF}, idempotency_key="k:refund"
    )
    customer = client.create_customer(
        {"email": "b@example.com", "metadata": REF}, idempotency_key="k:customer"
    )
    account = client.create_account(
        {
            "type": "custom",
            "country": "US",
            "metadata": REF,
            "capabilities": {"transfers": {"requested": True}},
        },
        idempotency_key="k:account",
    )

    assert client.retrieve_refund(refund["id"])["object"] == "refund"
    assert client.retrieve_customer(customer["id"])["object"] == "customer"
    assert client.retrieve_account(account["id"])["object"] == "account"
    assert {"refund", "customer", "account"} == {
        refund["object"],
        customer["object"],
        account["object"],
    }
    assert ("capabilities[transfers][requested]", "true") in parse_qsl(
        proxy.posts("/v1/accounts")[0].body.decode()
    )


def test_transfer_reversal_payout_and_balance_calls(proxy, sleeps):
    client = client_for(proxy, sleeps)

    transfer = client.create_transfer(
        {
            "amount": 1000,
            "currency": "usd",
            "destination": "acct_1",
            "transfer_group": "sale:7",
            "metadata": REF,
        },
        idempotency_key="k:transfer",
    )
    reversal = client.create_transfer_reversal(
        transfer["id"], {"amount": 100, "metadata": REF}, idempotency_key="k:reversal"
    )
    payout = client.create_payout(
        {"amount": 1000, "currency": "usd", "metadata": REF}, idempotency_key="k:payout"
    )
    listed = list(client.list_transfers(transfer_group="sale:7"))

    assert client.retrieve_transfer(transfer["id"])["object"] == "transfer"
    assert reversal["object"] == "transfer_reversal"
    assert client.retrieve_payout(payout["id"])["object"] == "payout"
    assert client.retrieve_balance()["object"] == "balance"
    assert all(item["object"] == "transfer" for item in listed)
    assert ("transfer_group", "sale:7") in parse_qsl(proxy.posts("/v1/transfers")[0].body.decode())


def test_balance_transactions_are_listed_page_by_page(proxy, sleeps):
    client = client_for(proxy, sleeps)
    first_page = {
        "object": "list",
        "has_more": True,
        "data": [
            {"id": "txn_a", "object": "balance_transaction"},
            {"id": "txn_b", "object": "balance_transaction"},
        ],
    }
    proxy.script(
        Fault("status", 200, {"Content-Type": "application/json"}, json.dumps(first_page).encode())
    )

    items = list(client.list_balance_transactions({"payout": "po_1"}))

    assert [item["id"] for item in items[:2]] == ["txn_a", "txn_b"]
    assert len(items) > 2  # the second page came from stripe-mock
    second = dict(parse_qsl(proxy.log[1].path.split("?", 1)[1]))
    assert second["starting_after"] == "txn_b"
    assert second["payout"] == "po_1"


def test_the_api_version_is_pinned_and_the_key_sent(stripe_server, sleeps):
    import httpx

    seen = {}

    def record(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers)
        return httpx.Response(200, json={"object": "balance"})

    client = StripeClient("http://stripe.test", "sk_test_secret", sleep=sleeps)
    client._http = httpx.Client(
        base_url="http://stripe.test", transport=httpx.MockTransport(record)
    )

    client.retrieve_balance()

    assert seen["stripe-version"] == STRIPE_VERSION
    assert seen["authorization"] == "Bearer sk_test_secret"


# -- form encoding and refusals -------------------------------------------------------------


def test_form_encoding_of_nested_parameters_lists_and_booleans():
    pairs = encode_form(
        {
            "amount": 100,
            "metadata": {"file": "KWC-2026-000123"},
            "payment_method_types": ["card"],
            "confirm": True,
            "transfer_data": {"destination": "acct_1"},
            "items": [{"price": "p_1", "quantity": 2}],
            "skipped": None,
        }
    )

    assert pairs == [
        ("amount", "100"),
        ("metadata[file]", "KWC-2026-000123"),
        ("payment_method_types[0]", "card"),
        ("confirm", "true"),
        ("transfer_data[destination]", "acct_1"),
        ("items[0][price]", "p_1"),
        ("items[0][quantity]", "2"),
    ]


def test_floats_are_never_encoded():
    with pytest.raises(TypeError, match="floats"):
        encode_form({"amount": 1.5})


def test_a_post_without_an_idempotency_key_is_refused_before_sending(proxy, sleeps):
    client = client_for(proxy, sleeps)

    with pytest.raises(ValueError, match="idempotency"):
        client.request("POST", "/v1/payment_intents", {"amount": 1, "currency": "sar"})

    assert proxy.log == []


def test_an_object_without_our_reference_in_metadata_is_refused_before_sending(proxy, sleeps):
    client = client_for(proxy, sleeps)

    with pytest.raises(ValueError, match="mazad_ref"):
        client.create_payment_intent({"amount": 1, "currency": "sar"}, idempotency_key="k")
    with pytest.raises(ValueError, match="transfer_group"):
        client.create_transfer(
            {"amount": 1, "currency": "sar", "metadata": REF}, idempotency_key="k"
        )

    assert proxy.log == []


def test_an_invalid_request_is_a_typed_error_with_stripe_type_code_and_param(proxy, sleeps):
    client = client_for(proxy, sleeps)

    with pytest.raises(InvalidRequestError) as raised:
        client.create_payment_intent({"currency": "sar", "metadata": REF}, idempotency_key="bad:1")

    assert raised.value.status == 400
    assert raised.value.error_type == "invalid_request_error"
    assert raised.value.param == "amount" or "amount" in raised.value.message
    assert len(proxy.log) == 1  # a 400 is never retried


def test_a_declined_card_is_a_card_error_with_its_decline_code(proxy, sleeps):
    client = client_for(proxy, sleeps)
    body = error_body("card_error", "card_declined", decline_code="insufficient_funds")
    proxy.script(
        Fault("status", 402, {"Content-Type": "application/json", "Request-Id": "req_9"}, body)
    )

    with pytest.raises(CardError) as raised:
        client.confirm_payment_intent(
            "pi_1", {"payment_method": "pm_card_visa"}, idempotency_key="k"
        )

    assert (raised.value.code, raised.value.decline_code, raised.value.request_id) == (
        "card_declined",
        "insufficient_funds",
        "req_9",
    )
    assert not raised.value.is_indeterminate
    assert len(proxy.log) == 1


# -- the retry matrix -------------------------------------------------------------------------

JSON = {"Content-Type": "application/json"}
RETRY_TRUE = {**JSON, "Stripe-Should-Retry": "true"}
RETRY_FALSE = {**JSON, "Stripe-Should-Retry": "false"}
API_ERROR = error_body("api_error")


@pytest.mark.parametrize(
    ("faults", "attempts", "outcome"),
    [
        (
            [Fault("status", 409, JSON, error_body("invalid_request_error", "lock_timeout"))],
            2,
            "ok",
        ),
        ([Fault("status", 429, JSON, error_body("invalid_request_error", "rate_limit"))], 2, "ok"),
        (
            [Fault("status", 429, RETRY_TRUE, error_body("invalid_request_error", "lock_timeout"))],
            2,
            "ok",
        ),
        ([Fault("status", 500, JSON, API_ERROR)], 2, "ok"),
        ([Fault("status", 503, JSON, API_ERROR), Fault("status", 502, JSON, b"")], 3, "ok"),
        ([Fault("status", 500, JSON, API_ERROR)] * 3, 3, APIError),
        ([Fault("status", 500, RETRY_FALSE, API_ERROR)], 1, APIError),
        (
            [Fault("status", 409, RETRY_FALSE, error_body("invalid_request_error"))],
            1,
            InvalidRequestError,
        ),
        ([Fault("status", 400, RETRY_TRUE, error_body("invalid_request_error"))], 2, "ok"),
        ([Fault("status", 400, JSON, error_body("invalid_request_error"))], 1, InvalidRequestError),
        ([Fault("status", 402, JSON, error_body("card_error", "card_declined"))], 1, CardError),
        ([Fault("reset")], 2, "ok"),
        ([Fault("reset")] * 3, 3, StripeConnectionError),
        ([Fault("drop_response")], 2, "ok"),
    ],
    ids=[
        "409",
        "429",
        "429-should-retry",
        "500",
        "503-502",
        "500x3-gives-up",
        "500-should-not-retry",
        "409-should-not-retry",
        "400-should-retry",
        "400",
        "402",
        "reset",
        "reset-x3",
        "dropped-response",
    ],
)
def test_retries_follow_stripes_rules_with_the_same_key_and_body(
    proxy, sleeps, faults, attempts, outcome
):
    client = client_for(proxy, sleeps)
    proxy.script(*faults)
    params = {"amount": 2500, "currency": "sar", "metadata": REF}

    if outcome == "ok":
        assert (
            client.create_payment_intent(params, idempotency_key="deposit:9:v1")["amount"] == 2500
        )
    else:
        with pytest.raises(outcome):
            client.create_payment_intent(params, idempotency_key="deposit:9:v1")

    sent = proxy.posts()
    assert len(sent) == attempts
    assert {r.idempotency_key for r in sent} == {"deposit:9:v1"}
    assert len({r.body for r in sent}) == 1
    assert len(sleeps.pauses) == attempts - 1
    assert all(0.5 <= pause <= 5.0 for pause in sleeps.pauses)


def test_pauses_grow_exponentially_with_jitter_between_half_a_second_and_five(proxy, sleeps):
    client = client_for(proxy, sleeps, max_retries=6)
    proxy.script(*[Fault("status", 503, JSON, API_ERROR)] * 7)

    with pytest.raises(APIError):
        client.retrieve_balance()

    # jitter fixed at 0.5 -> factor 0.75: 0.5*0.75 is raised to the 0.5 floor.
    assert sleeps.pauses == [0.5, 0.75, 1.5, 3.0, 5.0 * 0.75, 5.0 * 0.75]


@given(retry=st.integers(1, 30), jitter=st.floats(0, 0.999999), after=st.none() | st.floats(0, 100))
def test_every_pause_is_within_half_a_second_and_five(retry, jitter, after):
    assert 0.5 <= backoff_seconds(retry, jitter=jitter, retry_after=after) <= 5.0


def test_a_retry_after_within_the_cap_is_honoured(proxy, sleeps):
    client = client_for(proxy, sleeps)
    proxy.script(Fault("status", 429, {**JSON, "Retry-After": "4"}, error_body("rate_limit_error")))

    client.retrieve_balance()

    assert sleeps.pauses == [4.0]


def test_a_read_timeout_is_retried_with_the_same_key_and_ends_in_one_object(proxy, sleeps):
    client = client_for(proxy, sleeps, timeout=0.3)
    proxy.script(Fault("slow_response", seconds=0.6))
    params = {"amount": 700, "currency": "sar", "metadata": REF}

    created = client.create_payment_intent(params, idempotency_key="slow:1")

    assert proxy.keys() == ["slow:1", "slow:1"]
    assert proxy.created_ids() == [created["id"]]


def test_an_indeterminate_500_after_the_object_was_made_resolves_to_that_one_object(proxy, sleeps):
    client = client_for(proxy, sleeps)
    proxy.script(Fault("fail_after_forward", 500, JSON, API_ERROR))

    created = client.create_transfer(
        {
            "amount": 900,
            "currency": "usd",
            "destination": "acct_1",
            "transfer_group": "sale:1",
            "metadata": REF,
        },
        idempotency_key="transfer:1:v1",
    )

    assert proxy.keys() == ["transfer:1:v1", "transfer:1:v1"]
    assert proxy.created_ids() == [created["id"]]


def test_an_indeterminate_error_says_so_when_retries_run_out(proxy, sleeps):
    client = client_for(proxy, sleeps)
    proxy.script(*[Fault("drop_response")] * 3)

    with pytest.raises(StripeConnectionError) as raised:
        client.create_payment_intent(
            {"amount": 1, "currency": "sar", "metadata": REF}, idempotency_key="drop:1"
        )

    assert raised.value.is_indeterminate
    assert len(proxy.created_ids()) == 1
    assert proxy.keys() == ["drop:1"] * 3


def test_the_same_key_with_other_parameters_is_an_idempotency_error(proxy, sleeps):
    client = client_for(proxy, sleeps)
    client.create_payment_intent(
        {"amount": 1, "currency": "sar", "metadata": REF}, idempotency_key="same"
    )

    with pytest.raises(IdempotencyError):
        client.create_payment_intent(
            {"amount": 2, "currency": "sar", "metadata": REF}, idempotency_key="same"
        )


def test_a_refused_connection_is_not_indeterminate(sleeps):
    from tests.harness.servers import free_port

    client = StripeClient(f"http://127.0.0.1:{free_port()}", "sk", sleep=sleeps)

    with pytest.raises(StripeConnectionError) as raised:
        client.create_refund({"amount": 1, "metadata": REF}, idempotency_key="k")

    assert not raised.value.is_indeterminate
    assert len(sleeps.pauses) == 2
