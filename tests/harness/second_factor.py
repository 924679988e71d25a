"""Proving the second factor after the password, as a person with an authenticator app does.

Court staff made by tests/conftest.py `make_user` hold a confirmed authenticator app; these
functions compute its next unused code with pyotp and type it on the real page.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pyotp

STEP = 30


def next_code(user: Any) -> str:
    """A code the server accepts now: a time step newer than the last one it took."""
    from accounts.models import TotpDevice

    device = TotpDevice.objects.get(user_id=user.pk)
    totp = pyotp.TOTP(device.secret)
    while True:
        now_step = int(time.time()) // STEP
        for step in (now_step, now_step + 1):
            if step > device.last_step:
                return totp.at(step * STEP)
        time.sleep(1)  # both codes the server would take now were used: wait for the next
        device.refresh_from_db()


def prove_in_page(page: Any, user: Any) -> None:
    """On the second-factor page the log-in led to, type the app's code and confirm."""
    page.wait_for_url(re.compile(r"/accounts/second-factor/"))
    page.fill("input[name=code]", next_code(user))
    page.locator("main form button[type=submit]").click()


def prove_over_http(client: httpx.Client, user: Any, after_login: httpx.Response) -> None:
    """Follow a log-in's redirect to the second-factor page and post the app's code there."""
    from tests.harness.http import csrf_from

    location = after_login.headers["location"]
    page = client.get(location, follow_redirects=True)
    if "/accounts/second-factor/" not in str(page.url):
        return
    path = page.url.raw_path.decode()
    response = client.post(
        path,
        data={"code": next_code(user), "csrfmiddlewaretoken": csrf_from(page.text)},
        headers={"Referer": str(page.url)},
    )
    assert response.status_code == 302, response.text[:500]


def prove_if_enrolled(page: Any, user: Any) -> None:
    """After the password: type the app's code when the account has an authenticator app."""
    from accounts.models import TotpDevice

    if TotpDevice.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists():
        prove_in_page(page, user)
