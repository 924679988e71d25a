"""From the lot page: register, pay the deposit with a test card, come back and bid.

The worker runs as its own process with STRIPE_EMULATE_EVENTS on, as in `make
run`: after the test card is confirmed it posts the signed event Stripe would
send to the web process, so no step is done by the test itself.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from auction.models import Registration
from tests.auction import factories
from tests.browser.test_live_bidding import open_page
from tests.conftest import make_user, server_env
from tests.harness.servers import ARTIFACTS_LOGS, ROOT, server_environment, stripe_mock

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def emulating_worker(tmp_path, web_servers):
    with stripe_mock(ARTIFACTS_LOGS) as api:
        env = server_environment(
            {
                **server_env(),
                "STRIPE_API_BASE": api.base_url,
                "STRIPE_EMULATE_EVENTS": "true",
                "SITE_URL": web_servers["daphne"].base_url,
            }
        )
        log = (tmp_path / "worker.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_payment_worker", "--poll", "0.1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        yield process
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_a_bidder_registers_pays_the_deposit_by_card_and_can_bid(
    browser, web_servers, emulating_worker, court, screenshot_dir
):
    server = web_servers["daphne"]
    lot = factories.lot(court, deposit_minor=50_000)
    bidder = make_user("BIDDER", verified=True, preferred_language="en")
    context, page = open_page(browser, server, "en", email=bidder.email)
    try:
        page.goto(f"{server.base_url}/lots/{lot.pk}/")
        page.get_by_role("button", name="Register and pay the deposit").click()
        page.wait_for_url("**/payments/**")
        pay = page.get_by_role("button", name="Pay")
        pay.wait_for(timeout=15_000)
        pay.click()
        page.get_by_test_id("receipt-number").wait_for(timeout=30_000)
        page.screenshot(path=screenshot_dir / "deposit-paid-en.png", full_page=True)

        page.goto(f"{server.base_url}/lots/{lot.pk}/")
        page.locator("[data-live=connection][data-status=live]").wait_for(timeout=15_000)
        page.get_by_role("button", name="Bid the next minimum").click()
        page.locator("[data-live=you][data-standing=leading]").wait_for()
    finally:
        context.close()

    registration = Registration.objects.get(lot=lot, bidder=bidder)
    assert registration.deposit_status == Registration.Deposit.HELD
    assert registration.bids.count() == 1
