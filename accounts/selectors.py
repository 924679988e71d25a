"""Reads of accounts."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from accounts.models import IdentityStatus, User
from accounts.roles import Role
from core.pagination import Key, Keyset

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
    # A bidder who never submitted has no submission time: the joining time stands in.
    users = users.annotate(submitted=Coalesce("identity_submitted_at", "date_joined"))
    return users.order_by(*IDENTITY_ORDER.order())


# The identity review queue, oldest submission first, by keyset (core/pagination.py).
IDENTITY_ORDER = Keyset((Key("submitted", "datetime"), Key("pk")))
