"""Pages of the second factor: enrol a passkey or an authenticator app, prove it, step up."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import mfa
from accounts.forms import TotpCodeForm
from accounts.models import Passkey, TotpDevice, User
from core.errors import DomainError
from core.forms import add_domain_error

BODY_LIMIT = 64 * 1024


def _next(request: HttpRequest) -> str:
    return mfa.safe_next(
        request, request.POST.get("next") or request.GET.get("next"), _home(request)
    )


def _refusal(error: DomainError) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": error.code, "message": str(error.render())}}, status=error.status
    )


def _payload(request: HttpRequest) -> str:
    if len(request.body) > BODY_LIMIT:
        raise mfa.PasskeyRefused
    return request.body.decode("utf-8", errors="replace")


@login_required
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    """The account's passkeys and authenticator app; where staff without one enrol."""
    user: User = request.user  # type: ignore[assignment]
    if mfa.enrolled(user) and not (mfa.satisfied(request) and mfa.fresh(request)):
        # Adding a factor to an account that has one asks for the one it has first.
        query = urlencode({"next": reverse("accounts:security"), "step_up": "1"})
        return redirect(f"{reverse('accounts:second_factor')}?{query}")
    device = TotpDevice.objects.filter(user=user).first()
    form = TotpCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                mfa.check_totp(request, user, form.cleaned_data["code"], confirming=True)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Your authenticator app was added."))
                return redirect(_next(request))
        status = 400
    setup = None
    wants_app = bool(request.GET.get("totp")) or request.method == "POST"
    if wants_app and (device is None or device.confirmed_at is None):
        device = mfa.start_totp(user)
        uri = mfa.provisioning_uri(device, user)
        setup = {"secret": device.secret, "qr": mfa.qr_svg(uri)}
    context: dict[str, Any] = {
        "form": form,
        "passkeys": Passkey.objects.filter(user=user),
        "totp_confirmed": device is not None and device.confirmed_at is not None,
        "setup": setup,
        "required": mfa.required_for(user),
        "enrolled": mfa.enrolled(user),
        "next": _next(request),
    }
    return render(request, "accounts/security.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Prove the second factor: after the password, or to step up before a grave action."""
    user: User = request.user  # type: ignore[assignment]
    if not mfa.enrolled(user):
        return redirect(f"{reverse('accounts:security')}?{urlencode({'next': _next(request)})}")
    form = TotpCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                mfa.check_totp(request, user, form.cleaned_data["code"])
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return redirect(_next(request))
        status = 400
    context = {
        "form": form,
        "has_passkey": Passkey.objects.filter(user=user).exists(),
        "has_totp": mfa.has_confirmed_totp(user),
        "step_up": bool(request.GET.get("step_up") or request.POST.get("step_up")),
        "next": _next(request),
    }
    return render(request, "accounts/second_factor.html", context, status=status)


@login_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if mfa.enrolled(user) and not mfa.fresh(request):
        return _refusal(mfa.StepUpNeeded())
    return HttpResponse(mfa.registration_options(request, user), content_type="application/json")


@login_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        passkey = mfa.finish_registration(
            request, user, _payload(request), request.GET.get("name", "")
        )
    except DomainError as error:
        return _refusal(error)
    messages.success(request, _("Your passkey “%(name)s” was added.") % {"name": passkey.name})
    return JsonResponse({"redirect": _next(request)})


@login_required
@require_POST
def passkey_options(request: HttpRequest) -> HttpResponse:
    try:
        options = mfa.authentication_options(request, request.user)  # type: ignore[arg-type]
    except DomainError as error:
        return _refusal(error)
    return HttpResponse(options, content_type="application/json")


@login_required
@require_POST
def passkey_verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        mfa.finish_authentication(request, user, _payload(request))
    except DomainError as error:
        return _refusal(error)
    return JsonResponse({"redirect": _next(request)})


def _home(request: HttpRequest) -> str:
    if getattr(request.user, "role", None) == "BIDDER":
        return reverse("auction:mine")
    return "/workspace/"
