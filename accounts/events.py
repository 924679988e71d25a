"""What accounts tells live sockets: a user's sockets close when their session or role ends."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core.transactions import after_commit


def user_group(user_id: int) -> str:
    """The channel-layer group of the user's page sockets (/ws/me/): notices, session's end."""
    return f"user.{user_id}"


def session_group(user_id: int) -> str:
    """The group of the user's other sockets (lot pages): only the end of their session.

    Apart from `user_group` so that a notice is not delivered to every lot socket of a
    bidder who follows many lots, each of which would only drop it.
    """
    return f"user.{user_id}.sessions"


def _send_close(user_id: int, reason: str) -> None:
    layer = get_channel_layer()
    if layer is not None:
        message = {"type": "session.ended", "reason": reason}

        async def send() -> None:
            await layer.group_send(user_group(user_id), message)
            await layer.group_send(session_group(user_id), message)

        async_to_sync(send)()


def close_sockets_after_commit(user_id: int, reason: str) -> None:
    """Close every open socket of the user once the change that ends their rights commits."""
    after_commit(lambda: _send_close(user_id, reason))


def close_sockets_now(user_id: int, reason: str) -> None:
    _send_close(user_id, reason)
