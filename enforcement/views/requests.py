"""Electronic enforcement requests: applicants file them online; court staff accept or reject."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import capability_required, has_capability
from accounts.roles import Capability
from core.forms import posted_text
from core.pages import act, attempt, form_status, serve_private
from core.pagination import Key, Keyset, paginate
from enforcement import access, services
from enforcement.models import EnforcementRequest
from enforcement.views.forms import ReasonForm, RequestForm

LIST_PAGE = 50


def _may_see_requests(user: Any) -> bool:
    return has_capability(user, Capability.MANAGE_FILES) or has_capability(
        user, Capability.FILE_REQUESTS
    )


def _request(request: HttpRequest, request_id: int) -> EnforcementRequest:
    if not _may_see_requests(request.user):
        raise PermissionDenied
    found = (
        access.requests_for(request.user)
        .select_related("court", "receipt", "file", "submitted_by")
        .filter(pk=request_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """Staff: the court's requests, waiting ones first. Applicants: their own requests."""
    if not _may_see_requests(request.user):
        raise PermissionDenied
    is_staff = has_capability(request.user, Capability.MANAGE_FILES)
    requests = access.requests_for(request.user).select_related(
        "court", "receipt", "file", "submitted_by"
    )
    status = request.GET.get("status", "SUBMITTED" if is_staff else "")
    if status in EnforcementRequest.Status.values:
        requests = requests.filter(status=status)
    order = Keyset((Key("submitted_at", "datetime"), Key("pk")), descending=not is_staff)
    page = paginate([requests], order, request.GET, size=LIST_PAGE)
    context = {
        "requests": page.rows,
        "page": page,
        "is_staff": is_staff,
        "status": status,
        "statuses": EnforcementRequest.Status.choices,
    }
    return render(request, "enforcement/request_list.html", context)


@capability_required(Capability.FILE_REQUESTS)
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = RequestForm(data, files)
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        created = attempt(
            form,
            lambda: services.submit_request(
                applicant=request.user,  # type: ignore[arg-type]
                court=cleaned["court"],
                debtor=form.debtor(),
                instrument=services.Instrument(
                    cleaned["instrument_kind"],
                    cleaned["instrument_reference"],
                    cleaned["instrument_issued_on"],
                ),
                claim_minor=cleaned["claim_minor"],
                applicant_iban=cleaned["applicant_iban"],
                document=cleaned["instrument_document"],
            ),
        )
        if created is not None:
            messages.success(
                request,
                _("Your request was filed. Receipt %(number)s is ready to download.")
                % {"number": created.receipt.number if created.receipt else ""},
            )
            return redirect("enforcement:request_detail", created.pk)
    return render(
        request, "enforcement/request_form.html", {"form": form}, status=form_status(request, form)
    )


@login_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    found = _request(request, request_id)
    is_staff = has_capability(request.user, Capability.MANAGE_FILES)
    context = {"req": found, "is_staff": is_staff, "reason_form": ReasonForm()}
    return render(request, "enforcement/request_detail.html", context)


@login_required
def request_instrument(request: HttpRequest, request_id: int) -> HttpResponseBase:
    return serve_private(_request(request, request_id).instrument_document)


@capability_required(Capability.MANAGE_FILES)
@require_POST
def request_accept(request: HttpRequest, request_id: int) -> HttpResponse:
    back = reverse("enforcement:request_detail", args=[request_id])
    return act(
        request,
        lambda: services.accept_request(actor=request.user, request_id=request_id),  # type: ignore[arg-type]
        _("The request was accepted and its file opened."),
        back,
    )


@capability_required(Capability.MANAGE_FILES)
@require_POST
def request_reject(request: HttpRequest, request_id: int) -> HttpResponse:
    back = reverse("enforcement:request_detail", args=[request_id])
    return act(
        request,
        lambda: services.reject_request(
            actor=request.user,  # type: ignore[arg-type]
            request_id=request_id,
            reason=posted_text(request, "reason"),
        ),
        _("The request was rejected; the applicant will see why."),
        back,
    )
