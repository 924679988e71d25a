"""The one error shape of the domain: code, field at fault, params, translated message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext


class DomainError(Exception):
    """A refusal of a domain rule.

    `code` is stable and machine-readable (documented in docs/errors.md),
    `field` names the input at fault (or None), `params` fill the named
    placeholders of `message`, which is a lazy translation so it renders in
    the language active where it is shown.
    """

    code: str = "invalid"
    message: str | Promise = "The request was refused."
    status: int = 400

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.params = dict(params or {})
        super().__init__(self.code)

    def render(self) -> str:
        """The message in the active language with its placeholders filled."""
        text = gettext(str(self.message)) if isinstance(self.message, str) else str(self.message)
        return text % self.params if self.params else text

    def as_dict(self) -> dict[str, Any]:
        """The shape sent in JSON responses and WebSocket frames."""
        return {
            "code": self.code,
            "field": self.field,
            "params": self.params,
            "message": self.render(),
        }

    def __str__(self) -> str:
        return f"{self.code}: {self.render()}"


class NotFound(DomainError):
    """Absent, or present but not the user's to see: the two look the same from outside."""

    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` (or an exception it was raised from) says the database cannot be reached.

    Django raises `OperationalError` when a connection cannot be made or is lost and
    `InterfaceError` when a connection it held was closed under it: a restart, a failover,
    a host gone. The request was not served, and the same request a moment later will be:
    people get "service unavailable" (503) for it, not "something went wrong" (500).
    """
    from django.db import InterfaceError, OperationalError

    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False
