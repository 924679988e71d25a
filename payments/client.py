"""A client of the Stripe API over httpx (stripe-mock in development and tests); no Stripe SDK.

Every POST carries an Idempotency-Key derived from our own record, and every
object we create carries our reference in `metadata[mazad_ref]`. Failed calls
are retried with the rules of stripe-python (connection errors, timeouts, 409,
5xx, `Stripe-Should-Retry`), plus 429 as the issue asks; a 5xx or a timeout
after the request was sent is *indeterminate*: the caller resolves it by
replaying the same key, never by a new one.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

STRIPE_VERSION = "2024-06-20"
REFERENCE_KEY = "mazad_ref"
DEFAULT_MAX_RETRIES = 2
INITIAL_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 5.0

Params = Mapping[str, Any]
StripeObject = dict[str, Any]


def encode_form(params: Params, prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: nested maps as a[b]=, lists as a[0]=, booleans as true/false."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        pairs.extend(_encode_value(name, value))
    return pairs


def _encode_value(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return encode_form(value, name)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        pairs: list[tuple[str, str]] = []
        for index, item in enumerate(value):
            pairs.extend(_encode_value(f"{name}[{index}]", item))
        return pairs
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    if isinstance(value, float):
        raise TypeError(f"{name}: floats are never sent to the payment API")
    return [(name, str(value))]


class StripeError(Exception):
    """An error answer of the API, typed by Stripe's error type and code.

    `is_indeterminate` is true when the API may have acted on the request
    although we got no success answer (a 5xx, or a timeout after sending).
    """

    is_indeterminate = False

    def __init__(
        self,
        *,
        status: int,
        error_type: str,
        code: str | None = None,
        message: str = "",
        request_id: str | None = None,
        decline_code: str | None = None,
        param: str | None = None,
        should_retry: bool | None = None,
    ) -> None:
        self.status, self.error_type, self.code = status, error_type, code
        self.message, self.request_id = message, request_id
        self.decline_code, self.param, self.should_retry = decline_code, param, should_retry
        super().__init__(f"{status} {error_type} {code or ''}: {message}".strip())

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "type": self.error_type,
            "code": self.code,
            "decline_code": self.decline_code,
            "param": self.param,
            "message": self.message,
            "request_id": self.request_id,
            "indeterminate": self.is_indeterminate,
        }


class CardError(StripeError):
    """The card was declined (402): a business outcome, never retried."""


class InvalidRequestError(StripeError):
    """The request was wrong (400, 404): a person must look at it."""


class IdempotencyError(StripeError):
    """The key was reused with other parameters: a bug on our side."""


class AuthenticationError(StripeError):
    """The secret key was refused (401)."""


class PermissionError(StripeError):
    """The key may not do this (403)."""


class RateLimitError(StripeError):
    """Too many requests (429)."""


class APIError(StripeError):
    """The API failed (5xx): indeterminate, the object may or may not exist."""

    is_indeterminate = True


class StripeConnectionError(StripeError):
    """No answer: refused, reset or timed out. Indeterminate once the request was sent."""

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(status=0, error_type="api_connection_error", message=message)
        self.is_indeterminate = request_sent


def error_for(response: httpx.Response) -> StripeError:
    """The typed error of a non-2xx answer."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error", {}) if isinstance(body, dict) else {}
    if not isinstance(error, dict):
        error = {}
    status = response.status_code
    error_type = str(
        error.get("type") or ("api_error" if status >= 500 else "invalid_request_error")
    )
    kind: type[StripeError]
    if error_type == "idempotency_error":
        kind = IdempotencyError
    elif status == 402 or error_type == "card_error":
        kind = CardError
    elif status == 401:
        kind = AuthenticationError
    elif status == 403:
        kind = PermissionError
    elif status == 429:
        kind = RateLimitError
    elif status >= 500:
        kind = APIError
    else:
        kind = InvalidRequestError
    return kind(
        status=status,
        error_type=error_type,
        code=error.get("code"),
        message=str(error.get("message") or response.text[:200]),
        request_id=response.headers.get("Request-Id"),
        decline_code=error.get("decline_code"),
        param=error.get("param"),
        should_retry=_should_retry_header(response),
    )


def _should_retry_header(response: httpx.Response) -> bool | None:
    value = response.headers.get("Stripe-Should-Retry")
    return {"true": True, "false": False}.get(value) if value else None


def should_retry(response: httpx.Response) -> bool:
    """stripe-python's decision for an answer, plus 429.

    The header decides when present; otherwise 409 (conflict), 429 (rate
    limit) and every 5xx are retried, and nothing else.
    """
    header = _should_retry_header(response)
    if header is not None:
        return header
    status = response.status_code
    return status in (409, 429) or status >= 500


