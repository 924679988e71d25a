"""Row locks of the payment app, taken in one order: a payment before its refunds, jobs last.

Only the payment's own row is locked (`of=("self",)`), never the court or the
payer joined to it, so payments of one court do not queue behind each other.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.errors import NotFound
from core.locks import lock_one
from payments.models import EventStatus, Payment, PaymentJob, Refund, WebhookEvent


def lock_payment(pk: int) -> Payment:
    """Lock one payment FOR UPDATE; raises NotFound when there is none."""
    try:
        return (
            Payment.objects.select_related("court", "payer")
            .select_for_update(of=("self",))
            .get(pk=pk)
        )
    except Payment.DoesNotExist:
        raise NotFound() from None


def lock_refund(pk: int) -> Refund:
    """Lock a refund's payment, then the refund."""
    payment_id = Refund.objects.filter(pk=pk).values_list("payment_id", flat=True).first()
    if payment_id is None:
        raise NotFound()
    lock_payment(payment_id)
    return (
        Refund.objects.select_related("payment", "payment__court", "payment__payer")
        .select_for_update(of=("self",))
        .get(pk=pk)
    )


def lock_job(pk: int) -> PaymentJob:
    """Lock one payment job FOR UPDATE (the worker's unit of work: first in the global order)."""
    return lock_one(PaymentJob.objects.filter(pk=pk))


def claim_job(due: Q) -> PaymentJob | None:
    """Claim the first job matching `due`, earliest attempt first (`SKIP LOCKED`); None if none."""
    return (
        PaymentJob.objects.select_for_update(skip_locked=True)
        .filter(due)
        .order_by("next_attempt_at", "id")
        .first()
    )


def claim_event(pk: int) -> WebhookEvent | None:
    """Claim a stored event still waiting to be processed (`SKIP LOCKED`); None if taken."""
    return (
        WebhookEvent.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, status=EventStatus.RECEIVED)
        .first()
    )


def lock_events(events: QuerySet[WebhookEvent]) -> list[WebhookEvent]:
    """Lock the stored events `events` selects, in its order (they belong to a payment held)."""
    return list(events.select_for_update())
