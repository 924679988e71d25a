"""One page for a staff member's review of what a person sent: approve it, or reject it with
a reason. The identity review and the power-of-attorney review are both this page, each with
its own facts, document and service calls (`accounts.views.review`,
`accounts.company_views.mandate_review`; template
frontend/templates/accounts/review_base.html)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.forms import RejectIdentityForm
from core.errors import DomainError
from core.forms import add_domain_error


@dataclass(frozen=True)
class Review:
    """What one kind of review shows and does."""

    template: str  # extends the base review template: its facts and its document
    heading: Any
    approve_field: str  # the approve button's name
    approve_label: Any
    approve: Callable[[], object]
    reject: Callable[[str], object]
    approved: Any  # the message once approved
    rejected: Any  # the message once rejected
    queue: str  # the URL name to go back to
    is_pending: bool


def review_page(request: HttpRequest, review: Review, context: dict[str, Any]) -> HttpResponse:
    """GET shows the review; POST approves it or rejects it with the reason (a blank or too
    long reason, or a review already decided, is said on the page with a 400)."""
    reject_form = RejectIdentityForm(request.POST if "reject" in request.POST else None)
    refused = False
    if request.method == "POST":
        try:
            if review.approve_field in request.POST:
                review.approve()
                messages.success(request, review.approved)
                return redirect(review.queue)
            if reject_form.is_valid():
                review.reject(reject_form.cleaned_data["reason"])
                messages.success(request, review.rejected)
                return redirect(review.queue)
        except DomainError as error:
            if error.status == 403:
                raise PermissionDenied from error
            if reject_form.is_bound:
                add_domain_error(reject_form, error)
            else:  # the approval was refused (already reviewed...): say so above the page
                messages.error(request, error.render())
                refused = True
    context = {**context, "reject_form": reject_form, "review": review}
    status = 400 if refused or reject_form.errors else 200
    return render(request, review.template, context, status=status)
