"""Row locks after the sale, always in one order: sale, distribution, then its disbursements.

Then the file (its own row) and its custody items, and the enforcement rows the after-sale
services change: a seizure order whose funds arrive, a debtor's file being redeemed.

A payment comes before all of them: a path that may cancel a sale's (or a
file's) unpaid payment locks that payment first (`payment_first`), as the
transaction recording it paid does (docs/concurrency.md, "The global order").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from aftersale.models import CustodyItem, Disbursement, Distribution, Match, Objection, Sale
from core.errors import InvalidTransition, NotFound
from core.locks import lock_one
from enforcement.models import EnforcementFile, SeizureOrder
from payments.locks import lock_payment
from payments.models import Payment

T = TypeVar("T")
# How many times a payment that changed between reading and locking is looked up again; it
# changes only when another request starts a payment for the same record at the same moment.
ATTEMPTS = 3


class _Moved(Exception):
    """The record names another payment than the one locked: roll the savepoint back."""


def sale(pk: int) -> Sale:
    try:
        return lock_one(Sale.objects.select_related("lot__auction", "registration").filter(pk=pk))
    except Sale.DoesNotExist:
        raise NotFound() from None


def payment_first(
    payment_id: Callable[[], int | None], record: Callable[[], T]
) -> tuple[T, Payment | None]:
    """Lock the payment `payment_id()` names, then `record()`; the payment may then be cancelled.

    The transaction recording a payment holds the payment and then locks the
    sale or the file it pays (its listener), so a path that locks its record
    first and then cancels that payment could deadlock with it. Here the
    payment is found without a lock, locked, then the record locked, and
    `payment_id()` read again under the record's lock (whoever changes it holds
    the record): if it names another payment now, both locks are released (a
    savepoint rolled back) and it starts again. Returns the locked record and
    payment (None when the record names none).
    """
    for _attempt in range(ATTEMPTS):
        seen = payment_id()
        try:
            with transaction.atomic():
                payment = lock_payment(seen) if seen is not None else None
                locked = record()
                if payment_id() != seen:
                    raise _Moved()
                return locked, payment
        except _Moved:
            continue
    raise InvalidTransition(_("The payment changed while this was being done; try again."))


def objection(pk: int) -> Objection:
    """Lock one objection (its sale must be locked first)."""
    try:
        return lock_one(Objection.objects.filter(pk=pk))
    except Objection.DoesNotExist:
        raise NotFound() from None


def sale_and_payment(pk: int) -> tuple[Sale, Payment | None]:
    """Lock the sale's payment, then [the sale, its lot, its auction, the buyer's registration]."""
    current = Sale.objects.filter(pk=pk).values_list("payment_id", flat=True)
    locked, payment = payment_first(lambda: current.first(), lambda: sale(pk))
    if payment is not None:
        locked.payment = payment  # the row locked, not a second read of it
    return locked, payment


def distribution(pk: int) -> Distribution:
    """Lock the distribution's own row; its file and court are read, not locked.

    Locking the court row FOR UPDATE as well made every row written for the court
    meanwhile wait (a foreign key's check takes KEY SHARE on the court), and it
    deadlocked the deadline pass creating the court's finance rules against a
    disbursement being prepared (found by `make soak`).
    """
    try:
        return (
            Distribution.objects.select_related("file", "court")
            .select_for_update(of=("self",))
            .get(pk=pk)
        )
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


def waiting_for_account(waiting: QuerySet[Disbursement]) -> list[Disbursement]:
    """Lock a payee's disbursements `waiting` selects (those still without an account), by id."""
    return list(waiting.select_for_update().order_by("pk"))


def seizure_order(pk: int) -> SeizureOrder | None:
    """Lock a seizure order's own row (its file and court are read, not locked); None if none."""
    return (
        SeizureOrder.objects.select_for_update(of=("self",))
        .select_related("file__court")
        .filter(pk=pk)
        .first()
    )


def file(pk: int) -> EnforcementFile:
    """Lock a file's own row (its court is read, not locked): a proposal of its distribution."""
    return (
        EnforcementFile.objects.select_for_update(of=("self",)).select_related("court").get(pk=pk)
    )


def file_among(files: QuerySet[EnforcementFile]) -> EnforcementFile | None:
    """Lock the first file of `files` (its own row); None when there is none."""
    return files.select_for_update(of=("self",)).first()


def undistributed_custody(file: EnforcementFile) -> list[CustodyItem]:
    """Lock the file's custody items not yet in a distribution, in received order."""
    return list(
        CustodyItem.objects.select_for_update()
        .filter(file=file, distribution__isnull=True)
        .order_by("received_at", "pk")
    )
