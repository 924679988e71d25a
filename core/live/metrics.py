"""Live delivery metrics: open sockets, frames written, dropped and resynced, failed publishes.

Bumped once a fan-out or once a socket, never once a watcher on the hot path;
the labelled children used there are bound here once. A kind of socket counts
itself under its own label of `SOCKETS` (the lot sockets in auction/metrics.py).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SOCKETS = Gauge(
    "mazad_live_sockets",
    "WebSockets open, by kind (lot: a lot page; user: every page's own).",
    ["kind"],
    multiprocess_mode="livesum",
)
USER_SOCKETS = SOCKETS.labels("user")
FRAMES_SENT = Counter(
    "mazad_live_frames_sent",
    "Frames written to sockets: broadcast (a lot's events, once a watcher) or reply "
    "(snapshots, replays and answers to one socket).",
    ["kind"],
)
BROADCAST_FRAMES = FRAMES_SENT.labels("broadcast")
REPLY_FRAMES = FRAMES_SENT.labels("reply")
FRAMES_DROPPED = Counter(
    "mazad_live_frames_dropped",
    "Frames dropped from a slow socket's full queue (the socket is told to resync instead).",
)
SLOW_SOCKETS_CLOSED = Counter(
    "mazad_live_slow_sockets_closed",
    "Sockets closed for overflowing their queue again and again.",
)
RESYNCS = Counter(
    "mazad_live_resyncs",
    "Resyncs: sockets told to resync (overflow, redis_reconnect, announced) and resumes "
    "answered with a fresh snapshot because they were too old (resume_too_old).",
    ["reason"],
)
PUBLISH_FAILURES = Counter(
    "mazad_live_publish_failures",
    "Batches of live events that could not be published to Redis (clients catch up by seq).",
)
