"""The public pages and the workspace landing page."""

from __future__ import annotations

import logging
import sys
from typing import Any

from asgiref.sync import async_to_sync
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.access import capability_required
from accounts.models import User
from accounts.roles import Capability
from core import health
from core.errors import DomainError, database_unavailable
from core.forms import add_domain_error
from frontend import services, status

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/home.html")


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """Each role's starting point: what they can do, linked."""
    user: User = request.user  # type: ignore[assignment]
    return render(request, "frontend/workspace.html", {"capabilities": user.capabilities})


class AnnouncementForm(forms.Form):
    text_ar = forms.CharField(label=gettext_lazy("Text in Arabic"), max_length=300)
    text_en = forms.CharField(label=gettext_lazy("Text in English"), max_length=300)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Shown from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Shown until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


@capability_required(Capability.PUBLISH_ANNOUNCEMENTS)
@require_http_methods(["GET", "POST"])
def announce(request: HttpRequest) -> HttpResponse:
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.publish_announcement(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            if error.status == 403:
                raise PermissionDenied from error
            add_domain_error(form, error)
        else:
            messages.success(request, _("The announcement is live on every page."))
            return redirect("frontend:workspace")
    status = 400 if form.errors else 200
    return render(request, "frontend/announce.html", {"form": form}, status=status)


# Error pages: each in the site's layout and the visitor's language, with a way back. Rendering
# the layout reads the database (the user, the announcements); when that is what failed, the
# page falls back to a plain bilingual one that needs nothing. Django's technical pages are for
# developers only (DEBUG, see README), never for people. A request that failed because the
# database could not be reached (a restart, a failover) is answered 503, "service unavailable",
# with the plain page straight away (the layout would only fail the same way) and Retry-After.
RETRY_AFTER_SECONDS = 10
ERROR_TEMPLATES = {
    400: "400.html",
    403: "403.html",
    404: "404.html",
    405: "405.html",
    500: "500.html",
}


def _error_page(
    request: HttpRequest, status: int, context: dict[str, Any] | None = None
) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _api_error(status)
    if status == 503:
        return _plain_page(503)
    try:
        return render(request, ERROR_TEMPLATES[status], context or {}, status=status)
    except Exception:
        logger.exception("the %s page could not be rendered; the plain one is shown", status)
        return _plain_page(status)


def _plain_page(status: int) -> HttpResponse:
    response = HttpResponse(
        loader.render_to_string("errors/plain.html", {"status": status}), status=status
    )
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
    return response


def _api_error(status: int) -> JsonResponse:
    """The API's callers are programs: the error in the API's one shape (docs/errors.md)."""
    codes = {
        400: "invalid",
        403: "forbidden",
        404: "not_found",
        500: "server_error",
        503: "service_unavailable",
    }
    messages_of = {
        400: _("The request could not be understood."),
        403: _("You are not allowed to do this."),
        404: _("Not found."),
        500: _("Something went wrong on our side. Please try again shortly."),
        503: _("The service is unavailable for a moment. Please send the request again shortly."),
    }
    body: dict[str, Any] = {
        "code": codes[status],
        "field": None,
        "params": {},
        "message": messages_of[status],
    }
    response = JsonResponse(body, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404)


def error_405(request: HttpRequest) -> HttpResponse:
    return _error_page(request, 405)


def error_500(request: HttpRequest) -> HttpResponse:
    """Django calls this inside the handling of the exception, which `sys.exc_info()` gives."""
    if database_unavailable(sys.exc_info()[1]):
        return _error_page(request, 503)
    return _error_page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid security token: most often, a page left open too long."""
    return _error_page(request, 403, {"csrf_failure": True})


def may_view_service_status(user: User) -> bool:
    """Staff of any court (execution, finance, supervisors) and superusers; nobody else."""
    return bool(user.is_active and (user.is_superuser or user.is_court_staff))


@login_required
def service_status(request: HttpRequest) -> HttpResponse:
    """Staff only: the payment provider's reachability, the backlogs and the clock's lag."""
    if not may_view_service_status(request.user):  # type: ignore[arg-type]
        raise PermissionDenied
    context = {
        "provider": async_to_sync(health.payment_provider)(),
        "state": status.operating_state(),
    }
    response = render(request, "frontend/status.html", context)
    response["Cache-Control"] = "no-store"
    return response
