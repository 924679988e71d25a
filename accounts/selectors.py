"""Reads of accounts."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import IdentityStatus, User
from accounts.roles import Role

# How long identity review takes, as the pending-review screen and the help promise it.
IDENTITY_REVIEW_WORKING_DAYS = 2


def identity_queue(*, status: str, search: str = "") -> QuerySet[User]:
    """Bidders by identity status, oldest submission first."""
    if status not in IdentityStatus.values:
        status = IdentityStatus.PENDING
    users = User.objects.filter(role=Role.BIDDER, identity_status=status)
    if search.strip():
        term = search.strip()
        users = users.filter(
            Q(full_name__icontains=term) | Q(email__icontains=term) | Q(id_number__icontains=term)
        )
    return users.order_by("identity_submitted_at", "pk")
