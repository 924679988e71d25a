"""The demo's staff sign in as anyone's do: the password, then a code of the authenticator-app key
that `make run` prints with the logins; bidders and agencies with the password alone."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.core.management import call_command

from accounts.models import TotpDevice, User
from demo.management.commands.seed_demo import DEMO_PASSWORD, demo_logins

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_demo_staff_sign_in_with_the_printed_key_and_bidders_with_the_password_alone(client):
    """Loaded twice: the second load keeps an app a staff member set up since."""
    run()
    printed = run("--logins")
    key = re.search(r"key +([A-Z2-7 ]+)\n", printed)
    link = re.search(r"link +(otpauth://totp/\S+)", printed)
    assert key, printed
    assert link, printed
    secret = key.group(1).replace(" ", "")
    assert parse_qs(urlsplit(link.group(1)).query)["secret"] == [secret]
    staff_logins = [
        email for email, what in demo_logins() if what.split(" · ")[0] != "Bidder (verified)"
    ]
    staff = User.objects.filter(
        email__in=staff_logins, role__in=["EXECUTION_STAFF", "FINANCE_STAFF", "SUPERVISOR"]
    )
    assert staff.count() == 6
    assert set(
        TotpDevice.objects.filter(user__in=staff, confirmed_at__isnull=False).values_list(
            "secret", flat=True
        )
    ) == {secret}

    supervisor = staff.get(email="supervisor.ryc@mazad.example")
    signed_in = client.post(
        "/accounts/login/", {"username": supervisor.email, "password": DEMO_PASSWORD}
    )
    assert signed_in["Location"] == "/workspace/"
    held = client.get("/workspace/")
    assert held["Location"].startswith("/accounts/second-factor/")
    proved = client.post(
        "/accounts/second-factor/", {"code": pyotp.TOTP(secret).now(), "next": "/workspace/"}
    )
    assert proved["Location"] == "/workspace/"
    assert client.get("/workspace/").status_code == 200
    client.logout()

    # `--code` prints the code of the moment: another demo staff member signs in with it.
    finance = staff.get(email="finance.kwc@mazad.example")
    client.post("/accounts/login/", {"username": finance.email, "password": DEMO_PASSWORD})
    proved = client.post(
        "/accounts/second-factor/", {"code": run("--code").strip(), "next": "/finance/"}
    )
    assert proved["Location"] == "/finance/"
    assert client.get("/finance/").status_code == 200
    client.logout()

    client.post(
        "/accounts/login/", {"username": "bidder1@mazad.example", "password": DEMO_PASSWORD}
    )
    assert client.get("/my-auctions/").status_code == 200
    client.logout()
    client.post(
        "/accounts/login/", {"username": "traffic.sa@mazad.example", "password": DEMO_PASSWORD}
    )
    assert client.get("/workspace/").status_code == 200

    # Loaded again, the demo keeps an app a staff member set up since.
    own = pyotp.random_base32()
    TotpDevice.objects.filter(user=supervisor).update(secret=own)
    run()
    assert TotpDevice.objects.get(user=supervisor).secret == own
