"""Receivers of Django's authentication signals: the per-account log-in cap, and a sign-in's
second factor (accounts/mfa.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts import mfa, throttle


@receiver(user_login_failed, dispatch_uid="accounts.throttle.failed")
def login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    throttle.record_failure(credentials.get("username") or credentials.get("email"))


@receiver(user_logged_in, dispatch_uid="accounts.throttle.logged_in")
def logged_in(sender: Any, user: Any, **kwargs: Any) -> None:
    throttle.clear(user.email)


@receiver(user_logged_in, dispatch_uid="accounts.mfa.logged_in")
def second_factor_at_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        mfa.forget_proof_at_sign_in(session, user)
