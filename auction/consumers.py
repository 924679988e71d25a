"""The lot socket, `ws/lots/<id>/`: snapshot, live events, bids, automatic bids and resume.

Anyone may watch; only a registered, eligible bidder may bid, and that is
checked again on every bid (by the bidding service, under the lot's lock).
Joining is subscribe → snapshot → live: the socket's hub subscription is held
while the snapshot is sent, so live frames follow it and none is lost between.
Live frames reach this socket straight from the process's hub (core/live/hub.py),
not through the channel layer; the channel layer carries only the user's
control messages (session ended: the socket closes at once).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, close_old_connections
from django.utils import translation

from auction import events, metrics, protocol, selectors
from auction.bidding import batcher, frames
from auction.bidding.decide import Instruction
from auction.bidding.rules import Refusal
from core.clock import stamp
from core.live import metrics as live_metrics
from core.live.consumers import GroupRefresher
from core.live.hub import Subscription, get_hub, release_handshake, server_send
from core.live.users import SECOND_FACTOR_PENDING, session_group

logger = logging.getLogger(__name__)

CLOSE_SESSION_ENDED = 4001
# Servers allow applications only 1000 and 3000-4999, so "message too big" (1009) is 4009.
CLOSE_TOO_LARGE = 4009
CLOSE_NOT_FOUND = 4004
CLOSE_FLOODING = 4029
# The database is away: try again shortly (1013's meaning, in the applications' range).
CLOSE_TRY_AGAIN = 4013
# Lost or refused connections; and a retried client id racing its original between two
# processes (the retry then gets the original answer).
DATABASE_AWAY = (OperationalError, InterfaceError, IntegrityError)
# The flood limits (messages per socket, bids per user per process: a burst, refilled at a rate
# per second) are settings: LIVE_SOCKET_BURST/RATE and LIVE_BID_BURST/RATE.
FLOOD_STRIKES = 20
RESUME_LIMIT = 500


class TokenBucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, capacity: int, rate: float) -> None:
        self.capacity, self.rate = capacity, rate
        self.tokens, self.stamp = float(capacity), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


_bid_buckets: dict[int, TokenBucket] = {}


def _bid_bucket(user_id: int) -> TokenBucket:
    bucket = _bid_buckets.get(user_id)
    if bucket is None:
        bucket = _bid_buckets[user_id] = TokenBucket(
            settings.LIVE_BID_BURST, settings.LIVE_BID_RATE
        )
    return bucket


def _snapshot(lot_id: int, user_id: int | None) -> dict[str, Any] | None:
    close_old_connections()
    try:
        return selectors.snapshot(lot_id=lot_id, user_id=user_id)
    finally:
        close_old_connections()


def _replay(lot_id: int, after: int, user_id: int | None) -> dict[str, Any]:
    close_old_connections()
    try:
        return selectors.replay(lot_id=lot_id, after=after, limit=RESUME_LIMIT, user_id=user_id)
    finally:
        close_old_connections()


class LotConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    lot_id: int
    user_id: int | None
    subscriptions: list[Subscription]
    refresher: GroupRefresher | None = None
    channel_layer: Any
    counted = False  # in the open sockets' gauge

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # An anonymous watcher has no session to end, so it needs no channel-layer channel,
        # nor the tasks that wait on one: most of what an idle watcher would cost. With its
        # socket as its only source, it reads it directly: Channels' loop would keep a task
        # and a wait for that one source (about 3.5 KB an idle watcher).
        user = scope.get("user")
        if user is not None and user.is_authenticated:
            await super().__call__(scope, receive, send)
            return
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Skip Channels' per-message close-old-connections hop: no handler here touches the
        # ORM on the event loop (database work runs in worker threads that manage their own).
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            if message["type"].startswith("websocket."):
                raise ValueError(f"no handler for {message['type']}")
            # A message meant for another kind of socket must never close this one.
            logger.debug("lot socket ignores %s", message["type"])
            return
        await handler(message)

    async def connect(self) -> None:
        self.lot_id = int(self.scope["url_route"]["kwargs"]["lot_id"])
        user = self.scope.get("user")
        self.user_id = user.pk if user is not None and user.is_authenticated else None
        self.language = getattr(user, "preferred_language", None) or "ar"
        self.socket_bucket = TokenBucket(settings.LIVE_SOCKET_BURST, settings.LIVE_SOCKET_RATE)
        self.strikes = 0
        self.subscriptions = []
        await self.accept()
        metrics.LOT_SOCKETS.inc()
        self.counted = True
        hub = get_hub()
        topics = [events.lot_topic(self.lot_id)]
        if self.user_id is not None:
            topics.append(events.bidder_topic(self.lot_id, self.user_id))
            group = session_group(self.user_id)  # to close when the session ends
            await self.channel_layer.group_add(group, self.channel_name)
            self.refresher = GroupRefresher(self.channel_layer, self.channel_name, [group])
            self.refresher.start()
        # Live frames go to the server's send, past the session middleware (config/asgi.py).
        send = server_send(self.scope, self.base_send)
        release_handshake(send)
        for topic in topics:
            self.subscriptions.append(await hub.join(topic, send, self.close, held=True))
        try:
            snapshot = await sync_to_async(_snapshot, thread_sensitive=False)(
                self.lot_id, self.user_id
            )
        except DATABASE_AWAY:
            logger.warning("lot %s: no snapshot, the database is unavailable", self.lot_id)
            await self.close(code=CLOSE_TRY_AGAIN)
            return
        if snapshot is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self._send_json(snapshot)
        for subscription in self.subscriptions:
            subscription.release()

    async def disconnect(self, code: int) -> None:
        if self.counted:
            metrics.LOT_SOCKETS.dec()
            self.counted = False
        hub = get_hub()
        for subscription in getattr(self, "subscriptions", []):
            await hub.leave(subscription)
        if self.refresher is not None:
            self.refresher.stop()
        user_id = getattr(self, "user_id", None)
        if user_id is not None:
            await self.channel_layer.group_discard(session_group(user_id), self.channel_name)

    async def _send_json(self, payload: dict[str, Any]) -> None:
        live_metrics.REPLY_FRAMES.inc()
        await self.send(text_data=events.encode(payload))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None or (
            text_data is not None and protocol.frame_bytes(text_data) > protocol.MAX_FRAME_BYTES
        ):
            await self.close(code=CLOSE_TOO_LARGE)
            return
        if not self.socket_bucket.take():
            self.strikes += 1
            if self.strikes > FLOOD_STRIKES:
                await self.close(code=CLOSE_FLOODING)
                return
            with translation.override(self.language):
                await self._send_json(
                    frames.refusal(
                        "error",
                        "rate_limited",
                        message=translation.gettext("Too many messages; slow down."),
                    )
                )
            return
        with translation.override(self.language):
            try:
                message = protocol.parse(text_data)
            except protocol.BadMessage as error:
                await self._send_json(
                    frames.refusal("error", error.code, field=error.field, message=error.message)
                )
                return
            await self._handle(message)

    async def _handle(self, message: Any) -> None:
        if isinstance(message, protocol.PingMessage):
            await self._send_json({"type": "pong", "server_time": stamp()})
        elif isinstance(message, protocol.ResumeMessage):
            await self._resume(message.seq)
        elif isinstance(message, protocol.BidMessage):
            await self._bid(message)
        elif isinstance(message, protocol.AutoBidMessage):
            await self._auto_bid(message)

    async def _resume(self, after: int) -> None:
        for subscription in self.subscriptions:
            subscription.hold()
        try:
            frame = await sync_to_async(_replay, thread_sensitive=False)(
                self.lot_id, after, self.user_id
            )
        except DATABASE_AWAY:
            logger.warning("lot %s: no replay, the database is unavailable", self.lot_id)
            await self._send_json(frames.unavailable("error"))
        else:
            metrics.RESUMES.inc()
            if frame.get("reason") == "resume_too_old":
                live_metrics.RESYNCS.labels("resume_too_old").inc()
            await self._send_json(frame)
        finally:
            for subscription in self.subscriptions:
                subscription.release()

    async def _refuse_anonymous(
        self, client_id: str | None, kind: str = "bid_result", **fields: Any
    ) -> bool:
        if self.user_id is not None:
            return False
        if self.scope.get(SECOND_FACTOR_PENDING):
            # Signed in, but the second factor the account needs is not proved yet
            # (accounts/sockets.py): the socket is an anonymous visitor's until it is.
            code = frames.SECOND_FACTOR_REQUIRED
            message = translation.gettext(
                "Confirm it is you with your passkey or code first, then open this page "
                "again to bid."
            )
        else:
            code = Refusal.NOT_REGISTERED
            message = translation.gettext("Log in and register for this lot to bid.")
        frame = frames.refusal(kind, code, client_id=client_id, message=message)
        await self._send_json({**frame, **fields})
        return True

    async def _bid(self, message: protocol.BidMessage) -> None:
        received_at = stamp()  # on arrival, before any wait for the lot's lock
        if await self._refuse_anonymous(message.client_id):
            return
        assert self.user_id is not None
        if not _bid_bucket(self.user_id).take():
            await self._send_json(
                frames.refusal("bid_result", Refusal.RATE_LIMITED, client_id=message.client_id)
            )
            return
        instruction = Instruction(
            user_id=self.user_id,
            received_at=received_at,
            amount_minor=message.amount_minor,
            client_id=message.client_id,
            keep_deposit_reserved=message.keep_deposit_reserved,
        )
        try:
            answer = await batcher.submit(self.lot_id, instruction)
        except DATABASE_AWAY:
            logger.warning("a bid could not be decided: the database is unavailable")
            await self._send_json(frames.unavailable("bid_result", message.client_id))
            return
        await self._send_json(frames.result(answer, message.client_id))

    async def _auto_bid(self, message: protocol.AutoBidMessage) -> None:
        received_at = stamp()
        if await self._refuse_anonymous(
            None, "auto_bid_result", maximum_minor=message.maximum_minor
        ):
            return
        assert self.user_id is not None
        instruction = Instruction(
            user_id=self.user_id,
            received_at=received_at,
            kind="auto",
            maximum_minor=message.maximum_minor,
        )
        try:
            answer = await batcher.submit(self.lot_id, instruction)
        except DATABASE_AWAY:
            logger.warning("a bid could not be decided: the database is unavailable")
            frame = frames.unavailable("auto_bid_result")
        else:
            frame = frames.result(answer, None, "auto_bid_result")
        frame["maximum_minor"] = message.maximum_minor
        await self._send_json(frame)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self._send_json({"type": "session_ended", "reason": event["reason"]})
        await self.close(code=CLOSE_SESSION_ENDED)
