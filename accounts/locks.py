"""Row locks of accounts: one user, a power of attorney, or a log-in throttle row (leaves)."""

from __future__ import annotations

from accounts.models import LoginThrottle, PowerOfAttorney, User
from core.locks import lock_one


def lock_user(user_id: int) -> User:
    """Lock one user's row; raises User.DoesNotExist when there is none."""
    return lock_one(User.objects.filter(pk=user_id))


def lock_throttle(username: str) -> LoginThrottle:
    """Lock the log-in throttle row of `username` (made beforehand)."""
    return LoginThrottle.objects.select_for_update().get(username=username)


def lock_mandate(mandate_id: int) -> PowerOfAttorney:
    """Lock one power of attorney; raises PowerOfAttorney.DoesNotExist when there is none."""
    return lock_one(PowerOfAttorney.objects.filter(pk=mandate_id))
