"""The lot page says one true thing: each bidder's standing follows the lot's latest state.

Two and three bidders in Chromium, automatic bids on both sides, a lot closing under them, at
phone and desktop size, in Arabic and English; then a seeded random run of bids, automatic bids
and a close through two real pages, checking after every step that no page contradicts itself
or the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from auction.models import Bid, Lot, Registration
from tests.auction import factories
from tests.browser.test_live_bidding import close_now, open_page
from tests.conftest import make_user
from tests.harness.aio import in_thread, run

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

INCREMENT = 10_000  # SAR 100.00
RULES = {
    "soft_close_window_seconds": 60,
    "soft_close_extension_seconds": 60,
    "increments": [{"from_minor": 0, "increment_minor": INCREMENT}],
}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Words that belong only to one standing: a page showing them under another contradicts itself.
WORDS = {
    "en": {
        "leading": "You are the highest bidder",
        "outbid": "outbid you",
        "saved": "was saved",
        "kept": "you still lead",
        "exceeded": "was exceeded",
        "answered": "automatic bid answered it",
        "won": "You won this lot",
        "lost": "sold to another bidder",
        "can_bid": "You can bid",
        "owe": "What you owe",
    },
    "ar": {
        "leading": "أنت صاحب أعلى مزايدة",
        "outbid": "تجاوزك",
        "saved": "حُفظ الحد الأعلى",
        "kept": "ما زلت صاحب أعلى مزايدة",
        "exceeded": "تجاوز السعر الحد الأعلى",
        "answered": "ردّت عليها المزايدة التلقائية",
        "won": "فزت بهذا البند",
        "lost": "بيع البند لمزايد آخر",
        "can_bid": "يمكنك المزايدة",
        "owe": "المبلغ المستحق عليك",
    },
}
CLOSED_STANDINGS = {"won", "lost", "unsold", "closed", "withdrawn"}

READ_PAGE = """() => {
  const root = document.getElementById("lot-live");
  const visible = (el) => Boolean(el) && !el.closest("[hidden]") && el.getClientRects().length > 0;
  const note = root.querySelector("[data-live=message]");
  const bid = root.querySelector("[data-action=bid-minimum]");
  return {
    seq: Number(root.dataset.seq ?? -1),
    standing: root.querySelector("[data-live=you]").dataset.standing,
    standing_text: root.querySelector("[data-live=you]").innerText,
    note: note.innerText,
    note_about: note.dataset.about || "",
    status: root.querySelector("[data-live=status]").dataset.status,
    panel: root.querySelector(".live-panel").innerText,
    bidding: visible(root.querySelector("[data-show=bidding]")),
    bid_enabled: visible(bid) && !bid.disabled && bid.getAttribute("aria-disabled") !== "true",
    next_minimum: visible(root.querySelector("[data-live=next-minimum]")),
    owed: visible(root.querySelector("[data-show=owed]")),
    owed_title: root.querySelector("[data-live=owed-title]").innerText,
    register: visible(root.querySelector("form[action$='/register/']")),
    auto_current: root.querySelector("[data-live=auto-current]")?.innerText ?? "",
    top_paddle: root.querySelector("[data-live=bids] li[data-top] .badge")?.innerText ?? "",
    toasts: document.querySelectorAll("#toasts > *").length,
  };
}"""

# Whether anything is drawn over a control: the element at its centre must be the control.
COVERED = """(selector) => {
  const el = document.querySelector(selector);
  if (!el || el.closest("[hidden]")) return "";
  el.scrollIntoView({block: "center", behavior: "instant"});
  const box = el.getBoundingClientRect();
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  // The control itself, a part of it, or (for a disabled button, which Chromium does not hit)
  // its own container: nothing is drawn over it.
  if (top && (el.contains(top) || top.contains(el))) return "";
  return top ? `${top.tagName}.${top.className}#${top.id}` : "nothing";
}"""


@dataclass
class Bidder:
    registration: Registration
    page: Any
    language: str
    name: str

    @property
    def paddle(self) -> int:
        return self.registration.paddle

    def read(self) -> dict[str, Any]:
        found: dict[str, Any] = self.page.evaluate(READ_PAGE)
        return found

    def words(self, key: str) -> str:
        return WORDS[self.language][key]


def live(bidder: Bidder, server: Any, lot: Lot) -> None:
    bidder.page.goto(f"{server.base_url}/lots/{lot.pk}/")
    bidder.page.locator("[data-live=connection][data-status=live]").wait_for(timeout=15_000)


def caught_up(bidders: list[Bidder], lot: Lot) -> Lot:
    """Wait until every page has applied the lot's latest state; returns that state."""
    fresh = Lot.objects.get(pk=lot.pk)
    for bidder in bidders:
        bidder.page.wait_for_function(
            "([seq, status]) => Number(document.getElementById('lot-live').dataset.seq) >= seq"
            " && document.querySelector('[data-live=status]').dataset.status === status",
            arg=[fresh.seq, fresh.status],
            timeout=15_000,
        )
    return fresh


