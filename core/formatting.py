"""How every page writes dates, times, durations, percentages, money and references, per language.

The one place for these rules; templates reach it through the filters in
`frontend/templatetags/mazad.py` and live pages through `frontend/static/frontend/js/format.js`,
which applies the same patterns with `Intl`:

- a day is written with the month's name, day first: "11 December 2026", "11 ديسمبر 2026";
  never a month-first number such as 12/11/2026;
- a time is 24-hour ("17:30") and a moment names the court's time zone:
  "11 December 2026, 17:30 (Saudi Arabia Time)";
- courts in Saudi Arabia also give the Umm al-Qura (Hijri) date: pages carry the day in a
  `<time data-hijri>` element and the browser adds it from its own calendar data (ICU);
  e-mails, receipts and letters write it on the server (`format_hijri_day`, `with_hijri`);
- digits are Latin in both languages, as money already is (`core.money.Money.format`);
- a percentage is written as people write it: "2.5 %", never in basis points;
- machine references ("Deposit RYC-A-2026-0002/L2 paddle 3098", "D00000002") become words.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_location
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from hijridate import Gregorian

from core.money import Money

DAY_PATTERN = "d MMMM y"
TIME_PATTERN = "HH:mm"
# Courts whose people read the Umm al-Qura calendar beside the Gregorian one.
HIJRI_ZONES = frozenset({"Asia/Riyadh"})


def language(requested: str | None = None) -> str:
    """The language to write in: the requested one, else the active one; "ar" or "en"."""
    code = requested or get_language() or "ar"
    return "en" if code.startswith("en") else "ar"


def zone_of(where: Any = None) -> tzinfo:
    """The time zone of `where`: a court (its `time_zone`), a zone name, a tzinfo, or the active."""
    if where is None or where == "":
        return timezone.get_current_timezone()
    if isinstance(where, tzinfo):
        return where
    name = getattr(where, "time_zone", where)
    return ZoneInfo(str(name))


def zone_name(where: Any = None, *, lang: str | None = None) -> str:
    """The zone as people say it: "Saudi Arabia Time", "توقيت الكويت"."""
    return str(get_timezone_location(zone_of(where), locale=language(lang)))


def shows_hijri(where: Any = None) -> bool:
    """Whether dates of this court are also given in the Umm al-Qura calendar."""
    return getattr(zone_of(where), "key", "") in HIJRI_ZONES


def _local(value: datetime, where: Any) -> datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return timezone.localtime(value, zone_of(where))


def local_day(value: date | datetime, where: Any = None) -> date:
    """The calendar day of `value` where the court is."""
    return _local(value, where).date() if isinstance(value, datetime) else value


def format_day(value: date | datetime | None, where: Any = None, *, lang: str | None = None) -> str:
    """A day with its month's name: "11 December 2026" / "11 ديسمبر 2026"; "—" for nothing."""
    if value is None or value == "":
        return "—"
    return str(format_date(local_day(value, where), DAY_PATTERN, locale=language(lang)))


def format_hijri_day(value: date | datetime, where: Any = None, *, lang: str | None = None) -> str:
    """The Umm al-Qura day where the court is: "2 Rajab 1448 AH" / "2 رجب 1448 هـ".

    Written on the server for e-mails, receipts and letters (pages let the browser add it);
    "" for a day outside the calendar's table (before 1937 or after 2077).
    """
    day = local_day(value, where)
    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):
        return ""
    code: Literal["ar", "en"] = "en" if language(lang) == "en" else "ar"
    return f"{hijri.day} {hijri.month_name(code)} {hijri.year} {hijri.notation(code)}"


def with_hijri(
    text: str, value: date | datetime, where: Any = None, *, lang: str | None = None
) -> str:
    """`text` (a written day or moment) followed by the Hijri day, for courts that read it."""
    if not shows_hijri(where):
        return text
    hijri = format_hijri_day(value, where, lang=lang)
    return f"{text} — {hijri}" if hijri else text


def format_clock(value: datetime, where: Any = None, *, lang: str | None = None) -> str:
    """The time of day, 24-hour, where the court is: "17:30"."""
    return str(format_time(_local(value, where), TIME_PATTERN, locale=language(lang)))


