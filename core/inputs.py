"""The input rule shared by forms and the API: text without control characters, dates in bounds.

Text typed by a person or sent by a system may hold letters of any script, but no control
characters: a NUL byte cannot be stored by PostgreSQL at all, and the others (escape
sequences, bidirectional overrides' cousins in C0/C1, lone surrogates) have no business in a
record a court prints. Multi-line text keeps newlines, carriage returns and tabs. Forms use
`TextValidator` (or `FORM_TEXT_VALIDATORS`); the API's schemas use `ApiText` / `ApiLongText`;
both call `text_problem`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext, gettext_lazy
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

# C0 and C1 controls, DEL, and lone surrogates (a JSON "\ud800" decodes to one).
_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CONTROL_CHARACTER = "control_character"
CONTROL_MESSAGE = gettext_lazy(
    "Remove the control characters (such as a NUL byte) from this text; only letters, "
    "digits, punctuation, spaces and, in longer text, line breaks and tabs are accepted."
)
DATE_OUT_OF_RANGE = "date_out_of_range"
DATE_MESSAGE = gettext_lazy("Choose a time between %(earliest)s and %(latest)s.")


def text_problem(value: str, *, multiline: bool) -> str | None:
    """The rule's code when `value` breaks it (`control_character`), else None."""
    pattern = _MULTI_LINE if multiline else _SINGLE_LINE
    return CONTROL_CHARACTER if pattern.search(value) else None


@deconstructible
class TextValidator:
    """Django validator of the rule; `multiline=True` for text areas."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if isinstance(value, str) and text_problem(value, multiline=self.multiline):
            raise ValidationError(CONTROL_MESSAGE, code=CONTROL_CHARACTER)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash(self.multiline)


def _api_text(multiline: bool) -> AfterValidator:
    def check(value: str) -> str:
        if text_problem(value, multiline=multiline):
            raise PydanticCustomError(CONTROL_CHARACTER, gettext(str(CONTROL_MESSAGE)))
        return value

    return AfterValidator(check)


ApiText = Annotated[str, _api_text(False)]
ApiLongText = Annotated[str, _api_text(True)]


def horizon() -> timedelta:
    """How far ahead a date a person schedules may lie (AUCTION_HORIZON_DAYS)."""
    return timedelta(days=int(getattr(settings, "AUCTION_HORIZON_DAYS", 365)))


def validate_schedule(
    value: datetime, *, now: datetime | None = None, zone: tzinfo | None = None
) -> None:
    """Raise ValidationError (`date_out_of_range`) unless `value` is from now to the horizon.

    "Now" is the current minute: a time typed to the minute for the present is accepted. The
    bounds are shown in `zone` (the court's), else the deployment's.
    """
    now = now or timezone.now()
    earliest = now.replace(second=0, microsecond=0)
    latest = now + horizon()
    if earliest <= value <= latest:
        return
    raise ValidationError(
        DATE_MESSAGE,
        code=DATE_OUT_OF_RANGE,
        params={
            "earliest": timezone.localtime(earliest, zone).strftime("%Y-%m-%d %H:%M"),
            "latest": timezone.localtime(latest, zone).strftime("%Y-%m-%d %H:%M"),
        },
    )
