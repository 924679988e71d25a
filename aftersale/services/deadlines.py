"""The payment worker's pass over sales: reminders, defaults, and sales final after objections."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db.models import Q

from aftersale.models import Sale
from aftersale.services import sales

logger = logging.getLogger(__name__)


def run(now: datetime) -> int:
    """Remind, default and expire what is due at `now`; each sale in its own transaction."""
    done = 0
    awaiting = Sale.objects.filter(status=Sale.Status.AWAITING_PAYMENT)
    for sale_id in awaiting.filter(due_at__lte=now).values_list("pk", flat=True):
        done += _safely(lambda pk=sale_id: sales.default_sale(sale_id=pk, now=now) is not None)
    for sale_id in sales_to_remind(now):
        done += _safely(lambda pk=sale_id: sales.remind(sale_id=pk, now=now))
    to_finalize = (
        Sale.objects.filter(status=Sale.Status.PAID, finalized_at__isnull=True)
        .filter(Q(objection_closes_at__lte=now) | Q(objection_closes_at__isnull=True))
        .exclude(objections__status="PENDING")
    )
    for sale_id in to_finalize.values_list("pk", flat=True):
        done += _safely(lambda pk=sale_id: sales.finalize_sale(sale_id=pk, now=now))
    offered = Sale.objects.filter(status=Sale.Status.OFFERED, offer_expires_at__lte=now)
    for sale_id in offered.values_list("pk", flat=True):
        done += _safely(lambda pk=sale_id: sales.expire_offer(sale_id=pk, now=now) is not None)
    return done


def sales_to_remind(now: datetime) -> list[int]:
    return list(
        Sale.objects.filter(status=Sale.Status.AWAITING_PAYMENT, due_at__gt=now)
        .filter(Q(reminders_sent__lt=2))
        .values_list("pk", flat=True)
    )


def _safely(step: object) -> int:
    try:
        return 1 if step() else 0  # type: ignore[operator]
    except Exception:
        logger.exception("a sale deadline step failed; it is tried again on the next pass")
        return 0
