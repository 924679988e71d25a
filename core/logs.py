"""Log lines: JSON or text, each with the request id (and other context) of the work it is about.

A request id comes from a well-formed incoming `X-Request-ID` header or is made
here; it is bound for the request (`core.middleware.RequestObservation`), for a
WebSocket connection (`SocketRequestId`), stored with the payment jobs a
request enqueues and bound again while the worker runs them, and bound by the
bid batcher for the bids it decides. Every log record gets the bound fields
through `ContextFilter`.

This module imports no Django settings: uvicorn's `--log-config` loads it before
the application (deploy/logging/uvicorn-json.json), so that the server's own
first lines are JSON too.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# Accepted from a client or a proxy as it is: letters, digits and a few separators, as UUIDs,
# load balancers' ids and trace ids are written; anything else is replaced by one made here.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{7,127}")
FORMATS = ("json", "text")

EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "mazad_log_context", default=EMPTY
)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(value: str | bytes | None) -> str:
    """The incoming id if it is well-formed, else a new one."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if value and REQUEST_ID_PATTERN.fullmatch(value):
        return value
    return new_request_id()


def request_id() -> str:
    """The request id bound in this context ("" outside any request or job)."""
    return str(_context.get().get("request_id", ""))


def fields() -> Mapping[str, Any]:
    """Everything bound in this context."""
    return _context.get()


@contextlib.contextmanager
def bound(**values: Any) -> Iterator[None]:
    """Add `values` to the log context of everything this block logs (None values are left out)."""
    token = _context.set({**_context.get(), **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**values: Any) -> contextvars.Token[Mapping[str, Any]]:
    """Bind for the rest of this context (a connection's task); `unbind` with the token."""
    return _context.set({**_context.get(), **values})


def unbind(token: contextvars.Token[Mapping[str, Any]]) -> None:
    _context.reset(token)


class ContextFilter(logging.Filter):
    """Copies the bound context onto every record (`request_id` is always there, maybe "")."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for key, value in context.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        if not hasattr(record, "request_id"):
            record.request_id = ""
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, then the context."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            *args,
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
            # uvicorn's copy of each message with terminal colours in it
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
            **kwargs,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        super().add_fields(log_data, record, message_dict)
        if not log_data.get("request_id"):
            log_data.pop("request_id", None)


class TextFormatter(logging.Formatter):
    """The plain line of `make run`, with the context after the message when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = {k: v for k, v in _context.get().items() if v not in ("", None)}
        rid = getattr(record, "request_id", "")
        if rid and "request_id" not in context:
            context["request_id"] = rid
        if not context:
            return line
        first, newline, rest = line.partition("\n")
        tail = " ".join(f"{key}={value}" for key, value in context.items())
        return f"{first} [{tail}]{newline}{rest}"


QUIET_LOGGERS = {
    "django.channels.server": "WARNING",
    "weasyprint": "WARNING",
    "fontTools": "WARNING",
    "httpx": "WARNING",
    "axes": "WARNING",
}


def config(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """The logging configuration (dictConfig) of a process: `json` or `text` lines on stderr.

    `mazad.access` (one line a request) follows LOG_LEVEL, like the rest; the
    long-running processes' own lines (`mazad.process`) are always written.
    """
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    formatter = {
        "()": "core.logs.JsonFormatter" if log_format == "json" else "core.logs.TextFormatter"
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "core.logs.ContextFilter"}},
        "formatters": {"main": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            **{name: {"level": quiet} for name, quiet in QUIET_LOGGERS.items()},
            "mazad.process": {"level": "INFO"},
            # uvicorn's own lines go through the same handler (its --log-config does the same
            # before the application is loaded). Its access log is left to its flag: the site's
            # access line is `mazad.access`, with the route and the request id.
            "uvicorn": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
        },
    }


# -- WebSocket connections ----------------------------------------------------------------------

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
access_logger = logging.getLogger("mazad.access")


class SocketRequestId:
    """ASGI middleware for WebSockets: a request id for the connection, bound while it lives.

    Taken from the handshake's `X-Request-ID` when well-formed (else made here):
    everything the connection's consumer logs, and the bids it submits, carry it.
    One access line when the socket ends. The connection's sends are not wrapped,
    so a frame costs nothing more.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        header = REQUEST_ID_HEADER.lower().encode()
        incoming = next((value for name, value in scope.get("headers", []) if name == header), None)
        rid = accepted_request_id(incoming)
        token = bind(request_id=rid)
        started = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                path = scope.get("path", "")
                access_logger.info(
                    "WebSocket %s ended",
                    path,
                    extra={
                        "path": path,
                        "websocket": True,
                        "duration_ms": round((time.monotonic() - started) * 1000, 2),
                    },
                )
            unbind(token)
