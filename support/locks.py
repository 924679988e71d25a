"""Row locks of the support desk: one ticket row, taken before its thread changes; a court's
calendar or one of its holidays (leaves: nothing is locked after them)."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound
from support.models import Holiday, ServiceCalendar, Ticket


def lock_ticket(pk: int) -> Ticket:
    """Lock one ticket FOR UPDATE (its own row only); raises NotFound when there is none."""
    try:
        return (
            Ticket.objects.select_related("court", "requester")
            .select_for_update(of=("self",))
            .get(pk=pk)
        )
    except Ticket.DoesNotExist:
        raise NotFound() from None


def lock_calendar(court_id: int, *, defaults: dict[str, Any]) -> ServiceCalendar:
    """Lock the court's service calendar, made with `defaults` the first time."""
    calendar, _created = ServiceCalendar.objects.select_for_update().get_or_create(
        court_id=court_id, defaults=defaults
    )
    return calendar


def lock_holiday(holiday_id: int, *, court_id: int) -> Holiday | None:
    """Lock one of the court's holidays; None when the court has no such holiday."""
    return Holiday.objects.select_for_update().filter(pk=holiday_id, court_id=court_id).first()
