"""Shared fixtures: users of every role, real web processes, the browser."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from tests.harness.servers import ROOT, Server, start_web

ARTIFACTS = ROOT / "tests" / "artifacts"

# Playwright's sync API keeps an event loop on the main thread; the test code itself
# stays synchronous, so Django's guard against ORM calls from async code is lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _second_factor_proved_at_test_log_in(request: Any, monkeypatch: Any) -> None:
    """The test client's `login`/`force_login` leave a session whose second factor is proved.

    Court staff must prove one after the password (accounts/mfa.py); tests of other pages
    start from a signed-in session as after that proof. Tests marked `real_second_factor`
    (tests/accounts/test_second_factor.py) go through the real pages instead.
    """
    if request.node.get_closest_marker("real_second_factor"):
        return
    import time

    from django.test import Client

    original = Client._login

    def _login(self: Any, user: Any, backend: Any = None) -> None:
        from accounts.mfa import SESSION_PROVED_AT

        original(self, user, backend)
        session = self.session
        session[SESSION_PROVED_AT] = time.time()
        session.save()

    monkeypatch.setattr(Client, "_login", _login)


@pytest.fixture(autouse=True)
def _english_by_default(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def court(db: None) -> Any:
    from accounts.organisations import Court

    return Court.objects.create(
        code="RYC",
        name_ar="محكمة التنفيذ بالرياض",
        name_en="Riyadh Execution Court",
        city="Riyadh",
        time_zone="Asia/Riyadh",
        currency="SAR",
    )


@pytest.fixture
def other_court(db: None) -> Any:
    from accounts.organisations import Court

    return Court.objects.create(
        code="KWC",
        name_ar="إدارة التنفيذ بالكويت",
        name_en="Kuwait Execution Department",
        city="Kuwait City",
        time_zone="Asia/Kuwait",
        currency="KWD",
    )


_id_counter = iter(range(1, 10**6))


def pixel_bomb() -> bytes:
    """A PNG of a few kilobytes that would decode to 81 million pixels."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (9_000, 9_000)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def make_user(
    role: str = "BIDDER",
    *,
    court: Any = None,
    verified: bool = False,
    second_factor: bool | None = None,
    **fields: Any,
) -> Any:
    """A user; court staff get a confirmed authenticator app unless `second_factor=False`.

    Its secret is random: browser and HTTP tests type its codes after the password
    (tests/harness/second_factor.py), as a person would.
    """
    from accounts.models import IdentityStatus, IdKind, User

    number = next(_id_counter)
    defaults: dict[str, Any] = {
        "full_name": f"Test Person {number}",
        "id_kind": IdKind.PASSPORT,
        "id_country": "SA",
        "id_number": f"T{number:07d}",
        "phone": "+966501234567",
        "role": role,
        "court": court,
        "preferred_language": "en",
    }
    if verified:
        defaults.update(
            identity_status=IdentityStatus.VERIFIED, identity_reviewed_at=timezone.now()
        )
    defaults.update(fields)
    email = defaults.pop("email", f"user{number}-{uuid.uuid4().hex[:6]}@example.com")
    user = User.objects.create_user(email, PASSWORD, **defaults)
    if second_factor is None:
        second_factor = role in ("EXECUTION_STAFF", "FINANCE_STAFF", "SUPERVISOR")
    if second_factor:
        import pyotp

        from accounts.models import TotpDevice

        TotpDevice.objects.create(
            user=user,
            secret=pyotp.random_base32(),
            created_at=timezone.now(),
            confirmed_at=timezone.now(),
        )
    return user


@pytest.fixture
def user_factory(db: None) -> Any:
    return make_user


@pytest.fixture
def bidder(db: None) -> Any:
    return make_user("BIDDER", verified=True)


@pytest.fixture
def staff(court: Any) -> Any:
    return make_user("EXECUTION_STAFF", court=court)


@pytest.fixture
def finance(court: Any) -> Any:
    return make_user("FINANCE_STAFF", court=court)


@pytest.fixture
def supervisor(court: Any) -> Any:
    return make_user("SUPERVISOR", court=court)


def server_env() -> dict[str, str]:
    """Environment for web processes that share the test database and a private Redis prefix."""
    database = settings.DATABASES["default"]
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}"
    )
    return {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test_server",
        "CHANNEL_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "MEDIA_ROOT": str(ROOT / "var" / "test-media"),
        "PRIVATE_MEDIA_ROOT": str(ROOT / "var" / "test-private"),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session")
def web_servers(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Server]]:
    """One daphne and one uvicorn process on the test database, sharing one Redis."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("web process tests need PostgreSQL (make test provides it)")
    env = server_env()
    # The test process publishes live events and group messages too: same prefixes as the servers.
    settings.LIVE_PREFIX = f"{env['CHANNEL_PREFIX']}:live"
    layer = settings.CHANNEL_LAYERS["default"]
    if "CONFIG" in layer:
        layer["CONFIG"]["prefix"] = env["CHANNEL_PREFIX"]
        from channels.layers import channel_layers

        channel_layers.backends.clear()
    log_dir = ARTIFACTS / "logs"
    servers = {kind: start_web(kind, env, log_dir) for kind in ("daphne", "uvicorn")}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def _close_worker_connections(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Bid worker threads keep their connection; close them so the test database can be dropped."""
    yield
    import sys

    if "auction.bidding.batcher" in sys.modules:
        with django_db_blocker.unblock():
            sys.modules["auction.bidding.batcher"].close_connections()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module.

    Playwright's sync API keeps an event loop running in the main thread while it
    is started; stopping it after each module gives the main thread back, so the
    test client can call the async views (such as /healthz) in later tests.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def screenshot_dir() -> Path:
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
