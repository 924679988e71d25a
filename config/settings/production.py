"""Production settings: the base settings made strict; refuses to start when unsafe."""

import base64
import binascii

from django.core.exceptions import ImproperlyConfigured
from py_vapid import Vapid  # type: ignore[import-untyped]

from core import logs, pdf_signing

from . import samples
from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DATABASES, LOG_LEVEL, MIDDLEWARE, SECRET_KEY, env, pool_connections

DEBUG = False
WHITENOISE_USE_FINDERS = False
pool_connections(DATABASES, default_size=20)
# JSON lines, for the log collector a court's IT department runs.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = logs.config(LOG_FORMAT, LOG_LEVEL)

if "*" in ALLOWED_HOSTS or not ALLOWED_HOSTS:
    # A wildcard host would make every WebSocket Origin valid.
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the real host names, without '*'.")
# Court staff, finance staff and supervisors prove a second factor after the password
# (accounts/mfa.py): no setting skips it, and settings that dropped its middleware do not start.
if "accounts.middleware.SecondFactorMiddleware" not in MIDDLEWARE:
    raise ImproperlyConfigured("MIDDLEWARE must keep accounts.middleware.SecondFactorMiddleware.")
if (
    SECRET_KEY in samples.SECRET_KEYS
    or samples.is_placeholder(SECRET_KEY)
    or SECRET_KEY.startswith("dev-only")
    or len(SECRET_KEY) < 50
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be a real secret of at least 50 characters, not a published sample."
    )


def _audit_key_is_usable(value: str) -> bool:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == 32 and value not in samples.AUDIT_SIGNING_KEYS


# Checkpoints of the audit trail are signed with it; a key made up on the spot would not be one
# the court can check against, and a published one would let anyone sign a rewritten chain.
if not _audit_key_is_usable(env.str("AUDIT_SIGNING_KEY", default="")):
    raise ImproperlyConfigured(
        "AUDIT_SIGNING_KEY must be the base64 Ed25519 key (32 bytes), not a published sample."
    )

# A court's own key for signed bid receipts (optional): the same rule as the platform's.
for _code, _receipt_key in env.dict("RECEIPT_SIGNING_KEYS", default={}).items():
    if not _audit_key_is_usable(_receipt_key):
        raise ImproperlyConfigured(
            f"RECEIPT_SIGNING_KEYS[{_code}] must be a base64 Ed25519 key (32 bytes), "
            "not a published sample."
        )

# Signed court documents (docs/signed-documents.md): every court signs with its own key,
# whose certificate chains to a configured trust anchor; never with the development CA.
if env.bool("COURT_SIGNING_DEV_KEYS", default=False):
    raise ImproperlyConfigured("COURT_SIGNING_DEV_KEYS must be false in production.")
COURT_SIGNING_DEV_KEYS = False
if not env.dict("COURT_SIGNING_KEYS", default={}):
    raise ImproperlyConfigured(
        "COURT_SIGNING_KEYS must name each court's signing key and certificate, "
        "CODE=/path/court.p12 (docs/signed-documents.md)."
    )
if not env.list("COURT_SIGNING_TRUST_ROOTS", default=[]):
    raise ImproperlyConfigured(
        "COURT_SIGNING_TRUST_ROOTS must name the PEM file(s) of the authority that issues the "
        "courts' certificates (docs/signed-documents.md)."
    )
_signing_problems = pdf_signing.configuration_problems(
    env.dict("COURT_SIGNING_KEYS", default={}), env.list("COURT_SIGNING_TRUST_ROOTS", default=[])
)
if _signing_problems:
    raise ImproperlyConfigured("; ".join(_signing_problems))
# Web push (accounts/webpush.py) is off without a VAPID key of the deployment's own: production
# never signs with the key development derives. A key given must be a P-256 private key, and
# the subject a contact the push services can reach.
WEBPUSH_VAPID_PRIVATE_KEY = env.str("WEBPUSH_VAPID_PRIVATE_KEY", default="")
if WEBPUSH_VAPID_PRIVATE_KEY:
    try:
        Vapid.from_string(WEBPUSH_VAPID_PRIVATE_KEY)
    except Exception:  # py_vapid raises what the decoder raised: any failure is a bad key
        raise ImproperlyConfigured(
            "WEBPUSH_VAPID_PRIVATE_KEY must be base64url of a 32-byte P-256 private key."
        ) from None
    if WEBPUSH_VAPID_PRIVATE_KEY in samples.VAPID_PRIVATE_KEYS:
        raise ImproperlyConfigured(
            "WEBPUSH_VAPID_PRIVATE_KEY must be the deployment's own key, not a published sample."
        )
    if not env.str("WEBPUSH_VAPID_SUBJECT", default="").startswith(("mailto:", "https://")):
        raise ImproperlyConfigured(
            "WEBPUSH_VAPID_SUBJECT must be the court's contact, mailto:... or https://..."
        )

# The payment provider. A published webhook secret would let anyone sign an event; a test key
# in production means no money moves, which only a demonstration may want, and says so with
# STRIPE_ALLOW_TEST_MODE.
STRIPE_ALLOW_TEST_MODE: bool = env.bool("STRIPE_ALLOW_TEST_MODE", default=False)
_webhook_secret = env.str("STRIPE_WEBHOOK_SECRET", default="")
if (
    not _webhook_secret.startswith("whsec_")
    or _webhook_secret in samples.WEBHOOK_SECRETS
    or samples.is_placeholder(_webhook_secret)
):
    raise ImproperlyConfigured(
        "STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret (whsec_...), not a "
        "published sample."
    )
_api_key = env.str("STRIPE_SECRET_KEY", default="")
if (
    not _api_key.startswith(("sk_live_", "sk_test_", "rk_live_", "rk_test_"))
    or _api_key in samples.API_KEYS
    or samples.is_placeholder(_api_key)
):
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY must be the provider's secret key, not a published sample."
    )
if env.bool("STRIPE_EMULATE_EVENTS", default=False):
    # Emulated events are development's stand-in for a provider that sends none, and are
    # credited without asking the provider: never in production.
    raise ImproperlyConfigured("STRIPE_EMULATE_EVENTS must be false in production.")
if _api_key.startswith(("sk_test_", "rk_test_")) and not STRIPE_ALLOW_TEST_MODE:
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY is a test key: set STRIPE_ALLOW_TEST_MODE=true only for a "
        "demonstration that moves no money."
    )

# E-mail carries the notices a bidder must not miss (won, outbid, the payment deadline): the
# mail server comes from EMAIL_URL (smtp+tls://user:password@host:587), and without it
# production refuses to start rather than write every e-mail to the console. A backend named
# outright in EMAIL_BACKEND (a demonstration's console, a provider's package) is taken as chosen.
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
elif not env.str("EMAIL_BACKEND", default=""):
    raise ImproperlyConfigured(
        "EMAIL_URL must name the mail server, e.g. smtp+tls://user:password@host:587 "
        "(or EMAIL_BACKEND a backend chosen on purpose)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
