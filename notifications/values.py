"""The details of a notice: typed when written, put into words in the reader's language.

A notice is written in the cause's transaction but read later, in the reader's language
and format: money stays integer minor units with its currency, a moment stays a UTC
instant, and a translatable text stays its message id, until `render` writes them with
the site's one rule for each (core.money, core.formatting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from core import formatting
from core.money import Money


@dataclass(frozen=True)
class Phrase:
    """A translatable text with its own placeholders, filled when rendered."""

    message: Promise
    params: dict[str, str | int]


@dataclass(frozen=True)
class Bilingual:
    """A name written in both languages (a party's, a court's): the reader's is shown."""

    ar: str
    en: str


@dataclass(frozen=True)
class TimeOfDay:
    """Only the time of a moment, where the court is: "17:30"."""

    at: datetime


Value = Money | datetime | date | Promise | Phrase | Bilingual | TimeOfDay | str | int


def encode(value: Value) -> dict[str, Any]:
    """One detail as JSON; raises TypeError for a value with no written form (a float)."""
    if isinstance(value, Money):
        return {"money": [value.amount_minor, value.currency]}
    if isinstance(value, datetime):
        return {"moment": value.isoformat()}
    if isinstance(value, date):
        return {"day": value.isoformat()}
    if isinstance(value, Phrase):
        with translation.override(None):
            return {"message": str(value.message), "with": dict(value.params)}
    if isinstance(value, TimeOfDay):
        return {"clock": value.at.isoformat()}
    if isinstance(value, Bilingual):
        return {"bilingual": {"ar": value.ar, "en": value.en}}
    if isinstance(value, Promise):
        with translation.override(None):
            return {"message": str(value)}
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"a notice cannot carry a {type(value).__name__}")
    return {"text": str(value)}


def encode_all(params: dict[str, Value]) -> dict[str, dict[str, Any]]:
    return {name: encode(value) for name, value in params.items()}


def render(detail: dict[str, Any], *, language: str, time_zone: str) -> str:
    """One detail in words, in `language`, with dates where the court is (and Hijri there)."""
    if "money" in detail:
        amount, currency = detail["money"]
        return Money(int(amount), str(currency)).format(language)
    if "moment" in detail:
        moment = datetime.fromisoformat(detail["moment"])
        text = formatting.format_moment(moment, time_zone, lang=language)
        return formatting.with_hijri(text, moment, time_zone, lang=language)
    if "day" in detail:
        day = date.fromisoformat(detail["day"])
        text = formatting.format_day(day, time_zone, lang=language)
        return formatting.with_hijri(text, day, time_zone, lang=language)
    if "clock" in detail:
        return formatting.format_clock(
            datetime.fromisoformat(detail["clock"]), time_zone, lang=language
        )
    if "bilingual" in detail:
        names = detail["bilingual"]
        return str(names.get(language) or names.get("ar") or names.get("en") or "")
    if "message" in detail:
        with translation.override(language):
            text = gettext(detail["message"])
        return text % detail["with"] if detail.get("with") else text
    return str(detail.get("text", ""))


def render_all(
    params: dict[str, dict[str, Any]], *, language: str, time_zone: str
) -> dict[str, str]:
    return {
        name: render(detail, language=language, time_zone=time_zone)
        for name, detail in params.items()
    }
