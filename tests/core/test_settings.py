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
    assert found["layer"] == "core.channel_layer.RedisChannelLayer"
    config = found["layer_config"]
    assert config["hosts"][0]["address"] == "redis://127.0.0.1:6379/3"
    assert config["hosts"][0]["max_connections"] >= 1000
    assert config["capacity"] > 100
    assert found["stripe"] == "https://payments.internal"
    assert found["time_zone"] == "Asia/Kuwait"
    assert found["debug"] is False


PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 20 + "-a-real-long-random-secret-for-production-0123456789",
    "ALLOWED_HOSTS": "mazad.example.gov",
    "DATABASE_URL": "postgres://mazad:mazad@127.0.0.1:5432/mazad",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "AUDIT_SIGNING_KEY": "2Tq8vS1mW0yJm0Uo3b8mK4n7aXQ6yR1sZp9cVb2dE5k=",
    "EMAIL_URL": "smtp+tls://notices:p%40ss@mail.court.example:587",
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

    websocket = application.app.application_mapping["websocket"]
    assert isinstance(websocket, ServerSend)  # it only keeps the server's send for the hub
    assert isinstance(websocket.app, OriginValidator)


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
