"""Settings read from the environment; the defaults serve `make run` on one machine."""

import base64
import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django_stubs_ext
import environ
from django.utils.translation import gettext_lazy as _

from core import logs, sentry
from core.redis_urls import channel_layer_host

django_stubs_ext.monkeypatch()  # lets admin classes be written ModelAdmin[Model]

# The order of the P-256 group: a private key is a number below it.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Every variable read here is documented in README.md (a test checks).
SECRET_KEY: str = env.str(
    "SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789"
)
# Django's technical pages (tracebacks, the list of URL patterns) are for a developer at their
# own machine only: off unless DEBUG is set on purpose. People always get the site's own error
# pages (frontend/views.py), `make run` included.
DEBUG: bool = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE: str = env.str("TIME_ZONE", default="Asia/Riyadh")
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "axes",
    "csp",
    "oauth2_provider",
    "core",
    "accounts",
    "notifications",
    "enforcement",
    "auction",
    "payments",
    "support",
    "aftersale",
    "frontend",
    "demo",
]

MIDDLEWARE = [
    # First: the request id, the access line and the HTTP metrics see every answer.
    "core.middleware.RequestObservation",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session and CSRF middleware: sees the cookies they set (core/http_cache.py).
    "core.http_cache.PublicPageHeaders",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PreferredLanguageMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "accounts.middleware.CourtTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "frontend.middleware.MethodNotAllowedPage",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a lockout into its answer page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "frontend.context_processors.site",
            ],
        },
    },
]

# Database: PostgreSQL when DATABASE_URL is set; otherwise an embedded SQLite
# file in WAL mode whose write transactions take the lock at BEGIN (IMMEDIATE),
# so two writers queue instead of failing with "database is locked" mid-way.
SQLITE_PATH = Path(env.str("SQLITE_PATH", default=str(BASE_DIR / "var" / "mazad.sqlite3")))

# On PostgreSQL, a process that serves people (production settings, and the web processes the
# test suite starts) keeps a pool of open connections: under ASGI every request runs its view
# in a thread of its own, and Django keeps connections per thread, so without a pool each
# request would open (and PostgreSQL start) a session of its own. DB_POOL_MAX_SIZE=0 turns the
# pool off; DB_CONN_MAX_AGE then says how long a thread keeps its connection.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }


