"""The account page where a person chooses how they are told (e-mail, SMS) of each topic."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import User
from core.errors import DomainError
from notifications import services
from notifications.forms import PreferencesForm


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PreferencesForm(request.POST or None, user_id=user.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_preferences(user=user, chosen=form.chosen())
        except DomainError as error:
            form.add_error(None, error.render())
        else:
            messages.success(request, _("Your notice preferences were saved."))
            return redirect("notifications:preferences")
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "has_phone": bool(user.phone)},
        status=status,
    )
