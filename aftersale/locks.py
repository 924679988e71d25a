"""Row locks after the sale, always in one order: sale, distribution, then its disbursements."""

from __future__ import annotations

from aftersale.models import Disbursement, Distribution, Match, Sale
from core.errors import NotFound
from core.transactions import lock_one


def sale(pk: int) -> Sale:
    try:
        return lock_one(Sale.objects.select_related("lot__auction", "registration").filter(pk=pk))
    except Sale.DoesNotExist:
        raise NotFound() from None


def distribution(pk: int) -> Distribution:
    try:
        return lock_one(Distribution.objects.select_related("file", "court").filter(pk=pk))
    except Distribution.DoesNotExist:
        raise NotFound() from None


def disbursement(pk: int) -> Disbursement:
    """Lock a disbursement's distribution, then the disbursement."""
    distribution_id = (
        Disbursement.objects.filter(pk=pk).values_list("distribution_id", flat=True).first()
    )
    if distribution_id is None:
        raise NotFound()
    distribution(distribution_id)
    return (
        Disbursement.objects.select_related("party", "encumbrance")
        .select_for_update(of=("self",))
        .get(pk=pk)
    )


def match(pk: int) -> Match:
    try:
        return lock_one(Match.objects.select_related("statement").filter(pk=pk))
    except Match.DoesNotExist:
        raise NotFound() from None
