"""What accounts tells live sockets: a user's sockets close when their session or role ends."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core.transactions import after_commit


def user_group(user_id: int) -> str:
    """The channel-layer group every socket of one user joins."""
    return f"user.{user_id}"


def _send_close(user_id: int, reason: str) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            user_group(user_id), {"type": "session.ended", "reason": reason}
        )


def close_sockets_after_commit(user_id: int, reason: str) -> None:
    """Close every open socket of the user once the change that ends their rights commits."""
    after_commit(lambda: _send_close(user_id, reason))


def close_sockets_now(user_id: int, reason: str) -> None:
    _send_close(user_id, reason)