def expected_standing(lot: Lot, registration: Registration) -> str:
    has_bid = Bid.objects.filter(registration=registration, is_annulled=False).exists()
    mine = lot.leader_id == registration.pk
    if lot.status == Lot.Status.SOLD:
        return "won" if mine else ("lost" if has_bid else "closed")
    if lot.status == Lot.Status.UNSOLD:
        return "unsold" if has_bid else "closed"
    if mine:
        return "leading"
    return "outbid" if has_bid else "ready"


def assert_coherent(bidder: Bidder, lot: Lot) -> dict[str, Any]:
    """The page agrees with itself and with the database."""
    seen = bidder.read()
    standing = seen["standing"]
    where = f"{bidder.name}: {seen}"

    assert standing == expected_standing(lot, bidder.registration), where
    assert seen["note_about"] in ("", standing), where
    if standing == "leading":
        assert bidder.words("outbid") not in seen["panel"], where
        assert seen["top_paddle"] == f"#{bidder.paddle}", where
        assert not seen["bid_enabled"], "no bidding against oneself"
    if standing == "outbid":
        assert bidder.words("leading") not in seen["panel"], where
        assert seen["top_paddle"] != f"#{bidder.paddle}", where
    if standing in CLOSED_STANDINGS:
        assert not seen["bidding"], where
        assert not seen["next_minimum"], where
        assert not seen["register"], where
        assert bidder.words("can_bid") not in seen["panel"], where
        assert seen["owed"] == (standing == "won"), where
    else:
        assert seen["bidding"], where
    assert seen["toasts"] == 0, "nothing floats over the lot page"
    return seen


ANSWERS = "() => Number(document.getElementById('lot-live').dataset.answers || 0)"
MORE_ANSWERS = (
    "(before) => Number(document.getElementById('lot-live').dataset.answers || 0) > before"
)


def answered(bidder: Bidder, act: Any) -> None:
    """Do `act` on the page and wait for the server's answer (sent once the bid is committed)."""
    before = bidder.page.evaluate(ANSWERS)
    act()
    bidder.page.wait_for_function(MORE_ANSWERS, arg=before, timeout=15_000)


def bid_next_minimum(bidder: Bidder) -> None:
    answered(bidder, bidder.page.locator("[data-action=bid-minimum]").click)


def bid_amount(bidder: Bidder, amount: str) -> None:
    form = bidder.page.locator("[data-action=bid-custom]")
    form.locator("input[name=amount]").fill(amount)
    answered(bidder, form.locator("button[type=submit]").click)


def set_automatic(bidder: Bidder, maximum: str) -> None:
    details = bidder.page.locator("[data-show=bidding] details")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = bidder.page.locator("[data-action=auto-bid]")
    form.locator("input[name=maximum]").fill(maximum)
    answered(bidder, form.locator("button[type=submit]").click)


def wait_note(bidder: Bidder, key: str) -> None:
    bidder.page.locator("[data-live=message]", has_text=bidder.words(key)).wait_for()


def nothing_covers_the_controls(bidder: Bidder) -> None:
    for selector in ("[data-action=bid-minimum]", "[data-live=bids]"):
        above = bidder.page.evaluate(COVERED, selector)
        assert not above, f"{bidder.name}: {selector} covered by {above}"


def shoot(bidder: Bidder, screenshot_dir: Any, step: str, tag: str) -> None:
    """What the bidder sees of the live panel, from its top (the whole panel on a desktop)."""
    bidder.page.evaluate(
        "() => document.querySelector('.live-panel').scrollIntoView("
        "{block: 'start', behavior: 'instant'})"
    )
    bidder.page.screenshot(
        path=screenshot_dir / f"lot-standing-{tag}-{step}-{bidder.name}.png", full_page=False
    )


def start(browser: Any, server: Any, lot: Lot, specs: list[tuple[str, str, dict[str, int]]]):
    contexts, bidders = [], []
    for name, language, viewport in specs:
        registration = factories.registered_bidder(lot, preferred_language=language)
        context, page = open_page(
            browser,
            server,
            language,
            email=registration.bidder.email,
            width=viewport["width"],
            height=viewport["height"],
        )
        contexts.append(context)
        bidders.append(Bidder(registration, page, language, name))
    for bidder in bidders:
        live(bidder, server, lot)
    return contexts, bidders


