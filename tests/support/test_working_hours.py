"""Working time on a court's calendar: weekends, holidays and hours outside the day never count."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import engine

RIYADH = ZoneInfo("Asia/Riyadh")
# A Riyadh week: Sunday to Thursday 08:00–16:00; Friday and Saturday off.
GULF = engine.Calendar(zone="Asia/Riyadh")
# Eid al-Fitr 2026 (Thursday 19 March to Monday 23 March) and a one-day holiday.
EID = frozenset(date(2026, 3, 19) + timedelta(days=n) for n in range(5))
GULF_WITH_EID = engine.Calendar(zone="Asia/Riyadh", holidays=EID)


def riyadh(*args: int) -> datetime:
    return datetime(*args, tzinfo=RIYADH)


def test_four_hours_from_thursday_afternoon_end_on_sunday_morning():
    thursday = riyadh(2026, 3, 5, 14, 0)

    due = engine.add_working_time(GULF, thursday, timedelta(hours=4))

    assert due == riyadh(2026, 3, 8, 10, 0)
    assert engine.working_time(GULF, thursday, due) == timedelta(hours=4)


def test_a_holiday_week_is_skipped_like_a_weekend():
    wednesday = riyadh(2026, 3, 18, 15, 0)

    due = engine.add_working_time(GULF_WITH_EID, wednesday, timedelta(hours=3))

    # One hour on Wednesday; Eid runs Thursday to Monday; two hours on Tuesday.
    assert due == riyadh(2026, 3, 24, 10, 0)


def test_time_before_opening_and_after_closing_does_not_count():
    evening = riyadh(2026, 3, 2, 20, 0)  # Monday evening
    next_morning = riyadh(2026, 3, 3, 7, 30)

    assert engine.working_time(GULF, evening, next_morning) == timedelta(0)
    assert engine.add_working_time(GULF, evening, timedelta(minutes=30)) == riyadh(
        2026, 3, 3, 8, 30
    )


def test_a_whole_week_has_forty_working_hours():
    sunday = riyadh(2026, 3, 1, 0, 0)

    assert engine.working_time(GULF, sunday, sunday + timedelta(days=7)) == timedelta(hours=40)


def test_a_calendar_without_a_working_day_is_refused():
    with pytest.raises(ValueError, match="working weekday"):
        engine.Calendar(weekend=frozenset(range(7)))
    with pytest.raises(ValueError, match="opens before"):
        engine.Calendar(opens=time(16), closes=time(8))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        engine.working_time(GULF, datetime(2026, 3, 1), datetime(2026, 3, 2))


def test_routing_sends_money_topics_to_finance_and_the_rest_to_execution():
    assert {topic: engine.team_for(topic) for topic in engine.TEAM_OF_TOPIC} == {
        "REGISTRATION": "EXECUTION",
        "DEPOSIT": "EXECUTION",
        "BIDDING": "EXECUTION",
        "LOT": "EXECUTION",
        "FILE": "EXECUTION",
        "PAYMENT": "FINANCE",
        "TRANSFER": "FINANCE",
    }


# Property tests over random calendars, instants and amounts.

zones = st.sampled_from(["Asia/Riyadh", "Asia/Kuwait", "Asia/Dubai", "Asia/Bahrain", "Asia/Muscat"])
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(UTC)
)
amounts = st.integers(min_value=0, max_value=80 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def calendars(draw: st.DrawFn) -> engine.Calendar:
    opens = draw(st.integers(min_value=0, max_value=20 * 4))
    length = draw(st.integers(min_value=1, max_value=96 - opens))
    weekend = draw(st.frozensets(st.integers(min_value=0, max_value=6), max_size=3))
    holiday_days = draw(
        st.frozensets(
            st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), max_size=20
        )
    )
    quarter = timedelta(minutes=15)
    return engine.Calendar(
        zone=draw(zones),
        weekend=weekend,
        opens=(datetime.min + opens * quarter).time(),
        closes=(datetime.min + (opens + length) * quarter).time()
        if opens + length < 96
        else time(23, 59),
        holidays=holiday_days,
    )


def is_working(calendar: engine.Calendar, moment: datetime) -> bool:
    """The oracle, written independently: local weekday, holiday list, clock time."""
    local = moment.astimezone(ZoneInfo(calendar.zone))
    return (
        local.weekday() not in calendar.weekend
        and local.date() not in calendar.holidays
        and calendar.opens <= local.time() < calendar.closes
    )


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, amounts)
def test_adding_then_measuring_gives_back_the_same_working_time(calendar, start, amount):
    due = engine.add_working_time(calendar, start, amount)

    assert engine.working_time(calendar, start, due) == amount
    assert due >= start


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, amounts.filter(bool))
def test_a_due_time_ends_inside_a_working_day(calendar, start, amount):
    due = engine.add_working_time(calendar, start, amount)

    # The last working minute before the due time is a working minute.
    assert is_working(calendar, due - timedelta(microseconds=1))


@settings(max_examples=60, deadline=None)
@given(calendars(), instants, st.integers(min_value=0, max_value=4 * 24 * 60))
def test_measured_time_equals_counting_working_minutes_one_by_one(calendar, start, minutes):
    start = start.replace(second=0, microsecond=0)
    end = start + timedelta(minutes=minutes)

    counted = sum(1 for n in range(minutes) if is_working(calendar, start + timedelta(minutes=n)))

    assert engine.working_time(calendar, start, end) == timedelta(minutes=counted)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, instants, instants)
def test_working_time_is_monotonic_and_additive(calendar, a, b, c):
    first, middle, last = sorted([a, b, c])

    assert engine.working_time(calendar, first, middle) <= engine.working_time(
        calendar, first, last
    )
    assert engine.working_time(calendar, first, middle) + engine.working_time(
        calendar, middle, last
    ) == engine.working_time(calendar, first, last)
    assert engine.working_time(calendar, last, first) == timedelta(0)


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, amounts, amounts)
def test_a_longer_target_is_never_due_earlier(calendar, start, one, other):
    shorter, longer = sorted([one, other])

    assert engine.add_working_time(calendar, start, shorter) <= engine.add_working_time(
        calendar, start, longer
    )
