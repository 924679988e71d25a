"""Pages of the national digital-ID sign-in: start, the provider's callback, and a new account."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import digital_id, services
from accounts.digital_id import Provider, VerifiedPerson
from accounts.forms import DigitalIdSignUpForm
from accounts.models import User
from accounts.roles import Role
from core.errors import DomainError
from core.forms import add_domain_error
from core.language import set_language_cookie

FLOW_KEY = "digital_id_flow"
PERSON_KEY = "digital_id_person"
BACKEND = "accounts.backends.RoleBackend"


def _provider(country: str) -> Provider:
    provider = digital_id.provider_for(country)
    if provider is None:
        raise Http404
    return provider


@require_POST
def start(request: HttpRequest, country: str) -> HttpResponse:
    """Remember who started (to link a signed-in account) and go to the provider."""
    provider = _provider(country)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    request.session[FLOW_KEY] = {
        "country": provider.country,
        "user_id": request.user.pk if request.user.is_authenticated else None,
        "next": next_url,
    }
    try:
        return digital_id.start(request, provider)
    except DomainError as error:
        return _failed(request, provider, error)


@require_http_methods(["GET"])
def callback(request: HttpRequest, country: str) -> HttpResponse:
    provider = _provider(country)
    flow = request.session.pop(FLOW_KEY, None) or {}
    try:
        person = digital_id.finish(request, provider)
        if flow.get("user_id") is not None and flow["user_id"] == request.user.pk:
            services.link_digital_id(user=request.user, person=person)
            messages.success(request, _("Your national digital ID is linked: you are verified."))
            return redirect(flow.get("next") or "accounts:identity")
        user = services.sign_in_with_digital_id(person=person)
    except DomainError as error:
        return _failed(request, provider, error)
    if user is None:
        request.session[PERSON_KEY] = person.as_session()
        return redirect("accounts:digital_id_sign_up")
    return _log_in(request, user, flow.get("next") or _home(user))


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """A person the provider vouched for, without an account yet, gives an e-mail and phone."""
    stored = request.session.get(PERSON_KEY)
    if not stored:
        return redirect("accounts:login")
    person = VerifiedPerson.from_session(stored)
    form = DigitalIdSignUpForm(
        request.POST or None, initial={"preferred_language": request.LANGUAGE_CODE}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_up_with_digital_id(person=person, **form.cleaned_data_for_user())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            request.session.pop(PERSON_KEY, None)
            messages.success(request, _("Welcome. Your identity is verified: you can bid."))
            return _log_in(request, user, "auction:mine")
    status = 400 if request.method == "POST" and form.errors else 200
    context = {"form": form, "person": person, "provider": digital_id.provider_for(person.country)}
    return render(request, "accounts/digital_id_sign_up.html", context, status=status)


def _home(user: User) -> str:
    """Where a sign-in without a `next` lands, as after the password: bidders on their own
    page, staff on the workspace (court staff by way of their second factor)."""
    return "auction:mine" if user.role == Role.BIDDER else str(settings.LOGIN_REDIRECT_URL)


def _log_in(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    # The session starts without a second-factor proof (accounts.signals): court staff are
    # asked for theirs by the next page, as after the password.
    login(request, user, backend=BACKEND)
    response = redirect(next_url)
    set_language_cookie(response, user.preferred_language)
    return response


def _failed(request: HttpRequest, provider: Provider, error: DomainError) -> HttpResponse:
    context = {"provider": provider, "error": error, "message": error.render()}
    status = error.status if error.status >= 400 else 400
    return render(request, "accounts/digital_id_failed.html", context, status=status)
