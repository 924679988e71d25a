"""Transaction helpers shared by the services of every app (the lock helpers are in core.locks)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the surrounding transaction has committed (never if it rolls back)."""
    transaction.on_commit(callback, robust=True)
