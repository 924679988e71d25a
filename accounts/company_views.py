"""Pages of companies as bidders: a representative's powers of attorney, and staff review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import access, mandates
from accounts.forms import PowerOfAttorneyForm
from accounts.models import PowerOfAttorney, User
from accounts.review_pages import Review, review_page
from accounts.roles import Capability, Role
from core.errors import DomainError
from core.forms import add_domain_error
from core.pages import serve_private


@login_required
@require_http_methods(["GET", "POST"])
def companies(request: HttpRequest) -> HttpResponse:
    """The companies the user represents, and the form to send a power of attorney."""
    user: User = request.user  # type: ignore[assignment]
    if user.role != Role.BIDDER:
        raise PermissionDenied
    form = PowerOfAttorneyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            mandates.submit_power_of_attorney(user=user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Your power of attorney was sent. Staff will review it."))
            return redirect("accounts:companies")
    context = {
        "form": form,
        "mandates": PowerOfAttorney.objects.filter(representative=user)
        .select_related("company")
        .order_by("-submitted_at"),
        "today": mandates.today(),
    }
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "accounts/companies.html", context, status=status)


@login_required
def mandate_document(request: HttpRequest, mandate_id: int) -> HttpResponseBase:
    mandate = get_object_or_404(
        PowerOfAttorney.objects.select_related("representative"), pk=mandate_id
    )
    if not access.may_read_identity_document(request.user, mandate.representative):  # type: ignore[arg-type]
        raise Http404
    return serve_private(mandate.document, cache="private, no-store")


@access.capability_required(Capability.VERIFY_IDENTITY)
def mandate_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "PENDING")
    context = {"mandates": mandates.mandate_queue(status=status), "status": status}
    return render(request, "accounts/mandate_queue.html", context)


@access.capability_required(Capability.VERIFY_IDENTITY)
@require_http_methods(["GET", "POST"])
def mandate_review(request: HttpRequest, mandate_id: int) -> HttpResponse:
    mandate = get_object_or_404(
        PowerOfAttorney.objects.select_related("company", "representative"), pk=mandate_id
    )
    reviewer: User = request.user  # type: ignore[assignment]
    page = Review(
        template="accounts/mandate_review.html",
        heading=_("Power of attorney review"),
        approve_field="approve",
        approve_label=_("Approve the power of attorney"),
        approve=lambda: mandates.approve_power_of_attorney(
            reviewer=reviewer, mandate_id=mandate.pk
        ),
        reject=lambda reason: mandates.reject_power_of_attorney(
            reviewer=reviewer, mandate_id=mandate.pk, reason=reason
        ),
        approved=_("The power of attorney was approved."),
        rejected=_("The power of attorney was rejected."),
        queue="accounts:mandate_queue",
        is_pending=mandate.status == PowerOfAttorney.Status.PENDING,
    )
    return review_page(request, page, {"mandate": mandate, "today": mandates.today()})
