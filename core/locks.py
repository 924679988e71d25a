"""Row locks of the core app, and the two helpers every app's `locks.py` is built on.

The order in which a path takes them is in docs/concurrency.md ("The global order").
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models

from core.models import AuditChain, AuditRecord

M = TypeVar("M", bound=models.Model)


def lock(queryset: models.QuerySet[M]) -> list[M]:
    """Lock the rows of `queryset` FOR UPDATE in primary-key order (so two lockers never deadlock).

    Must be called inside a transaction; returns the locked rows, freshly read.
    """
    return list(queryset.select_for_update().order_by("pk"))


def lock_one(queryset: models.QuerySet[M], *, of: tuple[str, ...] = ()) -> M:
    """Lock exactly one row FOR UPDATE (with `of`, only those of the tables named, not those
    joined by select_related); raises the model's DoesNotExist when absent."""
    return queryset.select_for_update(of=of).get()


def claim_unlinked_records(limit: int) -> list[AuditRecord]:
    """Claim up to `limit` audit records not yet in their chain, ascending id (`SKIP LOCKED`)."""
    return list(
        AuditRecord.objects.select_for_update(skip_locked=True)
        .filter(record_hash="")
        .order_by("pk")[:limit]
    )


def chain_heads(chains: set[str]) -> dict[str, AuditChain]:
    """Lock the heads of `chains` (which exist), sorted by name."""
    return {
        head.chain: head
        for head in AuditChain.objects.select_for_update()
        .filter(chain__in=chains)
        .order_by("chain")
    }
