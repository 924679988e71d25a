"""The staff page where roles and courts change: through `assign_role`, audited, with step-up."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access, mfa, services
from accounts.forms import AssignRoleForm, ResetSecondFactorForm
from accounts.models import Passkey, TotpDevice, User
from accounts.roles import AGENCY_ROLES, Capability, Role
from core.errors import DomainError
from core.forms import add_domain_error

LIST_SIZE = 50


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _manageable(actor: User) -> Any:
    """Administrators manage every account; a supervisor their court's staff and bidders."""
    users = User.objects.select_related("court", "agency")
    if actor.is_superuser:
        return users
    if actor.court_id is None:
        return users.none()
    return users.filter(Q(court_id=actor.court_id) | Q(role=Role.BIDDER)).exclude(pk=actor.pk)


def _subject(request: HttpRequest, user_id: int) -> User:
    subject: User = get_object_or_404(_manageable(_actor(request)), pk=user_id)
    return subject


def _back(request: HttpRequest, user_id: int) -> str:
    return reverse("accounts:role", args=[user_id])


@access.capability_required(Capability.ASSIGN_ROLES)
def roles(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    users = _manageable(_actor(request))
    if query:
        users = users.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    else:
        users = users.exclude(role=Role.BIDDER)
    context = {"users": users.order_by("email")[:LIST_SIZE], "q": query}
    return render(request, "accounts/roles.html", context)


def _role_page(
    request: HttpRequest, subject: User, form: Any, reset: Any, status: int
) -> HttpResponse:
    context = {
        "subject": subject,
        "form": form,
        "reset_form": reset,
        "passkeys": Passkey.objects.filter(user=subject).count(),
        "totp": TotpDevice.objects.filter(user=subject, confirmed_at__isnull=False).exists(),
    }
    return render(request, "accounts/role.html", context, status=status)


@access.capability_required(Capability.ASSIGN_ROLES)
@require_http_methods(["GET", "POST"])
@mfa.step_up_required(_back)
def role(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _actor(request)
    subject = _subject(request, user_id)
    initial = {"role": subject.role, "court": subject.court_id, "agency": subject.agency_id}
    form = AssignRoleForm(request.POST or None, initial=initial)
    if not actor.is_superuser:
        role_field: Any = form.fields["role"]
        role_field.choices = [c for c in Role.choices if c[0] not in AGENCY_ROLES]
        form.fields["court"].queryset = form.fields["court"].queryset.filter(  # type: ignore[attr-defined]
            pk=actor.court_id
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.assign_role(
                actor=actor,
                user_id=subject.pk,
                role=data["role"],
                court_id=data["court"].pk if data["court"] else None,
                agency_id=data["agency"].pk if data["agency"] else None,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The role was changed and recorded in the audit log."))
            return redirect("accounts:role", user_id=subject.pk)
    status = 400 if request.method == "POST" else 200
    return _role_page(request, subject, form, ResetSecondFactorForm(), status)


@access.capability_required(Capability.ASSIGN_ROLES)
@require_POST
@mfa.step_up_required(_back)
def reset_second_factor(request: HttpRequest, user_id: int) -> HttpResponse:
    subject = _subject(request, user_id)
    if subject.is_superuser and not _actor(request).is_superuser:
        raise PermissionDenied
    form = ResetSecondFactorForm(request.POST)
    if form.is_valid():
        try:
            mfa.reset_second_factors(
                actor=_actor(request), user_id=subject.pk, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                _("The passkeys and authenticator app were removed; they enrol again at sign-in."),
            )
            return redirect("accounts:role", user_id=subject.pk)
    initial = {"role": subject.role, "court": subject.court_id, "agency": subject.agency_id}
    return _role_page(request, subject, AssignRoleForm(initial=initial), form, 400)
