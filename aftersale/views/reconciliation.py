"""The reconciliation screen: import statements, see what matched, resolve exceptions, reports."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import capability_required
from accounts.roles import Capability
from aftersale import reports, samples, selectors, statements
from aftersale import services as aftersale
from aftersale.forms import CamtForm, CsvForm, NoteForm, ProviderForm, ReportForm
from aftersale.models import Match
from aftersale.views.finance import court_of, refuse
from core import exports, formatting
from core.errors import DomainError
from core.forms import add_domain_error
from core.pagination import paginate
from payments import services as payment_services
from payments.client import StripeClient, StripeError

LIST_PAGE = 50


@capability_required(Capability.RECONCILE)
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    court = court_of(request)
    kind = request.POST.get("kind", "")
    forms = {
        "camt": CamtForm(
            request.POST if kind == "camt" else None, request.FILES if kind == "camt" else None
        ),
        "csv": CsvForm(
            request.POST if kind == "csv" else None, request.FILES if kind == "csv" else None
        ),
        "provider": ProviderForm(request.POST if kind == "provider" else None),
    }
    if request.method == "POST" and kind in forms and forms[kind].is_valid():
        try:
            target, already = _import(request, kind, forms[kind].cleaned_data)
        except DomainError as error:
            refuse(error)
            add_domain_error(forms[kind], error)
        else:
            if already:
                messages.info(request, already)
            else:
                messages.success(
                    request, _("The statement was imported and matched to the ledger.")
                )
            return redirect("aftersale:statement", statement_id=target)
    imported_page = paginate(
        [selectors.statements_of(court)], selectors.STATEMENT_ORDER, request.GET, size=LIST_PAGE
    )
    context = {
        "court": court,
        "statements": imported_page.rows,
        "page": imported_page,
        "forms": forms,
        "report_form": ReportForm(initial={"on": timezone.localdate()}),
        "is_test_mode": payment_services.is_test_mode(),
    }
    status = 400 if any(form.errors for form in forms.values()) else 200
    return render(request, "aftersale/reconciliation.html", context, status=status)


def _import(request: HttpRequest, kind: str, data: dict[str, Any]) -> tuple[int, str]:
    """The statement to show, and what to say if the file held nothing new."""
    if kind == "camt":
        upload = data["file"]
        imported = aftersale.import_statement(
            actor=request.user, data=upload.read(), filename=upload.name or ""
        )
        if imported.is_new:
            return imported.statements[0].pk, ""
        return imported.statements[0].pk, _(
            "This statement was already imported on %(date)s; nothing changed."
        ) % {"date": formats.date_format(timezone.localtime(imported.already[0].imported_at))}
    if kind == "csv":
        upload = data["file"]
        mapping = statements.ColumnMapping(
            date=data["date"],
            reference=data["reference"],
            amount=data["amount"],
            credit=data["credit"],
            debit=data["debit"],
            description=data["description"],
            date_format=data["date_format"],
        )
        return aftersale.import_csv(
            actor=request.user, data=upload.read(), mapping=mapping, filename=upload.name or ""
        ).pk, ""
    start = datetime.combine(data["on"], time.min, UTC)
    params = {
        "created[gte]": int(start.timestamp()),
        "created[lt]": int((start + timedelta(days=1)).timestamp()),
        "expand": ["data.source"],
    }
    try:
        with StripeClient.from_settings() as client:
            transactions = list(client.list_balance_transactions(params))
    except StripeError as error:
        raise DomainError(
            _("The payment provider did not answer: %(error)s"),
            code="provider_unavailable",
            field="on",
            params={"error": error.message or error.error_type},
        ) from None
    return aftersale.import_provider_transactions(
        actor=request.user,
        transactions=transactions,
        identifier=f"provider-{data['on'].isoformat()}",
        on=data["on"],
    ).pk, ""


@capability_required(Capability.RECONCILE)
@require_GET
def statement(request: HttpRequest, statement_id: int) -> HttpResponse:
    return _statement_page(request, statement_id)


def _statement_page(
    request: HttpRequest,
    statement_id: int,
    *,
    bound: dict[int, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    court = court_of(request)
    found = selectors.statement_of(court, statement_id)
    if found is None:
        raise Http404
    bound = bound or {}
    matches = [
        (match, bound.get(match.pk) or NoteForm(auto_id=f"id_%s_{match.pk}"))
        for match in selectors.matches_of(found)
    ]
    counts = [
        (kind, label, sum(1 for match, _form in matches if match.kind == kind))
        for kind, label in Match.Kind.choices
    ]
    return render(
        request,
        "aftersale/statement.html",
        {"statement": found, "matches": matches, "counts": counts},
        status=status,
    )


@capability_required(Capability.RECONCILE)
@require_POST
def resolve(request: HttpRequest, match_id: int) -> HttpResponse:
    match = Match.objects.filter(pk=match_id, statement__court=court_of(request)).first()
    if match is None:
        raise Http404
    form = NoteForm(request.POST, auto_id=f"id_%s_{match.pk}")
    if form.is_valid():
        try:
            aftersale.resolve_match(
                actor=request.user, match_id=match.pk, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            refuse(error)
            add_domain_error(form, error)
        else:
            messages.success(
                request, _("The exception is resolved; your note is in the audit trail.")
            )
            return redirect("aftersale:statement", statement_id=match.statement_id)
    return _statement_page(request, match.statement_id, bound={match.pk: form}, status=400)


@capability_required(Capability.RECONCILE)
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """A day's report; opened without a day (a bookmark, the menu), today's in the court's zone."""
    court = court_of(request)
    if "on" in request.GET:
        form = ReportForm(request.GET)
    else:
        form = ReportForm({"on": formatting.local_day(timezone.now(), court).isoformat()})
    if not form.is_valid():
        return render(request, "aftersale/report.html", {"form": form, "report": None}, status=400)
    daily = reports.daily(court, form.cleaned_data["on"])
    name = f"{court.code}-reconciliation-{daily.on.isoformat()}"
    if form.cleaned_data.get("format") == "csv":
        response = HttpResponse(reports.as_csv(daily), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if form.cleaned_data.get("format") == "xlsx":
        response = HttpResponse(reports.as_xlsx(daily), content_type=exports.XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if form.cleaned_data.get("format") == "pdf":
        response = HttpResponse(reports.as_pdf(daily), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response
    return render(request, "aftersale/report.html", {"form": form, "report": daily})


@capability_required(Capability.RECONCILE)
@require_GET
def sample(request: HttpRequest) -> HttpResponse:
    """Test mode: today's bank statement as the demo bank would send it (camt.053)."""
    if not payment_services.is_test_mode():
        raise Http404
    court = court_of(request)
    day = timezone.localdate()
    response = HttpResponse(samples.sample_camt053(court, day), content_type="application/xml")
    response["Content-Disposition"] = (
        f'attachment; filename="{court.code}-statement-{day.isoformat()}.xml"'
    )
    return response
