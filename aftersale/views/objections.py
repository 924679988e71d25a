"""Objections to a result (parties and other bidders) and the judge's review of a sale."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import has_capability
from accounts.roles import Capability
from aftersale.forms import AnnulForm, DecisionForm, ObjectionForm
from aftersale.models import Objection, Sale
from aftersale.services import objections
from core.errors import DomainError
from core.forms import add_domain_error


@login_required
@require_http_methods(["GET", "POST"])
def objection_file(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A party to the file or another bidder objects to a lot's result within the window."""
    sale = (
        Sale.objects.select_related("lot__auction", "lot__asset", "court")
        .filter(public_id=public_id)
        .first()
    )
    if sale is None or objections.standing_of(request.user, sale) is None:
        raise Http404
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            objections.file_objection(
                filer=request.user,
                sale_id=sale.pk,
                grounds=form.cleaned_data["grounds"],
                now=timezone.now(),
            )
        except DomainError as error:
            if error.status == 404:
                raise Http404 from error
            add_domain_error(form, error)
        else:
            messages.success(request, _("Your objection was filed; the judge decides it."))
            return redirect("aftersale:objection_file", public_id=sale.public_id)
    context = {
        "sale": sale,
        "form": form,
        "mine": sale.objections.filter(filed_by_id=request.user.pk),
        "is_open": sale.objection_closes_at is not None
        and timezone.now() < sale.objection_closes_at
        and sale.finalized_at is None
        and sale.status in objections.UNDOABLE,
    }
    return render(request, "aftersale/objection.html", context, status=400 if form.errors else 200)


def _court_sale(request: HttpRequest, sale_id: int) -> Sale:
    user = request.user
    sale = (
        Sale.objects.select_related("lot__auction", "lot__asset", "court", "buyer", "file")
        .filter(pk=sale_id, court_id=getattr(user, "court_id", None) or 0)
        .first()
    )
    allowed = has_capability(user, Capability.MANAGE_AUCTIONS) or has_capability(
        user, Capability.APPROVE_SALES
    )
    if sale is None or not allowed:
        raise Http404
    return sale


@login_required
@require_http_methods(["GET", "POST"])
def sale_review(request: HttpRequest, sale_id: int) -> HttpResponse:
    """The result of a lot for the court: its objections, the judge's decisions, annulment."""
    sale = _court_sale(request, sale_id)
    annul_form = AnnulForm(request.POST if "annul" in request.POST else None)
    if request.method == "POST" and "annul" in request.POST and annul_form.is_valid():
        try:
            objections.annul_sale(
                actor=request.user,
                sale_id=sale.pk,
                reason=annul_form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except DomainError as error:
            if error.status == 404:
                raise Http404 from error
            add_domain_error(annul_form, error)
        else:
            messages.success(
                request, _("The sale is annulled; the buyer's money is being refunded.")
            )
            return redirect("aftersale:sale_review", sale_id=sale.pk)
    context = {
        "sale": sale,
        "objections": sale.objections.select_related("filed_by", "decided_by"),
        "annul_form": annul_form,
        "decision_form": DecisionForm(),
        "is_judge": objections.is_judge(request.user, sale),
        "now": timezone.now(),
    }
    return render(
        request, "aftersale/sale_review.html", context, status=400 if annul_form.errors else 200
    )


@login_required
@require_POST
def objection_decide(request: HttpRequest, objection_id: int) -> HttpResponse:
    """A judge rejects an objection, or upholds it (which annuls the sale)."""
    objection = Objection.objects.filter(pk=objection_id).first()
    if objection is None:
        raise Http404
    sale = _court_sale(request, objection.sale_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("aftersale:sale_review", sale_id=sale.pk)
    try:
        objections.decide_objection(
            actor=request.user,
            objection_id=objection.pk,
            uphold=form.cleaned_data["decision"] == "uphold",
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.render())
    else:
        messages.success(request, _("The decision was recorded."))
    return redirect("aftersale:sale_review", sale_id=sale.pk)
