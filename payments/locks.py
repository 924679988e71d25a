"""Row locks of the payment app, taken in one order: a payment before its refunds, jobs last.

Only the payment's own row is locked (`of=("self",)`), never the court or the
payer joined to it, so payments of one court do not queue behind each other.
"""

from __future__ import annotations

from core.errors import NotFound
from payments.models import Payment, Refund


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
