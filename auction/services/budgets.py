"""A bidder's budget across lots: set it, change its cap or its lots, remove it.

The lots of a budget are the bidder's registrations that point to it; the rule that
spends it is the bidding engine's (`auction.bidding.budget`). Saving takes the lots'
locks first, then the budget's, then writes the registrations, the order the bid batch
takes them in (docs/concurrency.md), so a change never lands half-way through a batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from auction import locks
from auction.bidding import budget as budget_rule
from auction.bidding import store
from auction.models import Budget, Lot, Registration
from core import audit
from core.errors import DomainError, NotFound
from core.money import Money

OPEN_STATES = (Lot.Status.SCHEDULED, Lot.Status.OPEN)


def eligible_registrations(user: User, budget_id: int | None = None) -> list[Registration]:
    """The user's registrations a budget may hold: lots still to close, not revoked, in no
    other budget of theirs."""
    return list(
        Registration.objects.filter(
            bidder=user, revoked_at__isnull=True, lot__status__in=OPEN_STATES
        )
        .exclude(budget__isnull=False, budget_id__in=_other_budgets(user, budget_id))
        .select_related("lot__auction", "lot__asset")
        .order_by("lot__ends_at", "lot_id")
    )


def _other_budgets(user: User, budget_id: int | None) -> list[int]:
    others = Budget.objects.filter(bidder=user)
    if budget_id is not None:
        others = others.exclude(pk=budget_id)
    return list(others.values_list("pk", flat=True))


def _chosen(user: User, budget_id: int | None, lot_ids: Sequence[int]) -> list[Registration]:
    wanted = set(lot_ids)
    if not wanted:
        raise DomainError(_("Choose at least one lot."), code="budget_no_lots", field="lots")
    found = [r for r in eligible_registrations(user, budget_id) if r.lot_id in wanted]
    if len(found) != len(wanted):
        raise DomainError(
            _("Choose only lots you are registered for that have not closed."),
            code="budget_lot_not_eligible",
            field="lots",
        )
    if len({r.lot.currency for r in found}) > 1:
        raise DomainError(
            _("The lots of one budget must be in one currency."),
            code="budget_currencies",
            field="lots",
        )
    return found


@transaction.atomic
def save_budget(
    *, user: User, budget_id: int | None, cap_minor: int, lot_ids: Sequence[int], name: str = ""
) -> Budget:
    """Create (budget_id None) or change the user's budget; its lots become exactly `lot_ids`."""
    if cap_minor <= 0:
        raise DomainError(_("The budget must be more than zero."), code="budget_cap", field="cap")
    chosen = _chosen(user, budget_id, lot_ids)
    previous = (
        list(Registration.objects.filter(budget_id=budget_id, bidder=user).select_related("lot"))
        if budget_id
        else []
    )
    locks.lots(sorted({r.lot_id for r in [*chosen, *previous]}))
    if budget_id is None:
        budget = Budget.objects.create(
            bidder=user, name=name.strip(), currency=chosen[0].lot.currency, cap_minor=cap_minor
        )
        before: dict[str, object] = {}
    else:
        found = locks.budget_of(user.pk, budget_id)
        if found is None:
            raise NotFound(_("No such budget."))
        budget = found
        before = {"cap_minor": budget.cap_minor, "lots": sorted(r.lot_id for r in previous)}
        budget.cap_minor, budget.name = cap_minor, name.strip()
        budget.currency = chosen[0].lot.currency
        budget.save(update_fields=["cap_minor", "name", "currency", "updated_at"])
    keep = {r.pk for r in chosen}
    # A lot that closed stays in the budget: what was won there stays committed.
    dropped = [r.pk for r in previous if r.pk not in keep and r.lot.status in OPEN_STATES]
    Registration.objects.filter(pk__in=dropped).update(budget=None)
    Registration.objects.filter(pk__in=keep).update(budget=budget)
    # The cap may not start below what the bidder already leads or won on the budget's lots
    # (read under the lots' locks): such a budget would be spent before it began. Raising
    # here undoes the whole save.
    committed = budget_rule.committed(store.commitments([budget.pk])[budget.pk])
    if cap_minor < committed:
        raise DomainError(
            _(
                "You already lead or won these lots for %(committed)s; "
                "the budget must be at least that."
            ),
            code="budget_cap_below_committed",
            field="cap",
            params={"committed": Money(committed, budget.currency).format()},
        )
    audit.record(
        actor=user,
        action="budget.saved",
        obj=budget,
        before=before,
        after={"cap_minor": budget.cap_minor, "lots": sorted(r.lot_id for r in chosen)},
    )
    return budget


@transaction.atomic
def remove_budget(*, user: User, budget_id: int) -> None:
    """The budget goes; its lots' automatic bids are limited by their maxima alone again."""
    lots = Registration.objects.filter(budget_id=budget_id, bidder=user).values_list(
        "lot_id", flat=True
    )
    locks.lots(sorted(set(lots)))
    budget = locks.budget_of(user.pk, budget_id)
    if budget is None:
        raise NotFound(_("No such budget."))
    Registration.objects.filter(budget=budget).update(budget=None)
    audit.record(
        actor=user, action="budget.removed", obj=budget, before={"cap_minor": budget.cap_minor}
    )
    budget.delete()
