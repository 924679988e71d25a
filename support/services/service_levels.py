"""Supervisors set their court's service levels: working week and hours, holidays, targets."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError, NotFound, PermissionDenied
from support import access, engine, locks
from support.models import Holiday, Kind, ServiceCalendar, ServiceTarget

MAX_TARGET_HOURS = 2000
MAX_HOLIDAY_DAYS = 31


def _court_id(actor: Any) -> int:
    if not access.may_manage_service_levels(actor):
        raise PermissionDenied(_("Your role does not allow this."))
    return int(actor.court_id)


@transaction.atomic
def update_calendar(
    *, actor: Any, weekend_days: list[int], opens_at: time, closes_at: time, reopen_days: int
) -> ServiceCalendar:
    """Set the court's weekend, daily hours and reopen window. Refuses a week with no work."""
    court_id = _court_id(actor)
    days = sorted(set(weekend_days))
    if any(day not in range(7) for day in days) or len(days) > 6:
        raise DomainError(
            _("Leave at least one working day in the week."),
            code="no_working_day",
            field="weekend_days",
        )
    if not opens_at < closes_at:
        raise DomainError(
            _("The closing time must be after the opening time."),
            code="closes_before_opening",
            field="closes_at",
        )
    if not 1 <= reopen_days <= 90:
        raise DomainError(
            _("Choose between %(low)s and %(high)s days."),
            code="reopen_days_range",
            field="reopen_days",
            params={"low": 1, "high": 90},
        )
    calendar = locks.lock_calendar(court_id, defaults={"weekend_days": sorted(engine.GULF_WEEKEND)})
    fields = ("weekend_days", "opens_at", "closes_at", "reopen_days")
    before = audit.snapshot(calendar, fields)
    calendar.weekend_days, calendar.opens_at, calendar.closes_at = days, opens_at, closes_at
    calendar.reopen_days = reopen_days
    calendar.save()
    audit.record(
        actor=actor,
        action="service_calendar.updated",
        obj=calendar,
        before=before,
        after=audit.snapshot(calendar, fields),
        court_id=court_id,
    )
    return calendar


@transaction.atomic
def set_targets(*, actor: Any, hours: dict[str, tuple[int, int]]) -> None:
    """Set (first response, resolution) working hours per kind of ticket."""
    court_id = _court_id(actor)
    for kind in Kind.values:
        first_response, resolution = hours[kind]
        prefix = kind.lower()
        if not 1 <= first_response <= MAX_TARGET_HOURS:
            raise DomainError(
                _("Choose between %(low)s and %(high)s working hours."),
                code="target_range",
                field=f"{prefix}_first_response_hours",
                params={"low": 1, "high": MAX_TARGET_HOURS},
            )
        if not first_response <= resolution <= MAX_TARGET_HOURS:
            raise DomainError(
                _("The resolution target cannot be shorter than the first response target."),
                code="resolution_before_response",
                field=f"{prefix}_resolution_hours",
            )
    for kind in Kind.values:
        first_response, resolution = hours[kind]
        target = ServiceTarget.objects.filter(court_id=court_id, kind=kind).first()
        before = audit.snapshot(target) if target else None
        target, _created = ServiceTarget.objects.update_or_create(
            court_id=court_id,
            kind=kind,
            defaults={"first_response_hours": first_response, "resolution_hours": resolution},
        )
        audit.record(
            actor=actor,
            action="service_target.updated",
            obj=target,
            before=before,
            after=audit.snapshot(target),
            court_id=court_id,
        )


@transaction.atomic
def add_holiday(
    *, actor: Any, name_ar: str, name_en: str, starts_on: date, ends_on: date
) -> Holiday:
    """Add days off (inclusive); refuses an end before the start or more than a month."""
    court_id = _court_id(actor)
    for field, value in (("name_ar", name_ar), ("name_en", name_en)):
        if not value.strip():
            raise DomainError(_("This field is required."), code="required", field=field)
    if ends_on < starts_on:
        raise DomainError(
            _("The last day cannot be before the first day."),
            code="holiday_ends_before_start",
            field="ends_on",
        )
    if (ends_on - starts_on).days >= MAX_HOLIDAY_DAYS:
        raise DomainError(
            _("A holiday lasts at most %(days)s days."),
            code="holiday_too_long",
            field="ends_on",
            params={"days": MAX_HOLIDAY_DAYS},
        )
    holiday = Holiday.objects.create(
        court_id=court_id,
        name_ar=name_ar.strip(),
        name_en=name_en.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    audit.record(
        actor=actor,
        action="holiday.added",
        obj=holiday,
        after=audit.snapshot(holiday),
        court_id=court_id,
    )
    return holiday


@transaction.atomic
def remove_holiday(*, actor: Any, holiday_id: int) -> None:
    court_id = _court_id(actor)
    holiday = locks.lock_holiday(holiday_id, court_id=court_id)
    if holiday is None:
        raise NotFound()
    audit.record(
        actor=actor,
        action="holiday.removed",
        obj=holiday,
        before=audit.snapshot(holiday),
        court_id=court_id,
    )
    holiday.delete()
