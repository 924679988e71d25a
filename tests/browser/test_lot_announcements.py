"""What a screen reader hears on the live lot page, and where the keyboard's focus goes.

Two bidders duel in Chromium, each by keyboard alone. Every change of every live region
(aria-live, role=status/alert/log) is recorded as it happens: each change that matters to a
bidder must be told once, in one sentence; values that did not change are never rewritten;
the countdown is heard only at its thresholds; and focus stays on the control the bidder used.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.auction import factories
from tests.browser.test_live_bidding import RULES, close_now, open_page

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

# Installed before the page's own scripts: records what each live region says, and any
# rewrite of the price with the value it already showed.
RECORDER = """
window.__heard = [];
window.__rewrites = 0;
const LIVE = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]';
const last = new Map();
new MutationObserver((records) => {
  for (const record of records) {
    const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
    if (!node) continue;
    const price = node.closest('[data-live="price"]');
    if (price && record.type === "childList" && record.removedNodes.length
        && record.removedNodes[0].textContent === price.textContent) window.__rewrites += 1;
    // The region the change is in, or a region that was added whole (an alert).
    const added = [...record.addedNodes].filter((n) => n.nodeType === 1 && n.matches(LIVE));
    for (const region of [node.closest(LIVE), ...added]) {
      if (!region || region.matches('[data-live="connection"]')) continue;
      const said = region.textContent.trim();
      if (!said || last.get(region) === said) continue;
      last.set(region, said);
      window.__heard.push(said);
    }
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""
FAR = RULES | {"soft_close_window_seconds": 60}


def heard(page: Any) -> list[str]:
    said: list[str] = page.evaluate("window.__heard.splice(0)")
    return said


FOCUSED = """() => {
  const el = document.activeElement;
  return el === document.body ? "body" : el.dataset.action || el.id || el.tagName;
}"""


def focused(page: Any) -> str:
    return str(page.evaluate(FOCUSED))


def ready(page: Any, server: Any, lot: Any) -> None:
    page.add_init_script(RECORDER)
    page.goto(f"{server.base_url}/lots/{lot.pk}/")
    page.locator("[data-live=connection][data-status=live]").wait_for(timeout=15_000)
    page.locator("[data-live=you][data-standing=ready]").wait_for()
    heard(page)


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def settled(page: Any, seq: int) -> None:
    page.wait_for_function(f"Number(document.getElementById('lot-live').dataset.seq) >= {seq}")
    page.wait_for_timeout(600)  # let a late personal frame arrive, to catch a second announcement


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_keyboard_duel_is_told_once_per_change_and_keeps_the_focus(
    browser, web_servers, court, language
):
    lot = factories.lot(
        court, opening_minor=100_000, ends_at=timezone.now() + timedelta(minutes=20), rules=FAR
    )
    alice = factories.registered_bidder(lot, preferred_language=language)
    bob = factories.registered_bidder(lot, preferred_language=language)
    server = web_servers["daphne"]
    ctx_a, page_a = open_page(browser, server, language, email=alice.bidder.email)
    ctx_b, page_b = open_page(browser, server, language, email=bob.bidder.email)
    try:
        ready(page_a, server, lot)
        ready(page_b, server, lot)

        # Alice bids the next minimum with the keyboard.
        tab_to(page_a, "[data-action=bid-minimum]")
        page_a.keyboard.press("Enter")
        page_a.locator("[data-live=you][data-standing=leading]").wait_for()
        settled(page_a, 1)
        settled(page_b, 1)
        assert focused(page_a) == "bid-minimum"
        said_a, said_b = heard(page_a), heard(page_b)
        assert len(said_a) == 1, said_a
        assert "1,000.00" in said_a[0]
        assert len(said_b) == 1, said_b
        assert "1,000.00" in said_b[0]

        # Bob answers with a typed amount.
        tab_to(page_b, "#bid-amount")
        page_b.keyboard.type("1500")
        page_b.keyboard.press("Enter")
        page_a.locator("[data-live=you][data-standing=outbid]").wait_for()
        settled(page_a, 2)
        settled(page_b, 2)
        assert focused(page_b) == "bid-amount"
        said_a, said_b = heard(page_a), heard(page_b)
        assert len(said_a) == 1, said_a
        assert "1,500.00" in said_a[0]
        assert len(said_b) == 1, said_b
        assert "1,500.00" in said_b[0]

        # Alice bids too low: one alert, and focus back on the amount to retype it.
        tab_to(page_a, "#bid-amount")
        page_a.keyboard.type("1")
        page_a.keyboard.press("Enter")
        page_a.locator("[data-live=message] [role=alert]").wait_for()
        page_a.wait_for_timeout(400)
        assert focused(page_a) == "bid-amount"
        assert len(heard(page_a)) == 1

        # Alice sets an automatic maximum with the keyboard; it takes the lead at once.
        tab_to(page_a, "details summary")
        page_a.keyboard.press("Enter")
        assert focused(page_a) == "SUMMARY"
        assert page_a.evaluate("document.activeElement.parentElement.open")
        tab_to(page_a, "#auto-max")
        page_a.keyboard.type("3000")
        page_a.keyboard.press("Enter")
        page_a.locator("[data-live=you][data-standing=leading]").wait_for()
        page_b.locator("[data-live=you][data-standing=outbid]").wait_for()
        settled(page_a, 3)
        settled(page_b, 3)
        assert focused(page_a) == "auto-max"
        said_a, said_b = heard(page_a), heard(page_b)
        assert len(said_a) == 1, said_a
        assert "3,000.00" in said_a[0]
        assert len(said_b) == 1, said_b
        assert "1,600.00" in said_b[0]

        # The lot closes: each hears the result once; focus does not fall to the page.
        close_now(lot)
        page_a.locator("[data-live=you][data-standing=won]").wait_for(timeout=15_000)
        page_b.locator("[data-live=you][data-standing=lost]").wait_for(timeout=15_000)
        page_a.wait_for_timeout(600)
        said_a, said_b = heard(page_a), heard(page_b)
        assert len(said_a) == 1, said_a
        assert len(said_b) == 1, said_b
        assert focused(page_a) != "body"
        assert focused(page_b) != "body"
        for page in (page_a, page_b):
            assert page.evaluate("window.__rewrites") == 0
    finally:
        ctx_a.close()
        ctx_b.close()


def test_the_countdown_is_heard_only_at_its_thresholds(browser, web_servers, court):
    # The page must see more than a minute left before it can hear the minute pass: 90 s
    # leaves a loaded machine time to open the page.
    lot = factories.lot(
        court, opening_minor=100_000, ends_at=timezone.now() + timedelta(seconds=90), rules=FAR
    )
    watcher = factories.registered_bidder(lot)
    server = web_servers["daphne"]
    context, page = open_page(browser, server, "en", email=watcher.bidder.email)
    try:
        ready(page, server, lot)

        # Polled from here: the page's content security policy forbids the eval that
        # `wait_for_function` uses. Bounded: 120 polls of half a second.
        for _ in range(120):
            if any("One minute left" in said for said in page.evaluate("window.__heard")):
                break
            page.wait_for_timeout(500)
        page.wait_for_timeout(1500)

        said = heard(page)
        assert said == ["One minute left."]
        assert not any(re.search(r"\d\d:\d\d", line) for line in said)
    finally:
        context.close()