def backoff_seconds(retry: int, *, jitter: float, retry_after: float | None = None) -> float:
    """The pause before retry number `retry` (1-based), within [0.5 s, 5 s].

    Exponential from 0.5 s, capped at 5 s, scaled by a jitter in [0.5, 1]
    (`jitter` is a number in [0, 1)), never below 0.5 s, and never shorter
    than a Retry-After the API asked for as long as it is within the cap.
    """
    delay = min(INITIAL_DELAY_SECONDS * 2.0 ** (min(retry, 16) - 1), MAX_DELAY_SECONDS)
    delay *= 0.5 * (1 + jitter)
    delay = max(INITIAL_DELAY_SECONDS, delay)
    if retry_after is not None and 0 <= retry_after <= MAX_DELAY_SECONDS:
        delay = max(delay, retry_after)
    return delay


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    try:
        return float(str(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def require_reference(params: Params) -> None:
    """Every object we create names our own record in its metadata."""
    metadata = params.get("metadata")
    if not isinstance(metadata, Mapping) or not metadata.get(REFERENCE_KEY):
        raise ValueError(f"objects we create carry metadata[{REFERENCE_KEY}]")


class StripeClient:
    """Synchronous client with retries; one instance keeps one connection pool.

    `sleep` and `jitter` are injectable so tests control time; `max_retries`
    counts retries after the first attempt.
    """

    def __init__(
        self,
        base_url: str,
        secret_key: str,
        *,
        timeout: float = 10.0,
        max_retries: int = DEFAULT_MAX_RETRIES,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.base_url, self.max_retries = base_url.rstrip("/"), max_retries
        self._sleep, self._jitter = sleep, jitter
        self._secret_key = secret_key
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_SECONDS)),
        )

    @classmethod
    def from_settings(cls, **overrides: Any) -> StripeClient:
        options: dict[str, Any] = {"timeout": settings.STRIPE_TIMEOUT_SECONDS, **overrides}
        return cls(settings.STRIPE_API_BASE, settings.STRIPE_SECRET_KEY, **options)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StripeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self, idempotency_key: str | None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._secret_key}",
            "Stripe-Version": STRIPE_VERSION,
            "User-Agent": "Mazad/1 (+httpx)",
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return headers

    def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> StripeObject:
        """One API call with retries; returns the decoded object or raises a StripeError.

        A POST must carry `idempotency_key`; every retry sends the same key
        and byte-identical parameters.
        """
        if method == "POST" and not idempotency_key:
            raise ValueError("every POST carries an idempotency key derived from our record")
        encoded = urlencode(encode_form(params or {}))
        attempt = 0
        while True:
            attempt += 1
            response, failure = self._send_once(method, path, encoded, idempotency_key)
            if response is not None and response.is_success:
                return _decode(response)
            retryable = should_retry(response) if response is not None else True
            if not retryable or attempt > self.max_retries:
                if response is not None:
                    raise error_for(response)
                assert failure is not None
                raise failure
            delay = backoff_seconds(
                attempt, jitter=self._jitter(), retry_after=_retry_after(response)
            )
            logger.warning(
                "payment API %s %s failed (%s); retry %s of %s in %.2f s",
                method,
                path,
                response.status_code if response is not None else failure,
                attempt,
                self.max_retries,
                delay,
            )
            self._sleep(delay)

    def _send_once(
        self, method: str, path: str, encoded: str, idempotency_key: str | None
    ) -> tuple[httpx.Response | None, StripeConnectionError | None]:
        try:
            if method == "GET":
                url = f"{path}?{encoded}" if encoded else path
                return self._http.get(url, headers=self._headers(None)), None
            response = self._http.request(
                method, path, content=encoded.encode(), headers=self._headers(idempotency_key)
            )
            return response, None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            return None, StripeConnectionError(f"not sent: {error!r}", request_sent=False)
        except httpx.TransportError as error:
            # Read timeouts, resets and closed connections after the request left us.
            return None, StripeConnectionError(f"no answer: {error!r}", request_sent=True)

    # -- PaymentIntents -------------------------------------------------------------------

    def create_payment_intent(self, params: Params, *, idempotency_key: str) -> StripeObject:
        require_reference(params)
        return self.request("POST", "/v1/payment_intents", params, idempotency_key=idempotency_key)

    def confirm_payment_intent(
        self, intent_id: str, params: Params, *, idempotency_key: str
    ) -> StripeObject:
        path = f"/v1/payment_intents/{intent_id}/confirm"
        return self.request("POST", path, params, idempotency_key=idempotency_key)

    def capture_payment_intent(
        self, intent_id: str, params: Params, *, idempotency_key: str
    ) -> StripeObject:
        path = f"/v1/payment_intents/{intent_id}/capture"
        return self.request("POST", path, params, idempotency_key=idempotency_key)

    def cancel_payment_intent(
        self, intent_id: str, params: Params, *, idempotency_key: str
    ) -> StripeObject:
        path = f"/v1/payment_intents/{intent_id}/cancel"
        return self.request("POST", path, params, idempotency_key=idempotency_key)

    def retrieve_payment_intent(self, intent_id: str) -> StripeObject:
        return self.request("GET", f"/v1/payment_intents/{intent_id}")

    def find_payment_intent(self, reference: str) -> StripeObject | None:
        """The PaymentIntent whose metadata names `reference`, through the search API."""
        query = f"metadata['{REFERENCE_KEY}']:'{reference}'"
        found = self.request("GET", "/v1/payment_intents/search", {"query": query, "limit": 10})
        matches = [
            item
            for item in found.get("data", [])
            if item.get("metadata", {}).get(REFERENCE_KEY) == reference
        ]
        return matches[0] if matches else None

    # -- Refunds, Customers, Connect accounts ---------------------------------------------

    def create_refund(self, params: Params, *, idempotency_key: str) -> StripeObject:
        require_reference(params)
        return self.request("POST", "/v1/refunds", params, idempotency_key=idempotency_key)

    def retrieve_refund(self, refund_id: str) -> StripeObject:
        return self.request("GET", f"/v1/refunds/{refund_id}")

    def create_customer(self, params: Params, *, idempotency_key: str) -> StripeObject:
        require_reference(params)
        return self.request("POST", "/v1/customers", params, idempotency_key=idempotency_key)

    def retrieve_customer(self, customer_id: str) -> StripeObject:
        return self.request("GET", f"/v1/customers/{customer_id}")

    def create_account(self, params: Params, *, idempotency_key: str) -> StripeObject:
        require_reference(params)
        return self.request("POST", "/v1/accounts", params, idempotency_key=idempotency_key)

    def retrieve_account(self, account_id: str) -> StripeObject:
        return self.request("GET", f"/v1/accounts/{account_id}")

    # -- Transfers, reversals, payouts ----------------------------------------------------

    def create_transfer(self, params: Params, *, idempotency_key: str) -> StripeObject:
        """A transfer to a connected account; `transfer_group` labels the sale it pays out."""
        require_reference(params)
        if not params.get("transfer_group"):
            raise ValueError("transfers carry the transfer_group of the sale they pay out")
        return self.request("POST", "/v1/transfers", params, idempotency_key=idempotency_key)

    def retrieve_transfer(self, transfer_id: str) -> StripeObject:
        return self.request("GET", f"/v1/transfers/{transfer_id}")

    def list_transfers(self, *, transfer_group: str) -> Iterator[StripeObject]:
        return self.paginate("/v1/transfers", {"transfer_group": transfer_group})

    def find_transfer(self, *, transfer_group: str, reference: str) -> StripeObject | None:
        """The transfer of `transfer_group` whose metadata names `reference`."""
        for transfer in self.list_transfers(transfer_group=transfer_group):
            if transfer.get("metadata", {}).get(REFERENCE_KEY) == reference:
                return transfer
        return None

    def create_transfer_reversal(
        self, transfer_id: str, params: Params, *, idempotency_key: str
    ) -> StripeObject:
        require_reference(params)
        path = f"/v1/transfers/{transfer_id}/reversals"
        return self.request("POST", path, params, idempotency_key=idempotency_key)

    def create_payout(self, params: Params, *, idempotency_key: str) -> StripeObject:
        require_reference(params)
        return self.request("POST", "/v1/payouts", params, idempotency_key=idempotency_key)

    def retrieve_payout(self, payout_id: str) -> StripeObject:
        return self.request("GET", f"/v1/payouts/{payout_id}")

    # -- Balance --------------------------------------------------------------------------

    def retrieve_balance(self) -> StripeObject:
        return self.request("GET", "/v1/balance")

    def list_balance_transactions(self, params: Params | None = None) -> Iterator[StripeObject]:
        return self.paginate("/v1/balance_transactions", params or {})

    def paginate(
        self, path: str, params: Params, *, page_size: int = 100
    ) -> Iterator[StripeObject]:
        """Every item of a list endpoint, page by page (`starting_after` the last id)."""
        cursor: str | None = None
        while True:
            page = self.request(
                "GET", path, {**params, "limit": page_size, "starting_after": cursor}
            )
            items = page.get("data", [])
            yield from items
            if not page.get("has_more") or not items:
                return
            cursor = str(items[-1]["id"])


def _decode(response: httpx.Response) -> StripeObject:
    try:
        body = response.json()
    except ValueError as error:
        raise APIError(
            status=response.status_code,
            error_type="api_error",
            message="the answer was not JSON",
            request_id=response.headers.get("Request-Id"),
        ) from error
    if not isinstance(body, dict):
        raise APIError(status=response.status_code, error_type="api_error", message="not an object")
    return body