def format_moment(
    value: datetime | None, where: Any = None, *, lang: str | None = None, zone: bool = True
) -> str:
    """Day, time and the court's zone: "11 December 2026, 17:30 (Saudi Arabia Time)"."""
    if value is None or value == "":
        return "—"
    code = language(lang)
    with override(code):
        if zone:
            return _("%(day)s, %(time)s (%(zone)s)") % {
                "day": format_day(value, where, lang=code),
                "time": format_clock(value, where, lang=code),
                "zone": zone_name(where, lang=code),
            }
        return _("%(day)s, %(time)s") % {
            "day": format_day(value, where, lang=code),
            "time": format_clock(value, where, lang=code),
        }


def remaining_units(delta: timedelta) -> tuple[tuple[str, int], ...]:
    """What `format_remaining` says of `delta`, in any language: its units and amounts (none
    under a minute). Two moments with equal units read the same."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return ()
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    units = [("duration-day", days), ("duration-hour", hours), ("duration-minute", rest // 60)]
    first = next(index for index, (_unit, amount) in enumerate(units) if amount)
    return tuple((unit, amount) for unit, amount in units[first : first + 2] if amount)


def remaining_changes_at(ends_at: datetime, now: datetime) -> datetime | None:
    """When `format_remaining(ends_at - now)` next reads otherwise: at the next whole hour left
    while days are shown, at the next whole minute left below a day; None below a minute,
    where it reads "less than a minute" however late it is (the close is what changes it)."""
    seconds = int((ends_at - now).total_seconds())
    if seconds < 60:
        return None
    step = 3_600 if seconds >= 86_400 else 60
    return ends_at - timedelta(seconds=seconds // step * step)


def format_remaining(delta: timedelta, *, lang: str | None = None) -> str:
    """Time left, in at most two units: "2 days, 3 hours"; under a minute, said so (never "0")."""
    code = language(lang)
    shown = remaining_units(delta)
    if not shown:
        with override(code):
            return _("less than a minute")
    parts = [str(format_unit(amount, unit, length="long", locale=code)) for unit, amount in shown]
    return str(format_list(parts, locale=code))


def format_percent_bp(basis_points: int | str | None, *, lang: str | None = None) -> str:
    """Basis points written as a percentage: 250 → "2.5 %", 1500 → "15 %"."""
    value = Decimal(int(basis_points or 0)) / Decimal(100)
    number = format_decimal(value, format="#,##0.##", locale=language(lang))
    return f"{number}\u00a0%"


def format_money(amount_minor: int | None, currency: str, *, lang: str | None = None) -> str:
    """An amount in minor units, with the currency's own decimals (the invoices' writing)."""
    if amount_minor is None:
        return "—"
    return Money(int(amount_minor), currency).format(language(lang))


LOT_REFERENCE = r"(?P<auction>[A-Z]{2,8}-A-\d+(?:-\d+)?)/L(?P<lot>\d+)"
_REFERENCES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^Deposit {LOT_REFERENCE} paddle (?P<paddle>\d+)$"), "deposit"),
    (re.compile(rf"^Balance {LOT_REFERENCE}$"), "balance"),
    (re.compile(r"^Balance owed on file (?P<file>\S+)$"), "file_balance"),
    (re.compile(r"^Instalment (?P<number>\d+) on file (?P<file>\S+)$"), "instalment"),
    (re.compile(rf"^{LOT_REFERENCE}$"), "lot"),
    (re.compile(r"^D(?P<number>\d{8})$"), "disbursement"),
]


def _reference_text(kind: str, parts: dict[str, str]) -> str:
    if kind == "deposit":
        return _("Deposit for lot %(lot)s of auction %(auction)s, paddle %(paddle)s") % parts
    if kind == "balance":
        return _("Balance for lot %(lot)s of auction %(auction)s") % parts
    if kind == "file_balance":
        return _("Balance owed on enforcement file %(file)s") % parts
    if kind == "instalment":
        return _("Instalment %(number)s on enforcement file %(file)s") % parts
    if kind == "lot":
        return _("Lot %(lot)s of auction %(auction)s") % parts
    return _("Transfer no. %(number)s") % {"number": int(parts["number"])}


def describe_reference(text: str | None, *, lang: str | None = None) -> str:
    """A machine reference in words, in the active language; other text is returned unchanged.

    "Deposit RYC-A-2026-0002/L2 paddle 3098" → "Deposit for lot 2 of auction
    RYC-A-2026-0002, paddle 3098"; "D00000002" → "Transfer no. 2".
    """
    if not text:
        return ""
    for pattern, kind in _REFERENCES:
        found = pattern.match(text.strip())
        if found:
            with override(language(lang)):
                return _reference_text(kind, found.groupdict())
    return text
