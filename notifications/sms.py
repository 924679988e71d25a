"""A client for a generic SMS gateway's HTTP API (SMS_GATEWAY_URL, _TOKEN, SMS_SENDER_ID).

POST {url} with JSON {"to", "from", "text", "reference"} and a bearer token; the gateway
answers 2xx with {"id": ...}. The delivery's reference is also sent as the
`Idempotency-Key` header, so a gateway that honours it sends a retried message once.
"""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings


class GatewayUnavailable(Exception):
    """No answer in time, a connection refused, a 5xx, 408 or 429: the message may be retried."""


class GatewayRefused(Exception):
    """A 4xx answer: the gateway will never take this message as it is."""


RETRYABLE = frozenset({408, 425, 429})


class Gateway:
    def __init__(self, *, url: str, token: str, sender: str, timeout: float) -> None:
        self.url = url
        self.sender = sender
        self.client = httpx.Client(
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )

    @classmethod
    def from_settings(cls) -> Gateway:
        return cls(
            url=settings.SMS_GATEWAY_URL,
            token=settings.SMS_GATEWAY_TOKEN,
            sender=settings.SMS_SENDER_ID,
            timeout=settings.SMS_GATEWAY_TIMEOUT_SECONDS,
        )

    def send(self, *, to: str, text: str, reference: str) -> str:
        """Send one message; returns the gateway's id. Raises GatewayUnavailable/Refused."""
        payload = {"to": to, "from": self.sender, "text": text, "reference": reference}
        try:
            response = self.client.post(
                self.url, json=payload, headers={"Idempotency-Key": reference}
            )
        except httpx.HTTPError as error:
            raise GatewayUnavailable(f"{type(error).__name__}: {error}") from error
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            raise GatewayUnavailable(f"gateway answered {response.status_code}")
        if response.status_code >= 400:
            raise GatewayRefused(
                f"gateway refused with {response.status_code}: {response.text[:200]}"
            )
        return _message_id(response)

    def close(self) -> None:
        self.client.close()


def _message_id(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    return str(body.get("id", "")) if isinstance(body, dict) else ""
