"""Row locks of accounts: one user, or one log-in throttle row (leaves: nothing after them)."""

from __future__ import annotations

from accounts.models import LoginThrottle, User
from core.locks import lock_one


def lock_user(user_id: int) -> User:
    """Lock one user's row; raises User.DoesNotExist when there is none."""
    return lock_one(User.objects.filter(pk=user_id))


def lock_throttle(username: str) -> LoginThrottle:
    """Lock the log-in throttle row of `username` (made beforehand)."""
    return LoginThrottle.objects.select_for_update().get(username=username)
