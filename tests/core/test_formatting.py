"""Dates, times, durations, percentages, money and references, written one way per language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import example, given
from hypothesis import strategies as st

from core import formatting
from core.forms import parse_money
from core.money import Money

MOMENT = datetime(2026, 12, 11, 14, 30, tzinfo=UTC)  # 17:30 in Riyadh and Kuwait, 21:30 in Hanoi
RIYADH = SimpleNamespace(time_zone="Asia/Riyadh")
KUWAIT = SimpleNamespace(time_zone="Asia/Kuwait")
MONTH_FIRST = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "11 December 2026"), ("ar", "11 ديسمبر 2026")]
)
def test_a_day_is_written_day_first_with_the_months_name(language, expected):
    written = formatting.format_day(MOMENT, RIYADH, lang=language)

    assert written == expected
    assert not MONTH_FIRST.search(written)


@pytest.mark.parametrize(
    ("language", "where", "expected"),
    [
        ("en", RIYADH, "11 December 2026, 17:30 (Saudi Arabia Time)"),
        ("en", KUWAIT, "11 December 2026, 17:30 (Kuwait Time)"),
        ("en", "Asia/Ho_Chi_Minh", "11 December 2026, 21:30 (Vietnam Time)"),
        ("ar", RIYADH, "11 ديسمبر 2026، الساعة 17:30 (توقيت المملكة العربية السعودية)"),
        ("ar", KUWAIT, "11 ديسمبر 2026، الساعة 17:30 (توقيت الكويت)"),
    ],
)
def test_a_moment_is_written_in_the_courts_zone_and_names_it(language, where, expected):
    assert formatting.format_moment(MOMENT, where, lang=language) == expected


def test_the_day_is_the_courts_day_not_the_servers():
    late = datetime(2026, 12, 11, 22, 30, tzinfo=UTC)

    assert formatting.format_day(late, "Asia/Ho_Chi_Minh", lang="en") == "12 December 2026"
    assert formatting.format_day(late, RIYADH, lang="en") == "12 December 2026"
    assert formatting.format_day(late, "UTC", lang="en") == "11 December 2026"


def test_a_date_without_a_time_is_its_own_day_and_nothing_is_a_dash():
    assert formatting.format_day(date(2026, 1, 5), lang="en") == "5 January 2026"
    assert formatting.format_day(None) == "—"
    assert formatting.format_moment(None) == "—"


@pytest.mark.parametrize(
    ("basis_points", "english", "arabic"),
    [
        (250, "2.5 %", "2.5 %"),
        (1_500, "15 %", "15 %"),
        (8_000, "80 %", "80 %"),
        (5, "0.05 %", "0.05 %"),
    ],
)
def test_percentages_are_written_as_people_write_them(basis_points, english, arabic):
    assert formatting.format_percent_bp(basis_points, lang="en") == english.replace(" ", "\xa0")
    assert formatting.format_percent_bp(basis_points, lang="ar") == arabic.replace(" ", "\xa0")


@pytest.mark.parametrize(
    ("amount_minor", "currency", "english", "arabic"),
    [
        (123_456, "SAR", "SAR\xa01,234.56", "\u200f1,234.56\xa0ر.س.\u200f"),
        (1_234_500, "KWD", "KWD\xa01,234.500", "\u200f1,234.500\xa0د.ك.\u200f"),
        (1_234_567, "VND", "VND\xa01,234,567", "\u200f1,234,567\xa0₫"),
        (5, "SAR", "SAR\xa00.05", "\u200f0.05\xa0ر.س.\u200f"),
        (1, "KWD", "KWD\xa00.001", "\u200f0.001\xa0د.ك.\u200f"),
    ],
)
def test_money_has_the_currencys_own_decimals_in_both_languages(
    amount_minor, currency, english, arabic
):
    assert formatting.format_money(amount_minor, currency, lang="en") == english
    assert formatting.format_money(amount_minor, currency, lang="ar") == arabic
    assert formatting.format_money(None, currency) == "—"


@given(
    amount_minor=st.integers(min_value=0, max_value=10**15),
    currency=st.sampled_from(["SAR", "KWD", "BHD", "VND", "USD"]),
    language=st.sampled_from(["ar", "en"]),
)
def test_the_written_amount_reads_back_to_the_same_minor_units(amount_minor, currency, language):
    written = formatting.format_money(amount_minor, currency, lang=language)
    digits = re.sub(r"[^\d.,]", "", written).strip(".")

    assert parse_money(digits, currency) == Money(amount_minor, currency)
    assert written == Money(amount_minor, currency).format(language)  # the invoices' writing


@pytest.mark.parametrize(
    ("left", "english", "arabic"),
    [
        (timedelta(seconds=0), "less than a minute", "أقل من دقيقة"),
        (timedelta(seconds=59), "less than a minute", "أقل من دقيقة"),
        (timedelta(minutes=1), "1 minute", "دقيقة"),
        (timedelta(hours=3, minutes=4, seconds=50), "3 hours and 4 minutes", "3 ساعات و4 دقائق"),
        (timedelta(days=12, hours=3, minutes=4), "12 days and 3 hours", "12 يومًا و3 ساعات"),
        (timedelta(days=2, minutes=4), "2 days", "يومان"),
    ],
)
def test_time_left_is_never_zero_minutes_for_an_open_lot(left, english, arabic):
    assert formatting.format_remaining(left, lang="en") == english
    assert formatting.format_remaining(left, lang="ar") == arabic


@example(left=90_000, fraction=0.0, later=1)  # on a whole hour: it changes at once
@example(left=3_660, fraction=0.5, later=30)
@given(
    left=st.integers(min_value=0, max_value=40 * 86_400),
    fraction=st.floats(min_value=0, max_value=0.999),
    later=st.integers(min_value=1, max_value=7_200),
)
def test_time_left_reads_the_same_until_the_moment_it_is_said_to_change(left, fraction, later):
    """A shared page showing a time left is kept until then (auction/catalog.py)."""
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    ends_at = now + timedelta(seconds=left + fraction)
    changes_at = formatting.remaining_changes_at(ends_at, now)

    def words(at: datetime) -> list[str]:
        return [formatting.format_remaining(ends_at - at, lang=lang) for lang in ("en", "ar")]

    shown = words(now)

    if changes_at is None:  # under a minute: the same words however late it gets
        assert left < 60
        moment = now + timedelta(seconds=later)
        assert words(moment) == shown
        return
    assert now <= changes_at < ends_at
    moment = min(now + timedelta(seconds=later), changes_at)
    if moment < changes_at:
        assert words(moment) == shown
    assert words(changes_at + timedelta(microseconds=1))[0] != shown[0]


@pytest.mark.parametrize(
    ("raw", "english", "arabic"),
    [
        (
            "Deposit RYC-A-2026-0002/L2 paddle 3098",
            "Deposit for lot 2 of auction RYC-A-2026-0002, paddle 3098",
            "مبلغ تأمين البند 2 في المزاد RYC-A-2026-0002، رقم المزايد 3098",
        ),
        ("Balance KWC-A-2026-0011/L7", "Balance for lot 7 of auction KWC-A-2026-0011", None),
        (
            "RYC-A-2026-0002/L12",
            "Lot 12 of auction RYC-A-2026-0002",
            "البند 12 في المزاد RYC-A-2026-0002",
        ),
        ("D00000002", "Transfer no. 2", "التحويل رقم 2"),
        (
            "Balance owed on file RYC-2026-000123",
            "Balance owed on enforcement file RYC-2026-000123",
            None,
        ),
        ("Lot 7 · Toyota Land Cruiser 2021", "Lot 7 · Toyota Land Cruiser 2021", None),
    ],
)
def test_machine_references_are_written_for_people(raw, english, arabic):
    assert formatting.describe_reference(raw, lang="en") == english
    if arabic:
        assert formatting.describe_reference(raw, lang="ar") == arabic


def render(source: str, **context) -> str:
    return Template("{% load mazad %}" + source).render(Context(context))


def test_the_day_filter_marks_saudi_days_for_the_hijri_date_and_no_others():
    saudi = render("{{ moment|day:court }}", moment=MOMENT, court=RIYADH)
    kuwaiti = render("{{ moment|day:court }}", moment=MOMENT, court=KUWAIT)

    moment = 'datetime="2026-12-11T14:30:00+00:00"'
    assert saudi == f'<time {moment} data-hijri="2026-12-11">11 December 2026</time>'
    assert kuwaiti == f"<time {moment}>11 December 2026</time>"


def test_the_filters_write_in_the_active_language():
    with translation.override("ar"):
        written = render(
            "{{ moment|when:court }} · {{ 250|percent_bp }} · {% money 123456 'SAR' %} · "
            "{{ ref|reference }}",
            moment=MOMENT,
            court=KUWAIT,
            ref="D00000002",
        )

    assert "11 ديسمبر 2026، الساعة 17:30 (توقيت الكويت)" in written
    assert "2.5\xa0%" in written
    assert "1,234.56" in written
    assert "التحويل رقم 2" in written


def test_without_a_court_the_active_zone_is_named(settings):
    from django.utils import timezone

    with timezone.override(ZoneInfo("Asia/Kuwait")):
        written = formatting.format_moment(MOMENT, lang="en")

    assert written.endswith("(Kuwait Time)")
