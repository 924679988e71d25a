"""A cap on failed log-ins per account, whatever addresses they come from.

django-axes locks one e-mail out from one address after five failures. Guessing one account
from many addresses is capped here: after ACCOUNT_LOGIN_FAILURE_LIMIT failures (10) within
ACCOUNT_LOGIN_WINDOW (15 minutes), from any addresses, the account cools down for
ACCOUNT_LOGIN_COOLDOWN (5 minutes): every log-in to it is refused before its password is
checked, the right password included. So an attacker spread over any number of addresses
gets at most 10 guesses per 5 minutes (2,880 a day) at one account, against passwords of 10
characters or more that are not common ones; and a real user whose account is attacked is
kept out for at most 5 minutes after the attacker's last burst (a password reset ends the
cooldown at once). A successful log-in clears the count.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import locks
from accounts.models import LoginThrottle

ACCOUNT_LOGIN_FAILURE_LIMIT = 10
ACCOUNT_LOGIN_WINDOW = timedelta(minutes=15)
ACCOUNT_LOGIN_COOLDOWN = timedelta(minutes=5)


def _key(username: Any) -> str:
    return str(username or "").strip().lower()[:254]


def is_enabled() -> bool:
    return bool(getattr(settings, "AXES_ENABLED", True))


def cooldown_left(username: Any, *, now: datetime | None = None) -> timedelta | None:
    """How long the account still cools down, or None when log-ins to it are taken."""
    key = _key(username)
    if not key or not is_enabled():
        return None
    now = now or timezone.now()
    until = (
        LoginThrottle.objects.filter(username=key, cooldown_until__gt=now)
        .values_list("cooldown_until", flat=True)
        .first()
    )
    return until - now if until else None


def record_failure(username: Any, *, now: datetime | None = None) -> None:
    """Count one failed log-in; the tenth within the window starts the cooldown."""
    key = _key(username)
    if not key or not is_enabled():
        return
    now = now or timezone.now()
    with transaction.atomic():
        LoginThrottle.objects.get_or_create(username=key, defaults={"window_started_at": now})
        row = locks.lock_throttle(key)
        if row.cooldown_until and row.cooldown_until > now:
            return  # refused before the password was checked: not a guess
        if now - row.window_started_at > ACCOUNT_LOGIN_WINDOW:
            row.window_started_at, row.failures = now, 0
        row.failures += 1
        if row.failures >= ACCOUNT_LOGIN_FAILURE_LIMIT:
            row.cooldown_until = now + ACCOUNT_LOGIN_COOLDOWN
            row.window_started_at, row.failures = row.cooldown_until, 0
        row.save()


def clear(username: Any) -> None:
    """A successful log-in, or a password reset: the account's count starts again."""
    LoginThrottle.objects.filter(username=_key(username)).delete()
