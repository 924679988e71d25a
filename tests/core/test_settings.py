"""Settings come from the environment; without it they fall back to the embedded default."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.harness.servers import ROOT
from tests.harness.snippets import SETTINGS_VARIABLES, run_json

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    journal = None
    if connection.vendor == "sqlite":
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "options": {k: str(v) for k, v in settings.DATABASES["default"].get("OPTIONS", {}).items()},
    "journal": journal,
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "layer_config": settings.CHANNEL_LAYERS["default"].get("CONFIG"),
    "stripe": settings.STRIPE_API_BASE,
    "time_zone": settings.TIME_ZONE,
    "debug": settings.DEBUG,
}))
"""


def probe(env: dict[str, str], module: str = "config.settings.base") -> dict[str, object]:
    found: dict[str, object] = run_json(PROBE, env, module=module)
    return found


def test_without_environment_the_embedded_default_is_sqlite_in_wal_mode_with_memory_layer(tmp_path):
    found = probe({"SQLITE_PATH": str(tmp_path / "embedded.sqlite3")})

    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["journal"] == "wal"
    assert found["options"]["transaction_mode"] == "IMMEDIATE"
    assert found["layer"] == "channels.layers.InMemoryChannelLayer"
    assert found["stripe"] == "http://127.0.0.1:12111"
    assert found["debug"] is False, "technical error pages only when a developer sets DEBUG"


def test_with_environment_the_settings_use_postgresql_redis_and_the_given_values():
    # The probe opens a connection, so it points at the real test services.
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        pytest.skip("needs DATABASE_URL (make test sets it)")

    found = probe(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": "redis://127.0.0.1:6379/3",
            "STRIPE_API_BASE": "https://payments.internal",
            "TIME_ZONE": "Asia/Kuwait",
            "DEBUG": "false",
        }
    )

    assert found["engine"] == "django.db.backends.postgresql"
    assert found["layer"] == "core.live.channel_layer.RedisChannelLayer"
    config = found["layer_config"]
    assert config["hosts"][0]["address"] == "redis://127.0.0.1:6379/3"
    assert config["hosts"][0]["max_connections"] >= 1000
    assert config["capacity"] > 100
    assert found["stripe"] == "https://payments.internal"
    assert found["time_zone"] == "Asia/Kuwait"
    assert found["debug"] is False


def production_signing() -> dict[str, str]:
    """A court's key and its authority's certificate, as a court's IT department sets them."""
    from cryptography.hazmat.primitives import serialization

    from core import pdf_signing

    directory = ROOT / "var" / "test-production-signing"
    key, root = directory / "RYC.pem", directory / "root.pem"
    if not (key.is_file() and root.is_file()):
        directory.mkdir(parents=True, exist_ok=True)
        authority = pdf_signing.make_authority("Test courts' CA")
        court = pdf_signing.court_certificate(
            authority, code="RYC", name_en="Riyadh Execution Court"
        )
        key.write_bytes(pdf_signing.pem_bundle(court))
        root.write_bytes(authority.certificate.public_bytes(serialization.Encoding.PEM))
    return {"COURT_SIGNING_KEYS": f"RYC={key}", "COURT_SIGNING_TRUST_ROOTS": str(root)}


PRODUCTION_ENV = {
    **production_signing(),
    "SECRET_KEY": "x" * 20 + "-a-real-long-random-secret-for-production-0123456789",
    "ALLOWED_HOSTS": "mazad.example.gov",
    "DATABASE_URL": "postgres://mazad:mazad@127.0.0.1:5432/mazad",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "AUDIT_SIGNING_KEY": "2Tq8vS1mW0yJm0Uo3b8mK4n7aXQ6yR1sZp9cVb2dE5k=",
    "EMAIL_URL": "smtp+tls://notices:p%40ss@mail.court.example:587",
    "STRIPE_SECRET_KEY": "sk_live_51Qz8JmPcV2sXyT7nLkR4wB9dHf3GtE6aU1oIq0ZrY5vN",
    "STRIPE_WEBHOOK_SECRET": "whsec_9fK2mQ7xV4pL8cT1nR6wB3yH5dJ0gZsA",
}