@pytest.mark.parametrize(
    ("size", "first_language", "second_language"),
    [("phone", "ar", "en"), ("desktop", "en", "ar")],
)
def test_two_bidders_with_automatic_bids_on_both_sides_see_one_truth_to_the_close(
    browser, web_servers, court, screenshot_dir, size, first_language, second_language
):
    viewport = PHONE if size == "phone" else DESKTOP
    lot = factories.lot(
        court,
        opening_minor=100_000,
        deposit_minor=10_000,
        ends_at=timezone.now() + timedelta(minutes=30),
        rules=RULES,
    )
    server = web_servers["uvicorn"]
    tag = f"two-{size}"
    contexts, (alice, bob) = start(
        browser,
        server,
        lot,
        [("alice", first_language, viewport), ("bob", second_language, viewport)],
    )
    try:
        # Alice saves an automatic maximum: it is shown as saved, and it opens the bidding.
        set_automatic(alice, "1500")
        wait_note(alice, "saved")
        state = caught_up([alice, bob], lot)
        seen = assert_coherent(alice, state)
        assert "1,500.00" in seen["auto_current"]
        assert seen["standing"] == "leading"
        assert assert_coherent(bob, state)["standing"] == "ready"

        # Bob bids; Alice's automatic bid answers at once. She was never outbid.
        bid_next_minimum(bob)
        state = caught_up([alice, bob], lot)
        wait_note(alice, "kept")
        seen = assert_coherent(alice, state)
        assert state.leader_id == alice.registration.pk
        assert state.price_minor == 120_000
        assert alice.words("leading") in seen["standing_text"]
        assert alice.words("outbid") not in seen["panel"]
        assert assert_coherent(bob, state)["standing"] == "outbid"
        nothing_covers_the_controls(bob)
        for bidder in (alice, bob):
            shoot(bidder, screenshot_dir, "1-answered", tag)

        # Bob's automatic maximum is below Alice's: the robots fight and Alice keeps the lead.
        set_automatic(bob, "1400")
        wait_note(bob, "exceeded")
        state = caught_up([alice, bob], lot)
        assert state.price_minor == 150_000
        assert assert_coherent(alice, state)["standing"] == "leading"
        assert assert_coherent(bob, state)["standing"] == "outbid"

        # Bob raises his maximum above Alice's: now she is outbid, and told her maximum was passed.
        set_automatic(bob, "2000")
        wait_note(alice, "exceeded")
        state = caught_up([alice, bob], lot)
        assert state.leader_id == bob.registration.pk
        assert assert_coherent(alice, state)["standing"] == "outbid"
        seen = assert_coherent(bob, state)
        assert seen["standing"] == "leading"
        assert "2,000.00" in seen["auto_current"]
        nothing_covers_the_controls(alice)
        for bidder in (alice, bob):
            shoot(bidder, screenshot_dir, "2-overtaken", tag)

        # The lot closes under them.
        close_now(lot)
        state = caught_up([alice, bob], lot)
        assert state.status == Lot.Status.SOLD
        lost = assert_coherent(alice, state)
        won = assert_coherent(bob, state)
        assert lost["standing"] == "lost"
        assert won["standing"] == "won"
        assert bob.words("owe") in won["owed_title"]
        wait_note(bob, "won")
        for bidder in (alice, bob):
            shoot(bidder, screenshot_dir, "3-closed", tag)
    finally:
        for context in contexts:
            context.close()


