"""Row locks of the support desk: one ticket row, taken before its thread changes."""

from __future__ import annotations

from core.errors import NotFound
from support.models import Ticket


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
