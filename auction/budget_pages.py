"""The bidder's budgets: list them, set one across chosen lots, change or remove it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from auction import selectors
from auction.forms import BudgetForm
from auction.models import Budget
from auction.services import budgets
from core.errors import DomainError
from core.forms import add_domain_error
from core.money import Money


def _bidder(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
def budget_list(request: HttpRequest) -> HttpResponse:
    user = _bidder(request)
    return render(
        request,
        "auction/public/budgets.html",
        {
            "budgets": selectors.budgets_of(user.pk),
            "eligible": bool(budgets.eligible_registrations(user)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def budget_edit(request: HttpRequest, budget_id: int | None = None) -> HttpResponse:
    user = _bidder(request)
    budget = None
    if budget_id is not None:
        budget = Budget.objects.filter(pk=budget_id, bidder=user).first()
        if budget is None:
            raise Http404
    eligible = budgets.eligible_registrations(user, budget_id)
    initial = {}
    if budget is not None:
        initial = {
            "name": budget.name,
            "cap": Money(budget.cap_minor, budget.currency).to_decimal(),
            "lots": [r.lot_id for r in eligible if r.budget_id == budget.pk],
        }
    form = BudgetForm(
        request.POST or None,
        initial=initial,
        choices=[
            (r.lot_id, f"{r.lot.asset.title} · {r.lot.reference} · #{r.paddle}") for r in eligible
        ],
        currencies={r.lot_id: r.lot.currency for r in eligible},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = budgets.save_budget(
                user=user,
                budget_id=budget_id,
                cap_minor=data["cap_minor"],
                lot_ids=data["lots"],
                name=data.get("name") or "",
            )
        except DomainError as error:
            if error.status == 404:
                raise Http404 from error
            add_domain_error(form, error)
        else:
            messages.success(request, _("The budget was saved."))
            return redirect("auction:budget_edit", budget_id=saved.pk)
    standing = selectors.standing_of(budget) if budget is not None else None
    return render(
        request,
        "auction/public/budget_form.html",
        {"form": form, "budget": budget, "standing": standing, "eligible": eligible},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def budget_remove(request: HttpRequest, budget_id: int) -> HttpResponse:
    try:
        budgets.remove_budget(user=_bidder(request), budget_id=budget_id)
    except DomainError as error:
        raise Http404 from error
    messages.success(request, _("The budget was removed."))
    return redirect("auction:budgets")
