"""Pages of accounts: sign-up, log-in, log-out, profile, identity submission and review."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access, digital_id, selectors, services
from accounts.forms import (
    EmailAuthenticationForm,
    IdentityDocumentForm,
    ProfileForm,
    SignUpForm,
)
from accounts.models import DigitalIdentity, IdentityStatus, User
from accounts.review_pages import Review, review_page
from accounts.roles import Capability, Role
from core.errors import DomainError
from core.forms import add_domain_error
from core.language import set_language_cookie
from core.live import users as live_users
from core.pages import serve_private
from core.pagination import paginate

LIST_PAGE = 50


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.sign_up(
                email=data["email"],
                password=data["password1"],
                full_name=data["full_name"],
                id_kind=data["id_kind"],
                id_country=data["id_country"],
                id_number=data["id_number"],
                phone=data["phone"],
                preferred_language=data["preferred_language"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            login(request, user, backend="accounts.backends.RoleBackend")
            messages.success(request, _("Welcome. Verify your identity to take part in auctions."))
            response = redirect("accounts:identity")
            set_language_cookie(response, user.preferred_language)
            return response
    return render(request, "accounts/sign_up.html", {"form": form}, status=_status(request, form))


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        set_language_cookie(response, form.get_user().preferred_language)
        return response

    def get_default_redirect_url(self) -> str:
        """Without a `next`, bidders land on their own page and everyone else on the workspace."""
        user = self.request.user
        if getattr(user, "role", None) == Role.BIDDER:
            return reverse("auction:mine")
        return super().get_default_redirect_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "digital_ids": digital_id.providers()}

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if getattr(form, "is_cooling_down", False):
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    """Logs out and closes every live socket of the user at once."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user_id = request.user.pk
        response = super().post(request, *args, **kwargs)
        if user_id is not None:
            live_users.close_sockets_now(user_id, "logged_out")
        return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    initial = {
        "full_name": user.full_name,
        "phone": user.phone,
        "preferred_language": user.preferred_language,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_profile(user=user, **form.cleaned_data)
        messages.success(request, _("Your profile was saved."))
        response = redirect("accounts:profile")
        set_language_cookie(response, form.cleaned_data["preferred_language"])
        return response
    return render(request, "accounts/profile.html", {"form": form}, status=_status(request, form))


@login_required
@require_http_methods(["GET", "POST"])
def identity(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = IdentityDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_identity(user=user, document=form.cleaned_data["document"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Your document was sent. Staff will review it shortly."))
            return redirect("accounts:identity")
    context = {
        "form": form,
        "review_days": selectors.IDENTITY_REVIEW_WORKING_DAYS,
        "digital_ids": digital_id.providers(),
        "digital_identity": DigitalIdentity.objects.filter(user=user).first(),
    }
    return render(request, "accounts/identity.html", context, status=_status(request, form))


@login_required
def identity_document(request: HttpRequest, user_id: int) -> HttpResponseBase:
    subject = get_object_or_404(User, pk=user_id)
    if not access.may_read_identity_document(request.user, subject):  # type: ignore[arg-type]
        raise Http404
    return serve_private(subject.identity_document, cache="private, no-store")


@access.capability_required(Capability.VERIFY_IDENTITY)
def review_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "PENDING")
    users = selectors.identity_queue(status=status, search=request.GET.get("q", ""))
    page = paginate([users], selectors.IDENTITY_ORDER, request.GET, size=LIST_PAGE)
    context = {"users": page.rows, "page": page, "status": status}
    return render(request, "accounts/review_queue.html", context)


@access.capability_required(Capability.VERIFY_IDENTITY)
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, user_id: int) -> HttpResponse:
    subject = get_object_or_404(User, pk=user_id)
    reviewer: User = request.user  # type: ignore[assignment]
    page = Review(
        template="accounts/review.html",
        heading=_("Identity review"),
        approve_field="verify",
        approve_label=_("Verify the identity"),
        approve=lambda: services.verify_identity(reviewer=reviewer, subject_id=subject.pk),
        reject=lambda reason: services.reject_identity(
            reviewer=reviewer, subject_id=subject.pk, reason=reason
        ),
        approved=_("The identity was verified."),
        rejected=_("The identity was rejected; the bidder will see why."),
        queue="accounts:review_queue",
        is_pending=subject.identity_status == IdentityStatus.PENDING,
    )
    return review_page(request, page, {"subject": subject})


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; signed-in users keep it as their preference."""
    language = request.POST.get("language", "")
    if language not in ("ar", "en"):
        language = "ar"
    if request.user.is_authenticated:
        services.set_language(user=request.user, language=language)
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)  # a path, never a view name to reverse
    set_language_cookie(response, language)
    return response


def _status(request: HttpRequest, form: Any) -> int:
    return 400 if request.method == "POST" and form.errors else 200
