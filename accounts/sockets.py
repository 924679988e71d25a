"""Sockets of a session that has not proved its second factor are an anonymous visitor's.

Court staff, finance staff, supervisors and administrators, and anyone who enrolled a passkey or an
authenticator app, reach no page after the password until they prove it
(accounts.middleware.SecondFactorMiddleware). A WebSocket carries the same session, so the
same rule holds there: until the proof, the socket's `user` is anonymous. The user socket
then carries announcements only (no personal notices: a ticket's subject, a payment), and the
lot socket shows the public lot and refuses bids (`second_factor_required`,
docs/live-protocol.md). Installed between Channels' session authentication and the router
(config/asgi.py), so every consumer, present or future, gets it.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from accounts import mfa
from core.live.users import SECOND_FACTOR_PENDING


class PendingVisitor(AnonymousUser):
    """An anonymous visitor who is told things in the signed-in person's language."""

    def __init__(self, preferred_language: str) -> None:
        self.preferred_language = preferred_language


class SecondFactorSocketMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        user = scope.get("user")
        session = scope.get("session")
        if user is not None and session is not None and user.is_authenticated:
            # The session was read to find the user: what it tells needs no query.
            pending = mfa.pending_by_session(user, session)
            if pending is None:
                pending = await database_sync_to_async(mfa.enrolled)(user)
            if pending:
                visitor = PendingVisitor(getattr(user, "preferred_language", "") or "")
                scope = {**scope, "user": visitor, SECOND_FACTOR_PENDING: True}
        await self.app(scope, receive, send)
