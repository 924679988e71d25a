"""The public pages and the workspace landing page."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.access import capability_required
from accounts.models import User
from accounts.roles import Capability
from core import health
from core.errors import DomainError
from frontend import services, status
from frontend.forms import add_domain_error


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


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


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
