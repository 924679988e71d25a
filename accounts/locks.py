"""Row locks of accounts: one user, a power of attorney, or a log-in throttle row (leaves)."""

from __future__ import annotations

from accounts.models import LoginThrottle, Passkey, PowerOfAttorney, TotpDevice, User
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


def lock_totp_device(user_id: int) -> TotpDevice:
    """Lock the authenticator app row of one user; raises TotpDevice.DoesNotExist."""
    return lock_one(TotpDevice.objects.filter(user_id=user_id))


def lock_passkey(passkey_id: int) -> Passkey:
    """Lock one passkey row (its signature counter moves); raises Passkey.DoesNotExist."""
    return lock_one(Passkey.objects.filter(pk=passkey_id))
