"""Gap-free numbers in named series (receipts, enforcement files), issued inside a transaction."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from core.models import Counter


def next_number(series: str) -> int:
    """The next number of `series`, starting at 1.

    Runs inside the caller's transaction: the counter row stays locked until it
    commits, so numbers are gap-free (a rollback gives the number back) and never
    issued twice.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside a transaction")
    Counter.objects.get_or_create(series=series)
    updated = Counter.objects.filter(series=series).update(last=F("last") + 1)
    assert updated == 1
    return int(Counter.objects.filter(series=series).values_list("last", flat=True).get())
