"""The second factor: passkeys (WebAuthn) and TOTP, required by role, and fresh for step-up.

A session is *satisfied* once its holder proved a second factor after the password; it is
*fresh* for `FRESH_SECONDS` after the last proof. Court staff, finance staff, supervisors
and platform administrators must enrol one and prove it at every sign-in; bidders may.
Approving or sending a disbursement, annulling a bid and changing a role need a fresh proof
(`step_up_required`).

Every WebAuthn challenge is made here, kept in the server-side session and used once; the
relying party is the host of SITE_URL and the only origin accepted is SITE_URL's.
"""

from __future__ import annotations

import binascii
import json
import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import pyotp
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts import locks
from accounts.models import Passkey, TotpDevice, User
from accounts.roles import COURT_ROLES
from core import audit
from core.errors import DomainError
from core.live import users as live_users

FRESH_SECONDS = 60
CHALLENGE_SECONDS = 300
SESSION_PROVED_AT = "mazad_second_factor_at"
SESSION_CHALLENGE = "mazad_webauthn_challenge"
SESSION_NOT_NEEDED = "mazad_second_factor_not_needed"
TOTP_DIGITS = 6
TOTP_STEP = 30
RP_NAME = "Mazad"

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class SecondFactorRefused(DomainError):
    code = "second_factor_invalid"
    message = _("That code is not valid. Type the six digits your authenticator app shows now.")
    status = 400


class CodeAlreadyUsed(DomainError):
    code = "second_factor_replayed"
    message = _("That code was already used. Wait for the next code and type it.")
    status = 400


class PasskeyRefused(DomainError):
    code = "passkey_invalid"
    message = _("The passkey's answer could not be verified. Nothing was changed; try again.")
    status = 400


class ChallengeMissing(DomainError):
    code = "passkey_challenge_missing"
    message = _("The passkey request has expired or was already used. Start again.")
    status = 400


class NoSecondFactor(DomainError):
    code = "second_factor_missing"
    message = _("This account has no passkey or authenticator app yet. Add one first.")
    status = 400


# Who must have one ------------------------------------------------------------------------------


def required_for(user: Any) -> bool:
    """Court staff, finance staff, supervisors and platform administrators (the Django admin,
    every court's roles) must have a second factor."""
    return bool(
        user.is_authenticated and (user.role in COURT_ROLES or user.is_staff or user.is_superuser)
    )


def enrolled(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and (
            Passkey.objects.filter(user_id=user.pk).exists()
            or TotpDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()
        )
    )


def has_confirmed_totp(user: Any) -> bool:
    return TotpDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


def satisfied(request: HttpRequest) -> bool:
    return SESSION_PROVED_AT in request.session


def pending_by_session(user: Any, session: Any) -> bool | None:
    """Whether the signed-in `user` must still prove a second factor in `session`, as far as
    the session alone tells; None when only the database can (`enrolled`).

    True for court staff, finance staff, supervisors and administrators until they proved
    one in this session; for anyone else, whether they enrolled one (bidders may), unless the
    session already knows they did not. The pages send such a session to prove it
    (accounts.middleware.SecondFactorMiddleware); its sockets are those of an anonymous
    visitor (accounts.sockets.SecondFactorSocketMiddleware).
    """
    if not user.is_authenticated or SESSION_PROVED_AT in session:
        return False
    if required_for(user):
        return True
    if session.get(SESSION_NOT_NEEDED):
        return False
    return None


def forget_proof_at_sign_in(session: Any, user: Any) -> None:
    """A sign-in, however made (password, digital ID), starts without a second-factor proof.

    Django keeps the session's data when the same account signs in again, so a proof of an
    earlier sign-in would carry over: it is removed. A user who needs no factor and has none
    is remembered as such, so neither their pages nor their sockets ask the database again.
    """
    session.pop(SESSION_PROVED_AT, None)
    session.pop(SESSION_NOT_NEEDED, None)
    if not required_for(user) and not enrolled(user):
        session[SESSION_NOT_NEEDED] = True


def fresh(request: HttpRequest) -> bool:
    proved_at = request.session.get(SESSION_PROVED_AT)
    return isinstance(proved_at, int | float) and time.time() - proved_at <= FRESH_SECONDS


