"""The lot socket's client messages, validated against a schema, and their error frames.

Client messages (JSON objects, at most MAX_FRAME_BYTES):
  {"type": "bid", "amount_minor": 1250000, "client_id": "…", "keep_deposit_reserved": true}
  {"type": "auto_bid", "maximum_minor": 2000000}      (null cancels the maximum)
  {"type": "resume", "seq": 41}
  {"type": "ping"}
Anything else - unknown types or fields, floats or strings for amounts, missing
fields - is refused with an `error` frame naming the field and the rule, and
changes nothing. docs/live-protocol.md documents every frame (a test checks).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
)

MAX_FRAME_BYTES = 2048


def frame_bytes(text: str) -> int:
    """A text frame's size on the wire (UTF-8): the limit counts bytes, not characters, so a
    frame of emoji (4 bytes each) is measured as the server received it."""
    return len(text.encode("utf-8", "surrogatepass"))


MAX_AMOUNT_MINOR = 10**15


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BidMessage(_Message):
    type: Literal["bid"]
    amount_minor: Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT_MINOR)]
    client_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
    keep_deposit_reserved: StrictBool | None = None


class AutoBidMessage(_Message):
    type: Literal["auto_bid"]
    maximum_minor: Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT_MINOR)] | None


class ResumeMessage(_Message):
    type: Literal["resume"]
    seq: Annotated[StrictInt, Field(ge=0, le=10**12)]


class PingMessage(_Message):
    type: Literal["ping"]


ClientMessage = Annotated[
    BidMessage | AutoBidMessage | ResumeMessage | PingMessage, Field(discriminator="type")
]
_adapter: TypeAdapter[Any] = TypeAdapter(ClientMessage)


class BadMessage(Exception):
    """A client message that breaks the schema: its code, the field and the rule (the socket
    sends it as an `error` frame, `auction.bidding.frames.refusal`)."""

    def __init__(self, code: str, field: str | None, message: str) -> None:
        super().__init__(message)
        self.code, self.field, self.message = code, field, message


_RULES = {
    "missing": gettext_noop("is required"),
    "extra_forbidden": gettext_noop("is not a field of this message"),
    "int_type": gettext_noop("must be a whole number of minor units"),
    "int_parsing": gettext_noop("must be a whole number of minor units"),
    "greater_than": gettext_noop("must be positive"),
    "greater_than_equal": gettext_noop("must not be negative"),
    "less_than_equal": gettext_noop("is too large"),
    "string_type": gettext_noop("must be text"),
    "string_too_short": gettext_noop("must not be empty"),
    "string_too_long": gettext_noop("is too long"),
    "string_pattern_mismatch": gettext_noop("may hold only letters, digits and . _ : -"),
    "bool_type": gettext_noop("must be true or false"),
    "union_tag_invalid": gettext_noop("names no known message type"),
    "union_tag_not_found": gettext_noop("is required"),
    "literal_error": gettext_noop("names no known message type"),
}


def parse(text: str | None) -> BidMessage | AutoBidMessage | ResumeMessage | PingMessage:
    """Parse one text frame. Raises BadMessage (code, field, translated message)."""
    if text is None:
        raise BadMessage("invalid_message", None, _("Send JSON text frames only."))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadMessage("invalid_json", None, _("The message is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise BadMessage("invalid_message", None, _("A message is a JSON object with a type."))
    try:
        return _adapter.validate_python(data)  # type: ignore[no-any-return]
    except ValidationError as error:
        first = error.errors()[0]
        location = [
            str(part) for part in first["loc"] if part not in ("bid", "auto_bid", "resume", "ping")
        ]
        field = location[-1] if location else "type"
        rule = _RULES.get(first["type"], "is not valid")
        raise _bad(field, rule) from None


def _bad(field: str, rule: str) -> BadMessage:
    return BadMessage(
        "invalid_message",
        field,
        _("The field “%(field)s” %(rule)s.") % {"field": field, "rule": _(rule)},
    )
