"""Verifying Mazad's webhook signatures: HMAC-SHA256 over "<timestamp>.<body>"."""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    """The delivery is not Mazad's, was altered, or is too old to trust."""


def expected(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """Check a `Mazad-Signature: t=<unix>,v1=<hex>` header; return its timestamp.

    Raises BadSignature when the header is malformed, the timestamp is outside the
    tolerance (a replay of an old delivery), or no v1 signature matches (compared in
    constant time).
    """
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _eq, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise BadSignature("no timestamp in the signature header") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise BadSignature("the timestamp is outside the tolerance")
    wanted = expected(secret, timestamp, body)
    if not any(hmac.compare_digest(wanted, given) for given in parts.get("v1", [])):
        raise BadSignature("no signature matches")
    return timestamp
