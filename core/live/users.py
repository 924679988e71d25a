"""What any app tells people's open pages through the channel layer, after commit or now.

Every page opens the user socket (`ws/me/`, core/live/consumers.py): it joins
the announcements' group, and a signed-in user's own group. Apps say what to
tell and to whom; the frames' contents are theirs:

- `push_notices`: a toast on each user's open pages (`notification` frames);
- `announce_after_commit`: a site-wide announcement to every open page;
- `close_sockets_after_commit` / `close_sockets_now`: a user's session or rights
  ended, so every socket of theirs (pages and lot pages) closes.

The channel layer is lossy by design: the database is the record, and these
only point to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core.transactions import after_commit

logger = logging.getLogger(__name__)

ANNOUNCEMENTS_GROUP = "announcements"
# A socket's scope carries this key (True) when its session is signed in but has not yet proved
# the second factor its account needs (accounts/sockets.py): its `user` is then anonymous, so it
# gets no personal notices, frames or bids, and a bid is refused naming the reason.
SECOND_FACTOR_PENDING = "second_factor_pending"


def user_group(user_id: int) -> str:
    """The channel-layer group of the user's page sockets (/ws/me/): notices, session's end."""
    return f"user.{user_id}"


def session_group(user_id: int) -> str:
    """The group of the user's other sockets (lot pages): only the end of their session.

    Apart from `user_group` so that a notice is not delivered to every lot socket of a
    bidder who follows many lots, each of which would only drop it.
    """
    return f"user.{user_id}.sessions"


# --- notices -----------------------------------------------------------------------------------


def push_notices(notices: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Toast each (user id, payload) on that user's open pages, now; best effort.

    The page shows `{"type": "notification", **payload}`. A notice that cannot be pushed
    is logged and the rest still go; so is a call that cannot push at all (from a thread
    that runs an event loop, say). Never raises.
    """
    messages = [
        (user_group(user_id), {"type": "user.notification", "payload": payload})
        for user_id, payload in notices
    ]
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    try:
        async_to_sync(_send_all)(layer, messages)
    except Exception:
        logger.warning("%s notices not pushed", len(messages), exc_info=True)


async def _send_all(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    for group, message in messages:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.warning("notice to %s not pushed", group, exc_info=True)


# --- announcements -----------------------------------------------------------------------------


def announce_after_commit(fields: dict[str, Any]) -> None:
    """Send `{"type": "announcement", **fields}` to every open page once the change commits."""
    if "type" in fields:
        raise ValueError("an announcement's fields cannot set its type")

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(
                ANNOUNCEMENTS_GROUP, {"type": "site.announcement", **fields}
            )

    after_commit(send)


# --- the end of a session ----------------------------------------------------------------------


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
    """Close every open socket of the user now (their session has just ended)."""
    _send_close(user_id, reason)
