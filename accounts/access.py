"""Who may see or do what in accounts, and the view guard every app's staff pages use."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from accounts.models import User
from accounts.roles import Capability

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def has_capability(user: Any, capability: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(capability))


def capability_required(capability: str) -> Callable[[View], View]:
    """Anonymous users are sent to log in; signed-in users without `capability` get 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_capability(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def may_review_identity(reviewer: User, subject: User) -> bool:
    """Staff with the capability review bidders' identities, never their own."""
    return has_capability(reviewer, Capability.VERIFY_IDENTITY) and reviewer.pk != subject.pk


def may_read_identity_document(reader: User, subject: User) -> bool:
    return reader.pk == subject.pk or has_capability(reader, Capability.VIEW_IDENTITY_DOCUMENTS)
