"""Staff's queue, supervisors' quarterly report (page, PDF, CSV) and service-level settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import capability_required
from accounts.roles import Capability
from core.pages import act, attempt
from support import access, reports, selectors, services
from support.forms import CalendarForm, HolidayForm, QuarterForm, QueueFilterForm, TargetsForm
from support.models import Holiday


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The tickets of the user's court and teams, most urgent first; near/past targets flagged."""
    if not access.is_desk_staff(request.user):
        raise PermissionDenied
    form = QueueFilterForm(request.GET or None)
    chosen = form.chosen() if form.is_bound else selectors.QueueFilter()
    page, rows = selectors.queue_page(
        request.user,
        request.user.court,  # type: ignore[union-attr]
        chosen,
        request.GET,
    )
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "chosen": chosen,
        "teams": access.teams_of(request.user),
        "counts": selectors.counts_needing_attention(request.user),
    }
    return render(request, "support/queue.html", context)


def _report_for(request: HttpRequest) -> tuple[QuarterForm, reports.QuarterlyReport | None]:
    if not access.may_view_reports(request.user):
        raise PermissionDenied
    court = request.user.court  # type: ignore[union-attr]
    today = timezone.localdate(timezone=selectors.service_settings(court).calendar.tz)
    current = reports.Quarter.containing(today)
    form = QuarterForm(
        request.GET if "year" in request.GET else {"year": current.year, "quarter": current.number}
    )
    if not form.is_valid():
        return form, None
    quarter = reports.Quarter(form.cleaned_data["year"], form.cleaned_data["quarter"])
    return form, reports.quarterly_report(court, quarter)


@require_GET
@capability_required(Capability.VIEW_SUPPORT_REPORTS)
def report(request: HttpRequest) -> HttpResponse:
    form, found = _report_for(request)
    context = {
        "form": form,
        "report": found,
        "charts": reports.chart_data(found) if found else None,
        "query": request.GET.urlencode() if form.is_valid() else "",
    }
    return render(request, "support/report.html", context, status=200 if found else 400)


@require_GET
@capability_required(Capability.VIEW_SUPPORT_REPORTS)
def report_pdf(request: HttpRequest) -> HttpResponse:
    form, found = _report_for(request)
    language = request.GET.get("language", "")
    if found is None or language not in ("ar", "en"):
        return render(request, "support/report.html", {"form": form, "report": None}, status=400)
    response = HttpResponse(reports.render_pdf(found, language), content_type="application/pdf")
    name = f"support-{found.court.code}-{found.quarter.year}-Q{found.quarter.number}-{language}"
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@require_GET
@capability_required(Capability.VIEW_SUPPORT_REPORTS)
def report_csv(request: HttpRequest) -> HttpResponse:
    form, found = _report_for(request)
    if found is None:
        return render(request, "support/report.html", {"form": form, "report": None}, status=400)
    response = HttpResponse(reports.render_csv(found), content_type="text/csv; charset=utf-8")
    name = f"support-{found.court.code}-{found.quarter.year}-Q{found.quarter.number}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _settings_initial(court: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    settings = selectors.service_settings(court)
    calendar = {
        "weekend_days": sorted(settings.calendar.weekend),
        "opens_at": settings.calendar.opens,
        "closes_at": settings.calendar.closes,
        "reopen_days": settings.reopen_days,
    }
    targets = {}
    for kind, target in settings.targets.items():
        targets[f"{kind.lower()}_first_response_hours"] = target.first_response_hours
        targets[f"{kind.lower()}_resolution_hours"] = target.resolution_hours
    return calendar, targets


def _settings_page(
    request: HttpRequest, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    court = request.user.court  # type: ignore[union-attr]
    calendar, targets = _settings_initial(court)
    bound = bound or {}
    context = {
        "court": court,
        "calendar_form": bound.get("calendar") or CalendarForm(initial=calendar, prefix="calendar"),
        "targets_form": bound.get("targets") or TargetsForm(initial=targets, prefix="targets"),
        "holiday_form": bound.get("holiday") or HolidayForm(prefix="holiday"),
        "holidays": Holiday.objects.filter(court=court),
    }
    return render(request, "support/service_levels.html", context, status=status)


@capability_required(Capability.MANAGE_SERVICE_LEVELS)
@require_http_methods(["GET", "POST"])
def service_levels(request: HttpRequest) -> HttpResponse:
    """The court's working week, hours, holidays and targets; one form posted at a time."""
    if not access.may_manage_service_levels(request.user):
        raise PermissionDenied
    if request.method == "GET":
        return _settings_page(request)
    which = request.POST.get("form", "")
    handlers: dict[str, tuple[type[forms.Form], Callable[[Any], object]]] = {
        "calendar": (
            CalendarForm,
            lambda f: services.update_calendar(actor=request.user, **f.cleaned_data),
        ),
        "targets": (
            TargetsForm,
            lambda f: services.set_targets(actor=request.user, hours=f.hours()),
        ),
        "holiday": (
            HolidayForm,
            lambda f: services.add_holiday(actor=request.user, **f.cleaned_data),
        ),
    }
    if which not in handlers:
        return _settings_page(request, status=400)
    form_class, call = handlers[which]
    form = form_class(request.POST, prefix=which)
    if form.is_valid() and attempt(form, lambda: [call(form)]) is not None:
        messages.success(request, _("The service levels were saved."))
        return redirect("support:service_levels")
    return _settings_page(request, {which: form}, status=400)


@capability_required(Capability.MANAGE_SERVICE_LEVELS)
@require_POST
def holiday_remove(request: HttpRequest, holiday_id: int) -> HttpResponse:
    return act(
        request,
        lambda: services.remove_holiday(actor=request.user, holiday_id=holiday_id),
        _("The holiday was removed."),
        "support:service_levels",
    )