MAIL_PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name) for name in (
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
)}))
"""


def run_manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in SETTINGS_VARIABLES and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
    )


POOL_PROBE = """
import json, threading, django
from django.conf import settings
django.setup()
from django.db import connection

backends = []

def request():
    # As a request's thread under ASGI: its own connection object, closed at the end.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backends.append(cursor.fetchone()[0])
    connection.close()

for _ in range(5):
    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
database = settings.DATABASES["default"]
print(json.dumps({
    "pool": database.get("OPTIONS", {}).get("pool"),
    "max_age": database["CONN_MAX_AGE"],
    "sessions": len(set(backends)),
}))
"""


def test_production_settings_keep_a_pool_of_connections_the_requests_threads_share():
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        pytest.skip("needs DATABASE_URL (make test sets it)")
    env = {**PRODUCTION_ENV, "DATABASE_URL": database_url}

    pooled = run_json(
        POOL_PROBE, {**env, "DB_POOL_MAX_SIZE": "1"}, module="config.settings.production"
    )
    unpooled = run_json(
        POOL_PROBE, {**env, "DB_POOL_MAX_SIZE": "0"}, module="config.settings.production"
    )

    assert pooled["pool"] == {
        "min_size": 1, "max_size": 1, "timeout": 5.0, "max_idle": 300.0, "reconnect_timeout": 2.0,
    }  # fmt: skip
    assert pooled["max_age"] == 0
    assert pooled["sessions"] == 1, "five requests' threads, one PostgreSQL session"
    assert unpooled["pool"] is None
    assert unpooled["sessions"] == 5, "without the pool each thread opens its own"


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("hosts", ["*", "mazad.example.gov,*", ""])
def test_production_settings_refuse_a_wildcard_or_empty_allowed_hosts(hosts):
    result = run_manage(["check"], {**PRODUCTION_ENV, "ALLOWED_HOSTS": hosts})

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_settings_refuse_the_development_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}

    result = run_manage(["check"], env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_websocket_router_checks_the_origin_in_production():
    from channels.security.websocket import OriginValidator

    from config.asgi import ServerSend, application
    from core.logs import SocketRequestId

    websocket = application.app.application_mapping["websocket"]
    assert isinstance(websocket, ServerSend)  # it only keeps the server's send for the hub
    assert isinstance(websocket.app, SocketRequestId)  # it only binds the socket's request id
    assert isinstance(websocket.app.app, OriginValidator)


def test_production_settings_refuse_to_start_without_the_audit_signing_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_SIGNING_KEY"}

    result = run_manage(["check"], env)

    assert result.returncode != 0
    assert "AUDIT_SIGNING_KEY" in result.stderr


def test_production_settings_take_the_mail_server_from_email_url():
    found = run_json(MAIL_PROBE, PRODUCTION_ENV, module="config.settings.production")

    assert found == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.court.example",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "notices",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
    }


def test_production_settings_refuse_to_start_without_a_mail_server():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"}

    result = run_manage(["check"], env)

    assert result.returncode != 0
    assert "EMAIL_URL must name the mail server" in result.stderr


def test_production_settings_keep_a_backend_named_on_purpose():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"}
    env["EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"

    found = run_json(MAIL_PROBE, env, module="config.settings.production")

    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


# Each secret published with Mazad (the development defaults, docker-compose.yml's old samples,
# .env.example's placeholders): production refuses it, even where test mode is allowed.
PUBLISHED_SAMPLES = [
    ("STRIPE_WEBHOOK_SECRET", "whsec_mazad_development"),
    ("STRIPE_WEBHOOK_SECRET", "whsec_change_me"),
    ("STRIPE_SECRET_KEY", "sk_test_mazad"),
    ("STRIPE_SECRET_KEY", "sk_test_change_me"),
    ("SECRET_KEY", "change-me-to-a-long-random-value-of-at-least-fifty-characters-0123456789"),
    ("AUDIT_SIGNING_KEY", "OyAGqAxXDHyFcc3J+2If2LwhwuPjjPQ814mFmtw5yes="),
]


@pytest.mark.parametrize(
    ("name", "sample"), PUBLISHED_SAMPLES, ids=[value for _, value in PUBLISHED_SAMPLES]
)
def test_production_settings_refuse_each_published_sample_secret(name, sample):
    env = {**PRODUCTION_ENV, "STRIPE_ALLOW_TEST_MODE": "true", name: sample}

    result = run_manage(["check"], env)

    assert result.returncode != 0
    assert f"{name} must be" in result.stderr
    assert "sample" in result.stderr


def test_production_settings_refuse_every_placeholder_of_the_env_example():
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    secrets = ["SECRET_KEY", "AUDIT_SIGNING_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]

    refused = {
        name: run_manage(
            ["check"], {**PRODUCTION_ENV, "STRIPE_ALLOW_TEST_MODE": "true", name: example[name]}
        ).returncode
        for name in secrets
    }

    assert all(code != 0 for code in refused.values()), refused


@pytest.mark.parametrize("name", ["STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY"])
def test_production_settings_refuse_a_missing_payment_provider_secret(name):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != name}

    result = run_manage(["check"], env)

    assert result.returncode != 0
    assert f"{name} must be" in result.stderr


def test_production_settings_refuse_a_test_key_unless_test_mode_is_allowed():
    env = {**PRODUCTION_ENV, "STRIPE_SECRET_KEY": "sk_test_4eC39HqLyjWDarjtT1zdp7dcQx81"}

    refused = run_manage(["check"], env)
    allowed = run_manage(["check"], {**env, "STRIPE_ALLOW_TEST_MODE": "true"})

    assert refused.returncode != 0
    assert "STRIPE_ALLOW_TEST_MODE" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr


def test_production_settings_refuse_an_audit_key_that_is_not_32_bytes_of_base64():
    env = {**PRODUCTION_ENV, "AUDIT_SIGNING_KEY": "bm90IGEga2V5"}

    result = run_manage(["check"], env)

    assert result.returncode != 0
    assert "AUDIT_SIGNING_KEY must be" in result.stderr


def test_production_settings_refuse_emulated_provider_events():
    env = {**PRODUCTION_ENV, "STRIPE_EMULATE_EVENTS": "true"}

    result = run_manage(["check"], env)

    assert result.returncode != 0
    assert "STRIPE_EMULATE_EVENTS must be false" in result.stderr


@pytest.mark.parametrize("name", ["COURT_SIGNING_KEYS", "COURT_SIGNING_TRUST_ROOTS"])
def test_production_settings_refuse_to_start_without_the_courts_signing_keys(name):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != name}

    result = run_manage(["check"], env)

    assert result.returncode != 0
    assert f"{name} must name" in result.stderr


def test_production_settings_refuse_the_development_signing_keys():
    result = run_manage(["check"], {**PRODUCTION_ENV, "COURT_SIGNING_DEV_KEYS": "true"})

    assert result.returncode != 0
    assert "COURT_SIGNING_DEV_KEYS must be false" in result.stderr


def test_production_settings_refuse_a_court_key_that_is_missing_or_of_another_authority(tmp_path):
    from cryptography.hazmat.primitives import serialization

    from core import pdf_signing

    stranger = pdf_signing.make_authority("Someone else's CA")
    (tmp_path / "root.pem").write_bytes(
        stranger.certificate.public_bytes(serialization.Encoding.PEM)
    )

    missing = run_manage(
        ["check"], {**PRODUCTION_ENV, "COURT_SIGNING_KEYS": f"RYC={tmp_path / 'none.p12'}"}
    )
    foreign = run_manage(
        ["check"], {**PRODUCTION_ENV, "COURT_SIGNING_TRUST_ROOTS": str(tmp_path / "root.pem")}
    )

    assert missing.returncode != 0
    assert "COURT_SIGNING_KEYS[RYC]: no file at" in missing.stderr
    assert foreign.returncode != 0
    assert "does not chain to any of COURT_SIGNING_TRUST_ROOTS" in foreign.stderr


VAPID_KEY = "yW0b7x3Ol3mB9dQ2Jk5sVq8pR1tZc4nE6gH0aL2uF7o"  # a P-256 scalar made for this test


@pytest.mark.parametrize(
    ("key", "subject", "refused"),
    [
        ("not-a-key", "mailto:it@court.example", "WEBPUSH_VAPID_PRIVATE_KEY must be base64url"),
        (
            "h2sA8UW6Glv76_k3H_d7qTQquUIkW-FHfa3C5EDyNSM",
            "mailto:it@court.example",
            "WEBPUSH_VAPID_PRIVATE_KEY must be the deployment's own key",
        ),
        (VAPID_KEY, "", "WEBPUSH_VAPID_SUBJECT must be"),
        (VAPID_KEY, "it@court.example", "WEBPUSH_VAPID_SUBJECT must be"),
    ],
)
def test_production_settings_refuse_a_bad_web_push_key_or_subject(key, subject, refused):
    env = {**PRODUCTION_ENV, "WEBPUSH_VAPID_PRIVATE_KEY": key, "WEBPUSH_VAPID_SUBJECT": subject}

    result = run_manage(["check"], env)

    assert result.returncode != 0
    assert refused in result.stderr


WEBPUSH_PROBE = """
import json, django
from django.conf import settings
django.setup()
from accounts import webpush
print(json.dumps({"enabled": webpush.is_enabled(), "key": settings.WEBPUSH_VAPID_PRIVATE_KEY}))
"""


def test_production_turns_web_push_on_only_with_a_key_of_its_own():
    without = run_json(WEBPUSH_PROBE, PRODUCTION_ENV, module="config.settings.production")
    with_key = run_json(
        WEBPUSH_PROBE,
        {
            **PRODUCTION_ENV,
            "WEBPUSH_VAPID_PRIVATE_KEY": VAPID_KEY,
            "WEBPUSH_VAPID_SUBJECT": "mailto:it@court.example",
        },
        module="config.settings.production",
    )

    assert without == {"enabled": False, "key": ""}
    assert with_key == {"enabled": True, "key": VAPID_KEY}


def test_development_derives_one_web_push_key_for_every_process_from_the_secret_key():
    first = run_json(WEBPUSH_PROBE, {"SECRET_KEY": "a" * 60})
    second = run_json(WEBPUSH_PROBE, {"SECRET_KEY": "a" * 60})
    other = run_json(WEBPUSH_PROBE, {"SECRET_KEY": "b" * 60})

    assert first == second
    assert first["enabled"] is True
    assert other["key"] != first["key"]


def test_production_settings_do_not_start_without_the_second_factor_on_every_page(tmp_path):
    """No setting skips the second factor, and settings that drop its middleware do not start."""
    kept = run_manage(
        ["shell", "-c", "from django.conf import settings; print(settings.MIDDLEWARE)"],
        PRODUCTION_ENV,
    )
    assert kept.returncode == 0, kept.stderr
    assert "'accounts.middleware.SecondFactorMiddleware'" in kept.stdout
    (tmp_path / "without_second_factor.py").write_text(
        "from config.settings import base\n"
        "base.MIDDLEWARE.remove('accounts.middleware.SecondFactorMiddleware')\n"
        "from config.settings.production import *  # noqa: F403\n"
    )

    dropped = run_manage(
        ["check"],
        {
            **PRODUCTION_ENV,
            "DJANGO_SETTINGS_MODULE": "without_second_factor",
            "PYTHONPATH": str(tmp_path),
        },
    )

    assert dropped.returncode != 0
    assert "SecondFactorMiddleware" in dropped.stderr


def test_the_websocket_router_gives_a_session_without_its_second_factor_an_anonymous_socket():
    from channels.auth import AuthMiddleware

    from accounts.sockets import SecondFactorSocketMiddleware
    from config.asgi import application

    chain: list[type] = []
    layer = application.app.application_mapping["websocket"]
    while layer is not None:
        chain.append(type(layer))
        layer = next(
            (
                getattr(layer, name)
                for name in ("app", "application", "inner")
                if hasattr(layer, name)
            ),
            None,
        )

    assert SecondFactorSocketMiddleware in chain
    # Inside the session's authentication, which finds the user it looks at; before the router.
    assert chain.index(AuthMiddleware) < chain.index(SecondFactorSocketMiddleware)
    assert chain.index(SecondFactorSocketMiddleware) == len(chain) - 2
