"""Who may see or do what at the support desk.

A requester sees only their own tickets. Court staff see the tickets of their
own court routed to a team they answer for (execution staff the execution
team's, finance staff the finance team's, supervisors both). Tickets outside
a user's reach are "not found", exactly like tickets that do not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.access import has_capability
from accounts.models import User
from accounts.roles import ROLE_CAPABILITIES, Capability
from support.models import Team, Ticket

TEAM_CAPABILITY = {
    Team.EXECUTION: Capability.ANSWER_EXECUTION_TICKETS,
    Team.FINANCE: Capability.ANSWER_FINANCE_TICKETS,
}


def teams_of(user: Any) -> list[str]:
    """The teams whose tickets `user` answers (none unless they are staff of a court)."""
    if not user.is_authenticated or getattr(user, "court_id", None) is None:
        return []
    return [
        team for team, capability in TEAM_CAPABILITY.items() if has_capability(user, capability)
    ]


def is_desk_staff(user: Any) -> bool:
    return bool(teams_of(user))


def may_open_tickets(user: Any) -> bool:
    return has_capability(user, Capability.OPEN_TICKETS)


def is_requester(user: Any, ticket: Ticket) -> bool:
    return bool(user.is_authenticated and user.is_active and ticket.requester_id == user.pk)


def may_answer(user: Any, ticket: Ticket) -> bool:
    """Staff of the ticket's court who answer for its team."""
    return ticket.team in teams_of(user) and user.court_id == ticket.court_id


def tickets_for(user: Any) -> QuerySet[Ticket]:
    """Staff: their court's tickets of their teams. Everyone else: the tickets they opened."""
    teams = teams_of(user)
    if teams:
        return Ticket.objects.filter(court_id=user.court_id, team__in=teams)
    if may_open_tickets(user):
        return Ticket.objects.filter(requester_id=user.pk)
    return Ticket.objects.none()


def may_view_reports(user: Any) -> bool:
    return has_capability(user, Capability.VIEW_SUPPORT_REPORTS) and user.court_id is not None


def may_manage_service_levels(user: Any) -> bool:
    return has_capability(user, Capability.MANAGE_SERVICE_LEVELS) and user.court_id is not None


def staff_of_team(*, court_id: int, team: str) -> QuerySet[User]:
    """The active users of the court whose role answers for `team` (for notices)."""
    capability = TEAM_CAPABILITY[Team(team)]
    roles = [role for role, granted in ROLE_CAPABILITIES.items() if capability in granted]
    return User.objects.filter(court_id=court_id, role__in=roles, is_active=True)
