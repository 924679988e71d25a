"""API tokens of agency systems: issued once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Capability
from core import audit
from core.errors import DomainError
from enforcement import access, locks
from enforcement.models import ApiToken

PREFIX = "mzd"
MAX_ACTIVE_TOKENS = 5


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown to the user once, never stored


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_api_token(*, actor: User, name: str) -> IssuedToken:
    """A new token for the actor's agency system. Agency users only."""
    access.require(actor, Capability.ANSWER_LETTERS)
    if not name.strip():
        raise DomainError(
            _("Name the system that will use the token."), code="required", field="name"
        )
    if ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise DomainError(
            _("Revoke an old token first: at most %(limit)s can be active."),
            code="too_many_tokens",
            field="name",
            params={"limit": MAX_ACTIVE_TOKENS},
        )
    prefix = secrets.token_hex(4)
    key = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=actor, name=name.strip()[:100], prefix=prefix, key_hash=_hash(key)
    )
    audit.record(
        actor=actor,
        action="api_token.issued",
        obj=token,
        after={"name": token.name, "prefix": prefix},
    )
    return IssuedToken(token=token, key=key)


@transaction.atomic
def revoke_api_token(*, actor: User, token_id: int) -> ApiToken:
    token = locks.lock_token(token_id, user_id=actor.pk)
    if token is None:
        raise locks._missing()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor, action="api_token.revoked", obj=token, after={"prefix": token.prefix}
        )
    return token


def authenticate(key: str) -> User | None:
    """The active agency user holding `key`; None when unknown, revoked or no longer agency."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, _hash(key)):
        return None
    user = token.user
    if not user.is_active or not user.has_perm(Capability.ANSWER_LETTERS):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return user
