"""Telling people what happened after the sale: notices written into the outbox with the change.

The notice commits with the change that causes it, or not at all; the worker delivers it
(notifications/delivery.py) in the reader's language, amounts and dates in their format.
"""

from __future__ import annotations

from typing import Any

from notifications import services as outbox
from notifications.values import Value


def tell(
    user: Any, *, kind: str, key: str, url: str = "", court: Any = None, **params: Value
) -> None:
    """Write the notice `kind` for `user` (idempotent by `key`), dates written where `court` is."""
    outbox.tell(key=key, kind=kind, to=user, params=params, url=url, time_zone=court)
