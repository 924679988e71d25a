"""The quarterly report of a court's support desk, as figures, CSV and a PDF in either language.

Definitions (also printed under the report):
- opened in a month: opened in that calendar month of the court's zone;
- closed in a month: resolved in that month and still resolved (or rated);
- open at the end: opened before the quarter ends and not resolved before it;
- response and resolution times are in working minutes of the court's
  calendar; the median first response is over tickets first answered in the
  quarter, the median resolution over tickets resolved in it (time spent
  waiting for the requester's information is not counted);
- within target: the working time is at most the target the ticket opened with;
- satisfaction: ratings given in the quarter; "satisfied" is 4 or 5 of 5.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core import documents
from support.models import Kind, Rating, Status, Team, Ticket, Topic

CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED)


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3, 4):
            raise ValueError("a quarter is numbered 1 to 4")

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def months(self) -> list[tuple[int, int]]:
        first = 3 * (self.number - 1) + 1
        return [(self.year, month) for month in range(first, first + 3)]

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The first instant of the quarter and of the next one, in the court's zone."""
        tz = ZoneInfo(zone)
        start = datetime(self.year, self.months[0][1], 1, tzinfo=tz)
        following = (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )
        end = datetime(following.year, following.months[0][1], 1, tzinfo=tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    @property
    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    @property
    def label(self) -> str:
        return _("Q%(number)s %(year)s") % {"number": self.number, "year": self.year}


def percent(count: int, total: int) -> Decimal | None:
    """count / total as a percentage with one decimal (half up), or None when total is 0."""
    if total == 0:
        return None
    return (Decimal(count) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def mean(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal("0.01"), ROUND_HALF_UP)


def median(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return Decimal(str(statistics.median(values)))


@dataclass(frozen=True)
class Within:
    """How many of `total` were within their target."""

    within: int
    total: int

    @property
    def share(self) -> Decimal | None:
        return percent(self.within, self.total)


@dataclass(frozen=True)
class Satisfaction:
    count: int
    average: Decimal | None
    distribution: dict[int, int]
    satisfied: Decimal | None


@dataclass(frozen=True)
class Breakdown:
    """One row of a table by kind, topic or team."""

    key: str
    label: str
    opened: int = 0
    closed: int = 0
    ratings: int = 0
    average: Decimal | None = None


@dataclass(frozen=True)
class MonthRow:
    year: int
    month: int
    label: str
    opened: int
    closed: int


@dataclass(frozen=True)
class QuarterlyReport:
    court: Any
    quarter: Quarter
    generated_at: datetime
    months: list[MonthRow]
    opened: int
    closed: int
    open_at_start: int
    open_at_end: int
    by_kind: list[Breakdown]
    by_topic: list[Breakdown]
    by_team: list[Breakdown]
    median_first_response_minutes: Decimal | None
    median_resolution_minutes: Decimal | None
    first_response: Within
    resolution: Within
    satisfaction: Satisfaction


def _month_label(year: int, month: int) -> str:
    return str(formats.date_format(date(year, month, 1), "YEAR_MONTH_FORMAT"))


def _in(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def _breakdown(
    choices: Any, opened: list[Any], closed: list[Any], ratings: list[Any], attribute: str
) -> list[Breakdown]:
    opened_by = Counter(getattr(t, attribute) for t in opened)
    closed_by = Counter(getattr(t, attribute) for t in closed)
    rows = []
    for key, label in choices:
        scores = [r.score for r in ratings if getattr(r.ticket, attribute) == key]
        rows.append(
            Breakdown(
                key=key,
                label=str(label),
                opened=opened_by[key],
                closed=closed_by[key],
                ratings=len(scores),
                average=mean(scores),
            )
        )
    return rows


def quarterly_report(court: Any, quarter: Quarter) -> QuarterlyReport:
    """The figures of one court's quarter (see the module's definitions)."""
    start, end = quarter.bounds(court.time_zone)
    zone = ZoneInfo(court.time_zone)
    tickets = list(
        Ticket.objects.filter(court=court, opened_at__lt=end).exclude(resolved_at__lt=start)
    )
    opened = [t for t in tickets if _in(t.opened_at, start, end)]
    closed = [t for t in tickets if t.status in CLOSED_STATUSES and _in(t.resolved_at, start, end)]
    responded = [t for t in tickets if _in(t.first_response_at, start, end)]
    ratings = list(
        Rating.objects.filter(ticket__court=court, rated_at__gte=start, rated_at__lt=end)
        .select_related("ticket")
        .order_by("pk")
    )

    def month_of(moment: datetime) -> tuple[int, int]:
        local = moment.astimezone(zone)
        return local.year, local.month

    opened_months = Counter(month_of(t.opened_at) for t in opened)
    closed_months = Counter(month_of(t.resolved_at) for t in closed if t.resolved_at)
    scores = [r.score for r in ratings]
    return QuarterlyReport(
        court=court,
        quarter=quarter,
        generated_at=timezone.now(),
        months=[
            MonthRow(y, m, _month_label(y, m), opened_months[(y, m)], closed_months[(y, m)])
            for y, m in quarter.months
        ],
        opened=len(opened),
        closed=len(closed),
        open_at_start=sum(1 for t in tickets if t.opened_at < start),
        open_at_end=sum(
            1 for t in tickets if not (t.resolved_at is not None and t.resolved_at < end)
        ),
        by_kind=_breakdown(Kind.choices, opened, closed, ratings, "kind"),
        by_topic=_breakdown(Topic.choices, opened, closed, ratings, "topic"),
        by_team=_breakdown(Team.choices, opened, closed, ratings, "team"),
        median_first_response_minutes=median(
            [t.first_response_minutes for t in responded if t.first_response_minutes is not None]
        ),
        median_resolution_minutes=median(
            [t.resolution_minutes for t in closed if t.resolution_minutes is not None]
        ),
        first_response=Within(
            sum(
                1
                for t in responded
                if (t.first_response_minutes or 0) <= t.first_response_target_minutes
            ),
            len(responded),
        ),
        resolution=Within(
            sum(1 for t in closed if (t.resolution_minutes or 0) <= t.resolution_target_minutes),
            len(closed),
        ),
        satisfaction=Satisfaction(
            count=len(scores),
            average=mean(scores),
            distribution={score: scores.count(score) for score in range(1, 6)},
            satisfied=percent(sum(1 for s in scores if s >= 4), len(scores)),
        ),
    )


def working_hours_text(minutes: Decimal | int | None) -> str:
    """Working minutes as "3 h 20 min" in the active language; "—" when there is none."""
    if minutes is None:
        return "—"
    whole = int(Decimal(minutes).to_integral_value(ROUND_HALF_UP))
    hours, rest = divmod(whole, 60)
    if hours == 0:
        return _("%(minutes)s min") % {"minutes": rest}
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}


def share_text(value: Decimal | None) -> str:
    """A percentage with one decimal and the percent sign of the active language."""
    if value is None:
        return "—"
    sign = "٪" if translation.get_language_bidi() else "%"
    return f"{formats.number_format(value, 1)}{sign}"


def chart_data(report: QuarterlyReport) -> dict[str, Any]:
    """What the report page's charts draw (labels in the active language, counts only)."""
    return {
        "months": {
            "labels": [row.label for row in report.months],
            "opened": [row.opened for row in report.months],
            "closed": [row.closed for row in report.months],
            "opened_label": pgettext("ticket count", "Opened"),
            "closed_label": pgettext("ticket count", "Closed"),
        },
        "kinds": {
            "labels": [row.label for row in report.by_kind],
            "values": [row.opened for row in report.by_kind],
        },
        "topics": {
            "labels": [row.label for row in report.by_topic],
            "values": [row.opened for row in report.by_topic],
            "label": pgettext("ticket count", "Opened"),
        },
        "satisfaction": {
            "labels": [str(score) for score in range(1, 6)],
            "values": [report.satisfaction.distribution[score] for score in range(1, 6)],
            "label": _("Ratings"),
        },
    }


def csv_rows(report: QuarterlyReport) -> list[list[str]]:
    """The report as (section, item, value) rows in the active language."""
    rows = [[_("Section"), _("Item"), _("Value")]]
    summary = _("Summary")
    rows += [
        [summary, _("Court"), str(report.court.name)],
        [summary, _("Quarter"), report.quarter.label],
        [summary, pgettext("ticket count", "Opened"), str(report.opened)],
        [summary, pgettext("ticket count", "Closed"), str(report.closed)],
        [summary, _("Open at the start"), str(report.open_at_start)],
        [summary, _("Open at the end"), str(report.open_at_end)],
        [
            summary,
            _("Median first response (working minutes)"),
            _plain(report.median_first_response_minutes),
        ],
        [
            summary,
            _("Median resolution (working minutes)"),
            _plain(report.median_resolution_minutes),
        ],
        [summary, _("First responses within target (%)"), _plain(report.first_response.share)],
        [summary, _("Resolutions within target (%)"), _plain(report.resolution.share)],
        [summary, _("Ratings"), str(report.satisfaction.count)],
        [summary, _("Average rating (1–5)"), _plain(report.satisfaction.average)],
        [summary, _("Satisfied (4 or 5, %)"), _plain(report.satisfaction.satisfied)],
    ]
    for row in report.months:
        rows.append([_("Opened by month"), row.label, str(row.opened)])
        rows.append([_("Closed by month"), row.label, str(row.closed)])
    for section, breakdown in (
        (_("Opened by kind"), report.by_kind),
        (_("Opened by topic"), report.by_topic),
        (_("Opened by team"), report.by_team),
    ):
        rows += [[section, row.label, str(row.opened)] for row in breakdown]
    for section, breakdown in (
        (_("Average rating by service"), report.by_topic),
        (_("Average rating by team"), report.by_team),
    ):
        rows += [[section, row.label, _plain(row.average)] for row in breakdown]
    for score in range(1, 6):
        rows.append(
            [_("Ratings by score"), str(score), str(report.satisfaction.distribution[score])]
        )
    return rows


def _plain(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def render_csv(report: QuarterlyReport) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(csv_rows(report))
    return ("\ufeff" + buffer.getvalue()).encode()  # the BOM lets spreadsheets read Arabic


def render_pdf(report: QuarterlyReport, language: str) -> bytes:
    """The report as a tagged A4 PDF in `language` (right to left in Arabic), with bar charts."""
    with translation.override(language):
        html = render_to_string(
            "support/report_pdf.html",
            {
                "report": report,
                "language": language,
                "is_rtl": language == "ar",
                "bars": pdf_bars(report),
                "font_dir": (settings.NODE_MODULES / "@fontsource").as_uri(),
                "court_name": report.court.name,
            },
        )
    return documents.write_pdf(html)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width_percent: Decimal


def _bars(pairs: list[tuple[str, int]]) -> list[Bar]:
    top = max((value for _label, value in pairs), default=0)
    return [Bar(label, value, percent(value, top) or Decimal(0)) for label, value in pairs]


def pdf_bars(report: QuarterlyReport) -> dict[str, list[Any]]:
    """Horizontal bars for the PDF (drawn with plain boxes, so no script is needed)."""
    both = _bars(
        [(row.label, row.opened) for row in report.months]
        + [(row.label, row.closed) for row in report.months]
    )
    count = len(report.months)
    return {
        "months": list(zip(both[:count], both[count:], strict=True)),
        "topics": _bars([(row.label, row.opened) for row in report.by_topic]),
        "scores": _bars(
            [(str(score), report.satisfaction.distribution[score]) for score in range(1, 6)]
        ),
    }