def pool_connections(databases: dict[str, dict[str, Any]], default_size: int) -> None:
    """Give the PostgreSQL database a pool of DB_POOL_MAX_SIZE connections (0: no pool).

    A connection is checked when it leaves the pool (CONN_HEALTH_CHECKS), so one that a
    restart or a failover closed while it waited is replaced rather than handed to a
    request. A request that finds every connection in use, or the database unreachable,
    waits up to DB_POOL_TIMEOUT seconds (a failover shorter than that is ridden through),
    then is answered "service unavailable" like any other lost database. While the database
    is unreachable the pool tries again within about two seconds of each request, never
    backing off for longer, so it is back as soon as the database is.
    """
    database = databases["default"]
    size = env.int("DB_POOL_MAX_SIZE", default=default_size)
    if database["ENGINE"] != "django.db.backends.postgresql" or size <= 0:
        return
    database["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not the threads
    database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(size, env.int("DB_POOL_MIN_SIZE", default=2)),
        "max_size": size,
        "timeout": env.float("DB_POOL_TIMEOUT", default=5.0),
        "max_idle": 300.0,
        "reconnect_timeout": 2.0,
    }


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer: Redis when REDIS_URL is set, in memory (one process) otherwise.
# Capacity is raised from channels_redis' default of 100 because it drops
# messages over capacity silently; max_connections is explicit because redis-py
# errors instead of waiting when its pool runs out during a reconnect storm; the
# socket timeout is raised because redis-py 8 defaults to 5 s, which equals
# channels_redis' blocking-pop timeout and kills every idle consumer after 5 s.
# REDIS_URL may name Sentinels instead of a server (redis+sentinel://..., core/redis_urls.py).
REDIS_URL: str = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "core.live.channel_layer.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    channel_layer_host(
                        REDIS_URL,
                        max_connections=1000,
                        socket_timeout=30,
                        socket_connect_timeout=5,
                        socket_keepalive=True,
                    )
                ],
                "capacity": 1500,
                "expiry": 60,
                "group_expiry": 86400,
                "prefix": env.str("CHANNEL_PREFIX", default="mazad"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Cache of rendered page parts (the catalog's cards, core/http_cache.py): Redis when REDIS_URL
# is set, so every web process shares one render; in process memory otherwise.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CHANNEL_PREFIX", default="mazad") + ":cache",
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Anonymous readers share whole public pages (the catalog, a lot's page) from that cache until
# what they show changes (core/http_cache.py, `shared_page`).
SHARED_PUBLIC_PAGES: bool = env.bool("SHARED_PUBLIC_PAGES", default=True)
# A staff list's page below its heading (the letters: rows, counts, page links) is kept in
# that cache until one of its letters changes (enforcement/views/letters.py, `letter_list`).
CACHED_STAFF_LISTS: bool = env.bool("CACHED_STAFF_LISTS", default=True)

# Live events: published once per event to Redis pub/sub (or in process without Redis) and
# fanned out by each web process's hub (core/live/hub.py).
LIVE_PREFIX: str = env.str("CHANNEL_PREFIX", default="mazad") + ":live"
LIVE_CONFLATE_MS: int = env.int("LIVE_CONFLATE_MS", default=0)
LIVE_FRAME_INTERVAL_MS: int = env.int("LIVE_FRAME_INTERVAL_MS", default=50)
LIVE_SOCKET_QUEUE: int = env.int("LIVE_SOCKET_QUEUE", default=64)
LIVE_MAX_OVERFLOWS = 3
# Flood limits: messages per socket and bids per user (per process), as a burst refilled at a
# rate per second. Benchmarks of capacity raise them; production keeps them.
LIVE_SOCKET_BURST: int = env.int("LIVE_SOCKET_BURST", default=30)
LIVE_SOCKET_RATE: float = env.float("LIVE_SOCKET_RATE", default=10.0)
LIVE_BID_BURST: int = env.int("LIVE_BID_BURST", default=10)
LIVE_BID_RATE: float = env.float("LIVE_BID_RATE", default=4.0)

# Background coroutines of each web process (core/background.py). The platform heartbeat
# always runs; the auction clock runs inside the web process only in the embedded mode.
CLOCK_IN_PROCESS: bool = env.bool(
    "CLOCK_IN_PROCESS", default=not env.str("DATABASE_URL", default="")
)
BACKGROUND_TASKS = ["auction.background.platform_heartbeat"]
if CLOCK_IN_PROCESS:
    BACKGROUND_TASKS.append("auction.background.embedded_clock")
# How far ahead staff may schedule an auction's opening or close (core/inputs.py).
AUCTION_HORIZON_DAYS: int = env.int("AUCTION_HORIZON_DAYS", default=365)
# Processes of `run_auction_clock` that close lots (its main one included).
CLOCK_CLOSERS: int = env.int("CLOCK_CLOSERS", default=2)
# Letters unanswered past their due date: a reminder to the agency every this many days (the
# first the day after the due date), and after this many reminders the court's judges are told.
LETTER_REMINDER_INTERVAL_DAYS: int = max(1, env.int("LETTER_REMINDER_INTERVAL_DAYS", default=7))
LETTER_ESCALATE_AFTER_REMINDERS: int = max(1, env.int("LETTER_ESCALATE_AFTER_REMINDERS", default=3))

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.RoleBackend"]
# Login throttling: five failures for one e-mail from one address lock that pair out for a
# quarter of an hour; a successful login resets the count. Across addresses, one account is
# capped by accounts/throttle.py (10 failures in 15 minutes: a 5-minute cooldown).
AXES_ENABLED: bool = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT: int = env.int("AXES_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Content Security Policy: scripts only from this site (no inline scripts, no eval); the
# sockets of this site; Bootstrap's style attributes are the one inline allowance.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        # The installable app: its manifest and its service worker (frontend/app.py), from here.
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "frontend.views.csrf_failure"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "frontend:workspace"
LOGOUT_REDIRECT_URL = "frontend:home"

LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "mazad_language"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing root
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/plex-arabic", NODE_MODULES / "@fontsource" / "ibm-plex-sans-arabic"),
    ("vendor/plex", NODE_MODULES / "@fontsource" / "ibm-plex-sans"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
]
# Static files straight from the apps and node_modules (no collectstatic step) outside production.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT: str = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
# Signed checkpoints of the audit chains: a place outside the database (core/audit_chain.py).
AUDIT_CHECKPOINT_DIR: str = env.str(
    "AUDIT_CHECKPOINT_DIR", default=str(BASE_DIR / "var" / "audit-checkpoints")
)
AUDIT_SIGNING_KEY: str = env.str("AUDIT_SIGNING_KEY", default="")
AUDIT_CHECKPOINT_MINUTES: int = env.int("AUDIT_CHECKPOINT_MINUTES", default=10)
# Each court's own Ed25519 key for signed bid receipts, "CODE=base64 key" pairs separated by
# commas (core/receipt_signing.py); a court without one signs with AUDIT_SIGNING_KEY.
RECEIPT_SIGNING_KEYS: dict[str, str] = env.dict("RECEIPT_SIGNING_KEYS", default={})
# Signed court documents (core/pdf_signing.py, docs/signed-documents.md): per court code, its
# PAdES key and certificate chain, "CODE=/path/court.p12" pairs (or CODE=env:VARIABLE holding a
# base64 PKCS#12); a passphrase in COURT_SIGNING_PASSPHRASE_<CODE>. The trust anchors are PEM
# files of the certificate authorities that issue the courts' certificates.
COURT_SIGNING_KEYS: dict[str, str] = env.dict("COURT_SIGNING_KEYS", default={})
COURT_SIGNING_TRUST_ROOTS: list[str] = env.list("COURT_SIGNING_TRUST_ROOTS", default=[])
# An RFC 3161 time-stamping authority: signatures become PAdES B-T instead of B-B.
COURT_SIGNING_TSA_URL: str = env.str("COURT_SIGNING_TSA_URL", default="")
# Development and tests: a court without a configured key gets one from a self-signed
# development CA kept in COURT_SIGNING_DEV_DIR. Production refuses it.
COURT_SIGNING_DEV_KEYS: bool = env.bool("COURT_SIGNING_DEV_KEYS", default=True)
COURT_SIGNING_DEV_DIR: str = env.str(
    "COURT_SIGNING_DEV_DIR", default=str(BASE_DIR / "var" / "signing-dev")
)
# Checks of signed receipts (/receipts/verify/ and its JSON API) per client address and window
# (core/rate_limits.py): a check costs a signature verification and needs no account.
RECEIPT_VERIFY_LIMIT: int = env.int("RECEIPT_VERIFY_LIMIT", default=30)
RECEIPT_VERIFY_WINDOW_SECONDS: int = env.int("RECEIPT_VERIFY_WINDOW_SECONDS", default=600)
# Identity documents and other personal files: never under MEDIA_ROOT, only served by views
# that check the reader's rights.
PRIVATE_MEDIA_ROOT: str = env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))

# Object storage (core/storage.py): each store whose bucket is named lives in an S3-compatible
# store; the others stay on the local disk above. Private files are served by signed URLs that
# expire after S3_SIGNED_URL_SECONDS; audit checkpoints are put under object lock for
# S3_AUDIT_RETENTION_DAYS (0: no lock, for a store without it).
S3_ENDPOINT_URL: str = env.str("S3_ENDPOINT_URL", default="")
S3_PUBLIC_ENDPOINT_URL: str = env.str("S3_PUBLIC_ENDPOINT_URL", default="")
S3_REGION: str = env.str("S3_REGION", default="us-east-1")
S3_ACCESS_KEY_ID: str = env.str("S3_ACCESS_KEY_ID", default="")
S3_SECRET_ACCESS_KEY: str = env.str("S3_SECRET_ACCESS_KEY", default="")
S3_BUCKET_MEDIA: str = env.str("S3_BUCKET_MEDIA", default="")
S3_BUCKET_PRIVATE: str = env.str("S3_BUCKET_PRIVATE", default="")
S3_BUCKET_AUDIT: str = env.str("S3_BUCKET_AUDIT", default="")
S3_SIGNED_URL_SECONDS: int = env.int("S3_SIGNED_URL_SECONDS", default=60)
S3_AUDIT_RETENTION_DAYS: int = env.int("S3_AUDIT_RETENTION_DAYS", default=3650)


def s3_store(
    bucket: str,
    backend: str = "core.storage.S3Store",
    *,
    endpoint_url: str = S3_ENDPOINT_URL,
    public_endpoint_url: str = S3_PUBLIC_ENDPOINT_URL,
    region: str = S3_REGION,
    access_key: str = S3_ACCESS_KEY_ID,
    secret_key: str = S3_SECRET_ACCESS_KEY,
    **options: object,
) -> dict[str, object]:
    """The STORAGES entry of one bucket of the S3-compatible store (core/storage.py)."""
    return {
        "BACKEND": backend,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "public_endpoint_url": public_endpoint_url or None,
            "region_name": region,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "addressing_style": "path",
            "signature_version": "s3v4",
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": S3_SIGNED_URL_SECONDS,
            **options,
        },
    }


STORAGES = {
    "default": s3_store(S3_BUCKET_MEDIA)
    if S3_BUCKET_MEDIA
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": s3_store(S3_BUCKET_PRIVATE)
    if S3_BUCKET_PRIVATE
    else {"BACKEND": "core.storage.PrivateFileSystemStorage"},
    "audit": s3_store(
        S3_BUCKET_AUDIT,
        "core.storage.WriteOnceS3Store",
        retention_days=S3_AUDIT_RETENTION_DAYS,
    )
    if S3_BUCKET_AUDIT
    else {"BACKEND": "core.storage.AuditFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if S3_BUCKET_PRIVATE:
    # Private photos come from the store, by a redirect to a signed URL of it.
    _store_url = urlsplit(
        S3_PUBLIC_ENDPOINT_URL or S3_ENDPOINT_URL or f"https://s3.{S3_REGION}.amazonaws.com"
    )
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(
        f"{_store_url.scheme}://{_store_url.netloc}"
    )
# The public map's tiles (auction/places.py): a court's own tile server, as a Leaflet URL
# template such as https://tiles.court.example/{z}/{x}/{y}.png. Empty: the map is drawn
# without tiles and no request leaves the site. Its origin is admitted by the image policy.
MAP_TILE_URL: str = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION: str = env.str("MAP_TILE_ATTRIBUTION", default="")
if MAP_TILE_URL:
    _tiles = urlsplit(MAP_TILE_URL.replace("{s}", "*"))  # {s}.tiles.example: any subdomain
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tiles.netloc}")
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

EMAIL_BACKEND: str = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="Mazad <no-reply@mazad.example>")
# How long the outbox waits for the mail server before it retries the notice later.
EMAIL_TIMEOUT: int = env.int("EMAIL_TIMEOUT", default=10)

# SMS notices through a generic HTTP gateway (notifications/sms.py); empty URL: no SMS.
SMS_GATEWAY_URL: str = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN: str = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_SENDER_ID: str = env.str("SMS_SENDER_ID", default="Mazad")
SMS_GATEWAY_TIMEOUT_SECONDS: float = env.float("SMS_GATEWAY_TIMEOUT_SECONDS", default=5.0)
# The outbox's retries: the wait doubles from the base up to the cap; after the last
# attempt a delivery is given up (kept, counted, and requeued by an operator).
NOTICE_RETRY_BASE_SECONDS: int = env.int("NOTICE_RETRY_BASE_SECONDS", default=30)
NOTICE_RETRY_MAX_SECONDS: int = env.int("NOTICE_RETRY_MAX_SECONDS", default=3600)
NOTICE_MAX_ATTEMPTS: int = env.int("NOTICE_MAX_ATTEMPTS", default=20)

# Payment provider: a Stripe-compatible API (stripe-mock in development and tests).
STRIPE_API_BASE: str = env.str("STRIPE_API_BASE", default="http://127.0.0.1:12111")
STRIPE_SECRET_KEY: str = env.str("STRIPE_SECRET_KEY", default="sk_test_mazad")
STRIPE_WEBHOOK_SECRET: str = env.str("STRIPE_WEBHOOK_SECRET", default="whsec_mazad_development")
STRIPE_TIMEOUT_SECONDS: float = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
# Development only: post the signed events stripe-mock never sends (payments/emulator.py).
STRIPE_EMULATE_EVENTS: bool = env.bool("STRIPE_EMULATE_EVENTS", default=False)

# Web push (accounts/webpush.py; README, "Notifications on the phone"): the VAPID key that signs
# every push, base64url of the 32-byte P-256 private key. Outside production an unset key is
# derived from SECRET_KEY, so every process of one deployment signs with the same key;
# production leaves push off without one (config/settings/production.py).
WEBPUSH_VAPID_PRIVATE_KEY: str = env.str("WEBPUSH_VAPID_PRIVATE_KEY", default="") or (
    base64.urlsafe_b64encode(
        (
            int.from_bytes(hashlib.sha256(b"mazad web push " + SECRET_KEY.encode()).digest())
            % (_P256_ORDER - 1)
            + 1
        ).to_bytes(32, "big")
    )
    .rstrip(b"=")
    .decode()
)
# Who the push services may contact about our pushes: a mailto: or https: address.
WEBPUSH_VAPID_SUBJECT: str = env.str("WEBPUSH_VAPID_SUBJECT", default="mailto:help@mazad.example")
# The push services a browser's subscription may point at: host names (a leading "*." for any
# subdomain), always over HTTPS. An entry with a scheme is one exact origin (tests' loopback).
WEBPUSH_PUSH_SERVICES: list[str] = env.list(
    "WEBPUSH_PUSH_SERVICES",
    default=[
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "*.push.apple.com",
        "*.notify.windows.com",
    ],
)
WEBPUSH_TIMEOUT_SECONDS: float = env.float("WEBPUSH_TIMEOUT_SECONDS", default=10.0)

# National digital-ID sign-in over OpenID Connect, one provider per country
# (accounts/digital_id.py; README, "Digital-ID sign-in"). DIGITAL_ID_COUNTRIES lists the
# countries whose provider is configured; each reads DIGITAL_ID_<COUNTRY>_<SETTING>.
DIGITAL_ID_COUNTRIES: list[str] = env.list("DIGITAL_ID_COUNTRIES", default=[])
DIGITAL_ID_TIMEOUT_SECONDS: float = env.float("DIGITAL_ID_TIMEOUT_SECONDS", default=10.0)
DIGITAL_ID_PROVIDERS: dict[str, dict[str, str]] = {
    country.upper(): {
        "issuer": env.str(f"DIGITAL_ID_{country.upper()}_ISSUER"),
        "client_id": env.str(f"DIGITAL_ID_{country.upper()}_CLIENT_ID"),
        "client_secret": env.str(f"DIGITAL_ID_{country.upper()}_CLIENT_SECRET"),
        "name_en": env.str(f"DIGITAL_ID_{country.upper()}_NAME_EN", default="national digital ID"),
        "name_ar": env.str(f"DIGITAL_ID_{country.upper()}_NAME_AR", default="الهوية الرقمية"),
        "scopes": env.str(f"DIGITAL_ID_{country.upper()}_SCOPES", default="openid profile"),
        "national_id_claim": env.str(
            f"DIGITAL_ID_{country.upper()}_CLAIM_NATIONAL_ID", default="national_id"
        ),
        "name_claim": env.str(f"DIGITAL_ID_{country.upper()}_CLAIM_NAME", default="name"),
        "birthdate_claim": env.str(
            f"DIGITAL_ID_{country.upper()}_CLAIM_BIRTHDATE", default="birthdate"
        ),
    }
    for country in DIGITAL_ID_COUNTRIES
}
# The browser is sent to each provider by a form's answer: the pages' policy admits them.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].extend(
    f"{urlsplit(p['issuer']).scheme}://{urlsplit(p['issuer']).netloc}"
    for p in DIGITAL_ID_PROVIDERS.values()
)

SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Logs (core/logs.py): one line an event on stderr, JSON (production's default) or text, each
# with the request id it belongs to; one access line a request (`mazad.access`, at INFO).
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT: str = env.str("LOG_FORMAT", default="text")
LOGGING = logs.config(LOG_FORMAT, LOG_LEVEL)

# Metrics (core/metrics.py): Prometheus exposition on a port of its own, for the process family
# given one (web processes, the clock's main process, the worker); unset serves none.
METRICS_PORT: int = env.int("METRICS_PORT", default=0)
METRICS_HOST: str = env.str("METRICS_HOST", default="127.0.0.1")
# The state the web processes read from the database at each scrape.
METRICS_COLLECTORS = [
    "payments.metrics.PaymentState",
    "auction.metrics.LotState",
    "auction.metrics.NoticeState",
    "core.metrics.ReplicationState",
    "core.metrics.HeartbeatState",
    "notifications.metrics.OutboxState",
]

# Error reports to Sentry (or a compatible server) only when SENTRY_DSN is set.
SENTRY_DSN: str = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT: str = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_TRACES_SAMPLE_RATE: float = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
sentry.configure(SENTRY_DSN, SENTRY_ENVIRONMENT, SENTRY_TRACES_SAMPLE_RATE)

# Agencies online (docs/agencies.md): agency systems are OAuth2 client-credentials clients
# (django-oauth-toolkit), each bound to one agency with scopes per kind of order.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "enforcement.oauth.AgencyScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("AGENCY_TOKEN_SECONDS", default=3600),
    # Only client credentials are used; the OAuth 2.0 Security BCP (RFC 9700) in full.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# Days an agency has to answer a structured request before it shows as overdue.
AGENCY_REQUEST_DUE_DAYS: int = env.int("AGENCY_REQUEST_DUE_DAYS", default=7)
# Webhook deliveries: attempts before giving up, the first retry's delay (doubling each time),
# the time an agency endpoint has to answer, and the tolerance receivers give the timestamp.
AGENCY_WEBHOOK_ATTEMPTS: int = env.int("AGENCY_WEBHOOK_ATTEMPTS", default=8)
AGENCY_WEBHOOK_BACKOFF_SECONDS: int = env.int("AGENCY_WEBHOOK_BACKOFF_SECONDS", default=30)
AGENCY_WEBHOOK_TIMEOUT_SECONDS: float = env.float("AGENCY_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Requests an agency application may make a minute on the agencies API (per application).
AGENCY_API_RATE: str = env.str("AGENCY_API_RATE", default="120/m")

MAZAD_NAME = _("Mazad — Electronic Judicial Auctions")