def test_three_bidders_automatic_and_manual_the_lot_closes_under_them(
    browser, web_servers, court, screenshot_dir
):
    lot = factories.lot(
        court,
        opening_minor=100_000,
        deposit_minor=10_000,
        ends_at=timezone.now() + timedelta(minutes=30),
        rules=RULES,
    )
    server = web_servers["daphne"]
    contexts, bidders = start(
        browser,
        server,
        lot,
        [("amal", "ar", PHONE), ("badr", "en", DESKTOP), ("carla", "en", PHONE)],
    )
    amal, badr, carla = bidders
    try:
        set_automatic(amal, "2000")
        wait_note(amal, "saved")
        set_automatic(badr, "1800")
        wait_note(badr, "exceeded")
        state = caught_up(bidders, lot)
        assert state.price_minor == 190_000
        assert [assert_coherent(b, state)["standing"] for b in bidders] == [
            "leading",
            "outbid",
            "ready",
        ]

        # Carla bids past Amal's maximum by hand.
        bid_amount(carla, "2100")
        wait_note(amal, "exceeded")
        state = caught_up(bidders, lot)
        assert state.leader_id == carla.registration.pk
        assert [assert_coherent(b, state)["standing"] for b in bidders] == [
            "outbid",
            "outbid",
            "leading",
        ]
        # A site-wide announcement arrives: on the lot page it takes the panel's one note,
        # replacing the last, instead of floating over the bid button or the history.
        supervisor = make_user("SUPERVISOR", court=court)
        run(lambda: in_thread(announce, supervisor))
        for bidder in bidders:
            bidder.page.locator(
                "[data-live=message]", has_text=ANNOUNCED[bidder.language]
            ).wait_for()
            assert bidder.page.locator("[data-live=message] .alert").count() == 1
            assert_coherent(bidder, state)
            nothing_covers_the_controls(bidder)
        for bidder in bidders:
            shoot(bidder, screenshot_dir, "1-manual", "three")

        # Amal raises her maximum and takes the lead back at the next step.
        set_automatic(amal, "3000")
        wait_note(carla, "outbid")
        state = caught_up(bidders, lot)
        assert state.price_minor == 220_000
        assert [assert_coherent(b, state)["standing"] for b in bidders] == [
            "leading",
            "outbid",
            "outbid",
        ]

        close_now(lot)
        state = caught_up(bidders, lot)
        assert [assert_coherent(b, state)["standing"] for b in bidders] == ["won", "lost", "lost"]
        for bidder in bidders:
            shoot(bidder, screenshot_dir, "2-closed", "three")
    finally:
        for context in contexts:
            context.close()


ANNOUNCED = {"ar": "صيانة مجدولة الليلة", "en": "Scheduled maintenance tonight"}


def announce(supervisor: Any) -> None:
    from django.db import transaction

    from frontend import services

    with transaction.atomic():
        services.publish_announcement(
            actor=supervisor,
            text_ar=ANNOUNCED["ar"],
            text_en=ANNOUNCED["en"],
            starts_at=timezone.now() - timedelta(minutes=1),
            ends_at=timezone.now() + timedelta(hours=1),
        )


def random_step(rng: random.Random, bidder: Bidder, other: Bidder, lot: Lot) -> str:
    """One action a bidder can take on their page now; returns what it was."""
    seen = bidder.read()
    price = lot.price_minor or lot.opening_minor
    choices = ["auto"]
    if seen["bid_enabled"]:
        choices += ["minimum", "minimum", "amount"]
    action = rng.choice(choices)
    if action == "minimum":
        bid_next_minimum(bidder)
    elif action == "amount":
        steps = rng.randint(1, 3)
        bid_amount(bidder, str((price + steps * INCREMENT) // 100))
    else:
        # Sometimes below the price (refused), mostly a little above it.
        steps = rng.randint(-1, 4)
        bid_maximum = max(price + steps * INCREMENT, INCREMENT)
        set_automatic(bidder, str(bid_maximum // 100))
    return f"{bidder.name}:{action}"


@pytest.mark.parametrize(("seed", "size"), [(20261206, "phone"), (7, "desktop")])
def test_a_random_run_of_bids_and_automatic_bids_never_leaves_a_page_contradicting_itself(
    browser, web_servers, court, screenshot_dir, seed, size
):
    rng = random.Random(seed)
    viewport = PHONE if size == "phone" else DESKTOP
    lot = factories.lot(
        court,
        opening_minor=100_000,
        deposit_minor=10_000,
        ends_at=timezone.now() + timedelta(minutes=30),
        rules=RULES,
    )
    server = web_servers["uvicorn"]
    contexts, bidders = start(
        browser, server, lot, [("one", "en", viewport), ("two", "ar", viewport)]
    )
    history: list[str] = []
    try:
        state = caught_up(bidders, lot)
        for _step in range(10):
            actor, other = rng.sample(bidders, 2)
            history.append(random_step(rng, actor, other, state))
            state = caught_up(bidders, lot)
            for bidder in bidders:
                try:
                    assert_coherent(bidder, state)
                except AssertionError as error:
                    raise AssertionError(f"after {history}: {error}") from None
        close_now(lot)
        state = caught_up(bidders, lot)
        for bidder in bidders:
            assert_coherent(bidder, state)
            shoot(bidder, screenshot_dir, "closed", f"random-{seed}")
    finally:
        for context in contexts:
            context.close()