def mark_proved(request: HttpRequest) -> None:
    """Record a second-factor proof in the session (a new session key on the first)."""
    if not satisfied(request):
        request.session.cycle_key()
    request.session[SESSION_PROVED_AT] = time.time()


def safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


# Step-up --------------------------------------------------------------------------------------


def step_up_required(back: Callable[..., str]) -> Callable[[View], View]:
    """Refuse the POST unless a second factor was proved in the last minute.

    Without a fresh proof nothing is done: the user is sent to prove it and then back to the
    page `back(request, **kwargs)` names, where they submit again. A POST is never replayed.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST" and request.user.is_authenticated and not fresh(request):
                from django.contrib import messages

                messages.warning(
                    request,
                    _("Confirm it is you with your passkey or code, then submit again."),
                )
                query = urlencode({"next": back(request, *args, **kwargs), "step_up": "1"})
                return redirect(f"{reverse('accounts:second_factor')}?{query}")
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


# WebAuthn -------------------------------------------------------------------------------------


def relying_party() -> tuple[str, str]:
    """(RP id, origin) from SITE_URL."""
    url = urlsplit(settings.SITE_URL)
    return url.hostname or "localhost", f"{url.scheme}://{url.netloc}"


def _store_challenge(request: HttpRequest, purpose: str, challenge: bytes) -> None:
    request.session[SESSION_CHALLENGE] = {
        "purpose": purpose,
        "challenge": bytes_to_base64url(challenge),
        "at": time.time(),
    }


def _take_challenge(request: HttpRequest, purpose: str) -> bytes:
    """The challenge made for `purpose`, removed from the session: each is used once."""
    stored = request.session.pop(SESSION_CHALLENGE, None)
    if (
        not isinstance(stored, dict)
        or stored.get("purpose") != purpose
        or time.time() - float(stored.get("at", 0)) > CHALLENGE_SECONDS
    ):
        raise ChallengeMissing
    return base64url_to_bytes(str(stored["challenge"]))


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=bytes(passkey.credential_id))
        for passkey in Passkey.objects.filter(user=user)
    ]


def registration_options(request: HttpRequest, user: User) -> str:
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=str(user.pk).encode(),
        user_name=user.email,
        user_display_name=user.full_name or user.email,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    _store_challenge(request, "register", options.challenge)
    return options_to_json(options)


def _credential(payload: str) -> dict[str, Any]:
    try:
        credential = json.loads(payload)
    except (ValueError, TypeError) as error:
        raise PasskeyRefused from error
    if not isinstance(credential, dict):
        raise PasskeyRefused
    return credential


_BAD_INPUT = (WebAuthnException, ValueError, KeyError, TypeError, binascii.Error)


def finish_registration(request: HttpRequest, user: User, payload: str, name: str) -> Passkey:
    challenge = _take_challenge(request, "register")
    rp_id, origin = relying_party()
    credential = _credential(payload)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except _BAD_INPUT as error:
        raise PasskeyRefused from error
    transports = credential.get("response", {}).get("transports") or []
    known = {transport.value for transport in AuthenticatorTransport}
    with transaction.atomic():
        if Passkey.objects.filter(credential_id=verified.credential_id).exists():
            raise PasskeyRefused
        passkey = Passkey.objects.create(
            user=user,
            name=(name or "").strip()[:80] or str(_("Passkey")),
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=",".join(t for t in transports if isinstance(t, str) and t in known),
            created_at=timezone.now(),
            last_used_at=timezone.now(),
        )
        audit.record(
            actor=user,
            action="user.passkey_added",
            obj=user,
            after={"passkey": passkey.name},
            court_id=user.court_id,
        )
    mark_proved(request)
    return passkey


def authentication_options(request: HttpRequest, user: User) -> str:
    descriptors = _descriptors(user)
    if not descriptors:
        raise NoSecondFactor
    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=descriptors,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _store_challenge(request, "authenticate", options.challenge)
    return options_to_json(options)


def finish_authentication(request: HttpRequest, user: User, payload: str) -> Passkey:
    challenge = _take_challenge(request, "authenticate")
    rp_id, origin = relying_party()
    credential = _credential(payload)
    try:
        credential_id = base64url_to_bytes(str(credential["rawId"]))
    except _BAD_INPUT as error:
        raise PasskeyRefused from error
    found = Passkey.objects.filter(user=user, credential_id=credential_id).first()
    if found is None:
        raise PasskeyRefused
    with transaction.atomic():
        passkey = locks.lock_passkey(found.pk)
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp_id,
                expected_origin=origin,
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=True,
            )
        except _BAD_INPUT as error:
            raise PasskeyRefused from error
        passkey.sign_count = verified.new_sign_count
        passkey.last_used_at = timezone.now()
        passkey.save(update_fields=["sign_count", "last_used_at"])
    mark_proved(request)
    return passkey


# TOTP -----------------------------------------------------------------------------------------


def start_totp(user: User) -> TotpDevice:
    """A new unconfirmed secret for `user` (replacing an unconfirmed one); a confirmed one stays."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        return device
    if device is None:
        return TotpDevice.objects.create(
            user=user, secret=pyotp.random_base32(), created_at=timezone.now()
        )
    return device


