"""Pure rules of the support desk: working time on a court's calendar, routing, service levels.

No I/O: a `Calendar` is a plain value built by the selectors from the
court's settings, and every function here is a pure function of its
arguments, so the arithmetic is proved with Hypothesis (tests/support).

Working time is counted in the court's own zone: each working day (not a
weekend day, not a holiday) is open from `opens` to `closes` local time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Python's weekday numbers: Monday 0 ... Sunday 6. The Gulf rests on Friday and Saturday.
GULF_WEEKEND = frozenset({4, 5})
DEFAULT_OPENS = time(8, 0)
DEFAULT_CLOSES = time(16, 0)
# Looking further than this for working time means the calendar has none (all holidays).
MAX_DAYS_SEARCHED = 3 * 366


class NoWorkingTime(ValueError):
    """The calendar has no working day within the searched span."""


@dataclass(frozen=True)
class Calendar:
    """When a court works: its zone, weekend days, daily opening hours and holidays."""

    zone: str = "Asia/Riyadh"
    weekend: frozenset[int] = GULF_WEEKEND
    opens: time = DEFAULT_OPENS
    closes: time = DEFAULT_CLOSES
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError("a working day opens before it closes")
        if len(self.weekend) >= 7 or not self.weekend <= set(range(7)):
            raise ValueError("the weekend must leave at least one working weekday")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def day_hours(self, day: date) -> tuple[datetime, datetime]:
        """The day's opening and closing instants, in UTC."""
        opens = datetime.combine(day, self.opens, tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(day, self.closes, tzinfo=self.tz).astimezone(UTC)
        return opens, closes

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("working-time arithmetic needs aware datetimes")


def _working_intervals(calendar: Calendar, first_day: date) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals of the working days from `first_day` on, in order (UTC)."""
    for offset in range(MAX_DAYS_SEARCHED):
        day = first_day + timedelta(days=offset)
        if calendar.is_working_day(day):
            yield calendar.day_hours(day)
    raise NoWorkingTime(first_day)


def working_time(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """The working time between `start` and `end` (zero when `end` is not after `start`)."""
    _require_aware(start, end)
    total = timedelta(0)
    if end <= start:
        return total
    last_day = calendar.local_date(end)
    day = calendar.local_date(start)
    while day <= last_day:
        if calendar.is_working_day(day):
            opens, closes = calendar.day_hours(day)
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def add_working_time(calendar: Calendar, start: datetime, amount: timedelta) -> datetime:
    """The instant when `amount` of working time has passed after `start`.

    Adding zero gives `start` back. Raises NoWorkingTime when the calendar has
    no working day within about three years.
    """
    _require_aware(start)
    if amount < timedelta(0):
        raise ValueError("working time to add cannot be negative")
    if amount == timedelta(0):
        return start
    remaining = amount
    for opens, closes in _working_intervals(calendar, calendar.local_date(start)):
        begin = max(opens, start)
        if begin >= closes:
            continue
        available = closes - begin
        if remaining <= available:
            return (begin + remaining).astimezone(start.tzinfo)
        remaining -= available
    raise NoWorkingTime(start)  # pragma: no cover - the generator raises first


def is_working_time(calendar: Calendar, moment: datetime) -> bool:
    _require_aware(moment)
    day = calendar.local_date(moment)
    if not calendar.is_working_day(day):
        return False
    opens, closes = calendar.day_hours(day)
    return opens <= moment < closes


# Routing: which team answers a topic.
EXECUTION = "EXECUTION"
FINANCE = "FINANCE"
TEAM_OF_TOPIC = {
    "REGISTRATION": EXECUTION,
    "DEPOSIT": EXECUTION,
    "BIDDING": EXECUTION,
    "LOT": EXECUTION,
    "FILE": EXECUTION,
    "PAYMENT": FINANCE,
    "TRANSFER": FINANCE,
}


def team_for(topic: str) -> str:
    """The team that answers tickets about `topic`; KeyError for an unknown topic."""
    return TEAM_OF_TOPIC[topic]


# Service levels: (first response, resolution) in working hours, until a court sets its own.
DEFAULT_TARGET_HOURS = {
    "COMPLAINT": (4, 24),
    "QUESTION": (4, 16),
    "SUGGESTION": (8, 40),
}
DEFAULT_REOPEN_DAYS = 7

# What stands out in the queue.
ON_TRACK = "ON_TRACK"
NEAR = "NEAR"
PAST = "PAST"
MET = "MET"
MISSED = "MISSED"
# A target is "near" once less than this share of its working time is left.
NEAR_SHARE = 0.25


def target_state(
    calendar: Calendar,
    *,
    now: datetime,
    due_at: datetime,
    target: timedelta,
    done_at: datetime | None = None,
) -> str:
    """ON_TRACK, NEAR or PAST while the work is pending; MET or MISSED once done."""
    if done_at is not None:
        return MET if done_at <= due_at else MISSED
    if now >= due_at:
        return PAST
    left = working_time(calendar, now, due_at)
    return NEAR if left <= target * NEAR_SHARE else ON_TRACK


def whole_minutes(amount: timedelta) -> int:
    return int(amount.total_seconds() // 60)
