"""Workspace pages of instalment settlements: staff record one, the judge decides it, the
decision as PDF; and the follow-up of overdue letters per agency."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import capability_required
from accounts.roles import Capability
from core.forms import posted_text
from core.pages import act, attempt, form_status
from enforcement import selectors, services
from enforcement import settlement_selectors as settlements
from enforcement.forms import SettlementTermsForm
from enforcement.instalments import PlanTerms
from enforcement.models import Settlement
from enforcement.settlement_documents import render_decision_pdf
from enforcement.views.files import file_or_404, plain_amount


def terms_of(form: SettlementTermsForm) -> PlanTerms:
    data = form.cleaned_data
    return PlanTerms(
        total_minor=data["total"],
        first_minor=data["first_amount"],
        first_due_on=data["first_due_on"],
        count=data["count"],
    )


def _settlement_or_404(request: HttpRequest, settlement_id: int) -> Settlement:
    settlement = settlements.settlements_for(request.user).filter(pk=settlement_id).first()
    if settlement is None:
        raise Http404
    return settlement


@capability_required(Capability.MANAGE_FILES)
@require_http_methods(["GET", "POST"])
def settlement_create(request: HttpRequest, file_id: int) -> HttpResponse:
    file = file_or_404(request, file_id)
    owed = selectors.balance_owed(file)
    form = SettlementTermsForm(
        request.POST or None,
        currency=file.currency,
        initial={"total": plain_amount(owed.amount_minor, file.currency), "count": 6},
    )
    if request.method == "POST" and form.is_valid():
        settlement = attempt(
            form,
            lambda: services.record_settlement(
                actor=request.user,  # type: ignore[arg-type]
                file_id=file.pk,
                terms=terms_of(form),
                note=form.cleaned_data["note"],
            ),
        )
        if settlement is not None:
            messages.success(request, _("The settlement was recorded; the judge decides it next."))
            return redirect("enforcement:settlement_detail", settlement.pk)
    context = {"form": form, "file": file, "owed": owed}
    return render(
        request, "enforcement/settlement_form.html", context, status=form_status(request, form)
    )


@capability_required(Capability.VIEW_FILES)
def settlement_detail(request: HttpRequest, settlement_id: int) -> HttpResponse:
    settlement = _settlement_or_404(request, settlement_id)
    context = {
        "view": settlements.describe(settlement),
        "file": settlement.file,
        "may_decide": request.user.has_perm(Capability.ISSUE_ORDERS)
        and settlement.status == Settlement.Status.PROPOSED,
    }
    return render(request, "enforcement/settlement_detail.html", context)


@capability_required(Capability.ISSUE_ORDERS)
@require_POST
def settlement_decide(request: HttpRequest, settlement_id: int) -> HttpResponse:
    decision = request.POST.get("decision", "")
    back = reverse("enforcement:settlement_detail", args=[settlement_id])
    if decision not in ("approve", "refuse"):
        messages.error(request, _("Choose to approve or to refuse."))
        return redirect(back)
    return act(
        request,
        lambda: services.decide_settlement(
            actor=request.user,  # type: ignore[arg-type]
            settlement_id=settlement_id,
            approve=decision == "approve",
            reason=posted_text(request, "reason"),
        ),
        _("The settlement was approved: enforcement is suspended.")
        if decision == "approve"
        else _("The settlement was refused."),
        back,
    )


@capability_required(Capability.VIEW_FILES)
def settlement_pdf(request: HttpRequest, settlement_id: int) -> HttpResponse:
    settlement = _settlement_or_404(request, settlement_id)
    if settlement.decided_at is None:
        raise Http404
    return decision_response(settlement)


def decision_response(settlement: Settlement) -> HttpResponse:
    pdf = settlement.decision_pdf.read() if settlement.decision_pdf else None
    response = HttpResponse(pdf or render_decision_pdf(settlement), content_type="application/pdf")
    name = f"settlement-{settlement.file.number}-{settlement.pk}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@capability_required(Capability.VIEW_FILES)
def letters_overdue(request: HttpRequest) -> HttpResponse:
    context = {"rows": settlements.overdue_by_agency(request.user)}
    return render(request, "enforcement/letters_overdue.html", context)
