"""Authentication by e-mail; permissions come from the user's role (accounts.roles).

A capability (accounts.roles.Capability) is answered from the role alone, with no query:
staff pages ask for several on every request. Any other permission (Django's own, for the
admin) is read from the database as Django's model backend reads it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from accounts.roles import ALL_CAPABILITIES


class RoleBackend(ModelBackend):
    """Django's model backend plus the capabilities of the user's role."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        email = kwargs.get("email", username)
        return super().authenticate(
            request, username=(email or "").strip().lower(), password=password
        )

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return super().get_all_permissions(user_obj) | set(user_obj.capabilities)

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if perm in ALL_CAPABILITIES and obj is None:
            return bool(user_obj.is_active and not user_obj.is_anonymous) and (
                perm in user_obj.capabilities
            )
        return super().has_perm(user_obj, perm, obj)

    def get_user(self, user_id: Any) -> Any:
        """The signed-in user with their court, which every staff page reads (its time zone)."""
        try:
            user = User._default_manager.select_related("court").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
