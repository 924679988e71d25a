"""A client of the Stripe API over httpx (stripe-mock in development and tests); no Stripe SDK."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings

STRIPE_VERSION = "2024-06-20"

Params = Mapping[str, Any]


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
    """An error answer of the API, typed by Stripe's error type and code."""

    def __init__(
        self,
        *,
        status: int,
        error_type: str,
        code: str | None,
        message: str,
        request_id: str | None,
    ) -> None:
        self.status, self.error_type, self.code = status, error_type, code
        self.request_id = request_id
        super().__init__(f"{status} {error_type} {code or ''}: {message}")


@dataclass(frozen=True)
class StripeClient:
    """Thin synchronous client; payments core adds retries and durable jobs on top."""

    base_url: str
    secret_key: str
    timeout: float = 10.0

    @classmethod
    def from_settings(cls) -> StripeClient:
        return cls(
            settings.STRIPE_API_BASE, settings.STRIPE_SECRET_KEY, settings.STRIPE_TIMEOUT_SECONDS
        )

    def _headers(self, idempotency_key: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.secret_key}", "Stripe-Version": STRIPE_VERSION}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        if method == "POST" and not idempotency_key:
            raise ValueError("every POST carries an idempotency key derived from our record")
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as http:
            pairs: list[tuple[str, str | int | float | bool | None]] = list(
                encode_form(params or {})
            )
            if method == "GET":
                response = http.get(path, params=pairs, headers=self._headers(None))
            else:
                headers = {
                    **self._headers(idempotency_key),
                    "Content-Type": "application/x-www-form-urlencoded",
                }
                response = http.request(
                    method, path, content=urlencode(pairs).encode(), headers=headers
                )
        return _parse(response)

    def create_payment_intent(self, params: Params, *, idempotency_key: str) -> dict[str, Any]:
        return self.request("POST", "/v1/payment_intents", params, idempotency_key)

    def retrieve_payment_intent(self, intent_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/payment_intents/{intent_id}")

    def retrieve_balance(self) -> dict[str, Any]:
        return self.request("GET", "/v1/balance")


def _parse(response: httpx.Response) -> dict[str, Any]:
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    if response.is_success:
        return body
    error = body.get("error", {}) if isinstance(body, dict) else {}
    raise StripeError(
        status=response.status_code,
        error_type=error.get("type", "api_error"),
        code=error.get("code"),
        message=error.get("message", response.text[:200]),
        request_id=response.headers.get("Request-Id"),
    )
