"""The debtor's pages of an instalment settlement: propose one, follow it, pay what is due."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersale.forms import MethodForm
from aftersale.services import instalments
from core.errors import DomainError
from core.pages import attempt, form_status
from enforcement import selectors as enforcement_selectors
from enforcement import services as enforcement
from enforcement import settlement_selectors
from enforcement.forms import SettlementTermsForm
from enforcement.models import EnforcementFile, Settlement
from enforcement.views.settlements import decision_response, terms_of
from payments import engine as payment_engine


def _file(request: HttpRequest, file_id: int) -> EnforcementFile:
    try:
        return instalments.file_of_debtor(request.user, file_id)
    except DomainError as error:
        raise Http404 from error


@login_required
@require_http_methods(["GET", "POST"])
def my_settlement(request: HttpRequest, file_id: int) -> HttpResponse:
    """The settlement of one of the user's files: the proposal form, or its schedule and what
    is due next with a way to pay it."""
    file = _file(request, file_id)
    settlement = settlement_selectors.latest_for_file(file)
    is_live = settlement is not None and settlement.status in ("PROPOSED", "APPROVED")
    owed = enforcement_selectors.balance_owed(file)
    may_propose = not is_live and file.status in ("OPEN", "ENFORCING") and owed.amount_minor > 0
    form = SettlementTermsForm(
        request.POST if request.method == "POST" else None,
        currency=file.currency,
        initial={"total": str(owed.to_decimal()), "count": 6},
    )
    if request.method == "POST" and may_propose and form.is_valid():
        made = attempt(
            form,
            lambda: enforcement.propose_settlement(
                debtor=request.user,  # type: ignore[arg-type]
                file_id=file.pk,
                terms=terms_of(form),
                note=form.cleaned_data["note"],
            ),
        )
        if made is not None:
            messages.success(request, _("Your proposal was sent to the judge."))
            return redirect("aftersale:my_settlement", file.pk)
    context = _context(file, settlement, owed, form if may_propose else None)
    return render(
        request, "aftersale/my_settlement.html", context, status=form_status(request, form)
    )


def _context(
    file: EnforcementFile, settlement: Settlement | None, owed: Any, form: Any
) -> dict[str, Any]:
    view = settlement_selectors.describe(settlement) if settlement else None
    pay_form = None
    if view and settlement and settlement.status == "APPROVED" and view.next_due:
        pay_form = MethodForm(methods=payment_engine.methods_for(view.next_due.amount))
    return {"file": file, "owed": owed, "view": view, "form": form, "pay_form": pay_form}


@login_required
@require_POST
def pay_instalment(request: HttpRequest, file_id: int) -> HttpResponse:
    try:
        payment = instalments.start_instalment_payment(
            debtor=request.user, file_id=file_id, method=request.POST.get("method", "")
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.render())
        return redirect("aftersale:my_settlement", file_id)
    return redirect("payments:pay", public_id=payment.public_id)


@login_required
def my_settlement_pdf(request: HttpRequest, file_id: int) -> HttpResponse:
    file = _file(request, file_id)
    settlement = settlement_selectors.latest_for_file(file)
    if settlement is None or settlement.decided_at is None:
        raise Http404
    return decision_response(settlement)