def provisioning_uri(device: TotpDevice, user: User) -> str:
    issuer = RP_NAME
    return pyotp.TOTP(device.secret, digits=TOTP_DIGITS, interval=TOTP_STEP).provisioning_uri(
        name=user.email, issuer_name=issuer
    )


def qr_svg(text: str) -> str:
    """The QR code of `text` as an inline SVG element."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return str(image.to_string(encoding="unicode"))


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now, one before or one after) whose code is `code`, or None."""
    code = "".join(code.split())
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP)
    now_step = int(time.time()) // TOTP_STEP
    for step in (now_step, now_step - 1, now_step + 1):
        if secrets.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


@transaction.atomic
def check_totp(request: HttpRequest, user: User, code: str, *, confirming: bool = False) -> None:
    """Accept one code of the user's app: never the same time step (or an older one) twice."""
    try:
        device = locks.lock_totp_device(user.pk)
    except TotpDevice.DoesNotExist as error:
        raise NoSecondFactor(field="code") from error
    if (device.confirmed_at is None) != confirming:
        raise NoSecondFactor(field="code")
    step = _matching_step(device.secret, code)
    if step is None:
        raise SecondFactorRefused(field="code")
    if step <= device.last_step:
        raise CodeAlreadyUsed(field="code")
    device.last_step = step
    fields = ["last_step"]
    if confirming:
        device.confirmed_at = timezone.now()
        fields.append("confirmed_at")
        audit.record(
            actor=user,
            action="user.totp_added",
            obj=user,
            after={"totp": True},
            court_id=user.court_id,
        )
    device.save(update_fields=fields)
    mark_proved(request)


# Recovery -------------------------------------------------------------------------------------


@transaction.atomic
def reset_second_factors(*, actor: User, user_id: int, reason: str) -> User:
    """Remove every passkey and authenticator app of a user (a lost device), audited.

    The user's sessions end with their sockets: at the next sign-in they enrol again.
    """
    if not reason.strip():
        raise DomainError(_("Say why the second factor is reset."), code="required", field="reason")
    user = locks.lock_user(user_id)
    passkeys = list(Passkey.objects.filter(user=user).values_list("name", flat=True))
    had_totp = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
    Passkey.objects.filter(user=user).delete()
    TotpDevice.objects.filter(user=user).delete()
    audit.record(
        actor=actor,
        action="user.second_factor_reset",
        obj=user,
        before={"passkeys": passkeys, "totp": had_totp},
        after={"passkeys": [], "totp": False},
        court_id=user.court_id,
        note=reason,
    )
    _end_sessions(user.pk)
    live_users.close_sockets_after_commit(user.pk, "second_factor_reset")
    return user


def _end_sessions(user_id: int) -> None:
    from django.contrib.sessions.models import Session

    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()


class StepUpNeeded(DomainError):
    code = "step_up_required"
    message = _("Confirm it is you with your passkey or code first.")
    status = 403
