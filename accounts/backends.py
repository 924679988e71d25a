"""Authentication by e-mail; permissions come from the user's role (accounts.roles)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


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
