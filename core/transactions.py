"""Transaction and lock helpers shared by the services of every app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import models, transaction

M = TypeVar("M", bound=models.Model)


def lock(queryset: models.QuerySet[M]) -> list[M]:
    """Lock the rows of `queryset` FOR UPDATE in primary-key order (so two lockers never deadlock).

    Must be called inside a transaction; returns the locked rows, freshly read.
    """
    return list(queryset.select_for_update().order_by("pk"))


def lock_one(queryset: models.QuerySet[M]) -> M:
    """Lock exactly one row FOR UPDATE; raises the model's DoesNotExist when absent."""
    return queryset.select_for_update().get()


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the surrounding transaction has committed (never if it rolls back)."""
    transaction.on_commit(callback, robust=True)
