"""Python run in a fresh process under chosen settings, its last printed line read as JSON.

For what the test process cannot show itself: the embedded default (SQLite,
no Redis) while the suite runs on PostgreSQL, or settings read at start-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.harness.servers import ROOT

# The environment variables the settings read: left out unless a test passes them.
SETTINGS_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "STRIPE_API_BASE",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_ALLOW_TEST_MODE",
    "STRIPE_EMULATE_EVENTS",
    "AUDIT_SIGNING_KEY",
    "ALLOWED_HOSTS",
    "SECRET_KEY",
    "DEBUG",
    "TIME_ZONE",
    "EMAIL_URL",
    "EMAIL_BACKEND",
    "DB_POOL_MAX_SIZE",
    "DB_POOL_MIN_SIZE",
    "DB_POOL_TIMEOUT",
    "DB_CONN_MAX_AGE",
)


def run_json(
    code: str,
    env: dict[str, str],
    *,
    module: str = "config.settings.base",
    timeout: float | None = None,
) -> Any:
    """Run `code` with `env` over the settings module; the JSON it printed last."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in SETTINGS_VARIABLES and not k.startswith("DJANGO")
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**clean, "DJANGO_SETTINGS_MODULE": module, **env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
