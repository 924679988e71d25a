"""WCAG 2.2 AA on every page each role reaches, in Arabic and English, on a desktop and a phone.

axe-core (node_modules/axe-core) runs in Chromium on every page found by following the links
of each role's own pages: the public, a bidder, a buyer, execution staff, finance staff and a
supervisor. Any violation of WCAG 2.0/2.1/2.2 A or AA fails the test, naming the page, the
rule and the elements. On the phone pass every page is also narrowed to 320 CSS px, where it
must reflow without scrolling sideways (WCAG 1.4.10).

The crawl follows every link, but pages of one route that differ only by their ids (/lots/12/
and /lots/13/, or two receipt numbers) are one page to it: the first that opens stands for the
route. The pages each role starts from are always scanned, whatever their route.

Work is not repeated. One browser context per role and language is reused for all of its
pages (axe-core installed by an init script before each page's own scripts); the crawl is the
English pass, so each page is opened twice (once per language) and no more. Each opened page
is scanned at the desktop size, then narrowed to the phone size in place: what renders the
same at both sizes (the same elements shown, with the same display, colours and fonts) was
already scanned, so axe-core scans again, at the phone size, only the elements whose
rendering changed (the whole page when its elements changed); then the page is narrowed to
320 px for the reflow check, which every page gets. A signed-in role's crawl still opens the
routes the public pass scanned (to follow their links) but scans only its own routes and the
pages it starts from: the public routes were scanned in both languages and sizes by the
public pass, with the same header and footer a signed-in page has on the role's own routes.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import Error as PlaywrightError

from accounts.models import User
from tests.aftersale import helpers
from tests.auction import factories
from tests.conftest import PASSWORD, make_user
from tests.harness.second_factor import prove_if_enrolled

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LANGUAGES = ("en", "ar")
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
NARROWEST = {"width": 320, "height": 640}
# Links that are not pages: files, feeds, signing out, the admin, switching language.
SKIP = re.compile(
    r"(logout|/admin/|\.pdf|\.csv|\.json|\.xlsx|/media/|/private/|/download|/export|/ws/"
    r"|\.xml|\.txt|\.zip|/language|/i18n/|/static/|/webhooks/|/metrics|/livez|/readyz|/healthz)"
)
# A path segment with a digit in it is an id (12, RYC-R-2026-000001, a UUID); words are not.
ID_SEGMENT = re.compile(r"^[^/]*\d[^/]*$")
# More routes than the project has: a crawl that finds more is following something endless.
MOST_ROUTES = 400
# Only the violations are wanted back: axe skips gathering what passed.
RUN_AXE = """tags => axe.run(document, {
  runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
}).then(result => result.violations.map(item => ({
  id: item.id, impact: item.impact, help: item.help,
  targets: item.nodes.slice(0, 5).map(node => node.target.join(" ")),
})))"""
# How each element renders: "-" when not shown, else what axe-core's rules read from its
# style. Two sizes whose lists match render the same elements the same way.
RENDERING = """() => [...document.querySelectorAll("body *")].map(el => {
  const style = getComputedStyle(el);
  if (!el.getClientRects().length || style.visibility === "hidden") return "-";
  return [style.display, style.position, style.color, style.backgroundColor, style.fontSize,
    style.fontWeight, style.opacity, style.overflow].join("|");
})"""
# axe-core on the outermost of the elements (by their index in RENDERING's list) whose
# rendering changed, and nothing else.
RUN_AXE_ON = """([tags, indices]) => {
  const all = [...document.querySelectorAll("body *")];
  const changed = new Set(indices.map(i => all[i]));
  const outermost = [...changed].filter(el => {
    for (let up = el.parentElement; up; up = up.parentElement) if (changed.has(up)) return false;
    return true;
  });
  outermost.forEach(el => el.setAttribute("data-a11y-changed", ""));
  return axe.run({include: [["[data-a11y-changed]"]]}, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
  }).then(result => {
    outermost.forEach(el => el.removeAttribute("data-a11y-changed"));
    return result.violations.map(item => ({
      id: item.id, impact: item.impact, help: item.help,
      targets: item.nodes.slice(0, 5).map(node => node.target.join(" ")),
    }));
  });
}"""
# Two frames: the page has laid itself out again after the window changed size.
SETTLED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
# What sticks out of the narrowest viewport, to name in the failure.
TOO_WIDE = """limit => [...document.querySelectorAll("body *")].filter(el => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && (box.right > limit + 1 || box.left < -1);
}).filter((el, _, all) => !all.some(other => other !== el && el.contains(other)))
  .slice(0, 5).map(el => {
    const box = el.getBoundingClientRect();
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + [...el.classList].slice(0, 3).map(c => "." + c).join("");
    return `${name} [${Math.round(box.left)}, ${Math.round(box.right)}]`;
  })"""


def route(path: str) -> str:
    """The route a path belongs to: its id segments replaced, so /lots/12/ is /lots/<id>/."""
    return "/".join("<id>" if ID_SEGMENT.match(part) else part for part in path.split("/"))


def new_context(browser: Any, server: Any, language: str, state: dict[str, Any] | None) -> Any:
    """A context opened at the desktop size; each page is narrowed in place (`check`)."""
    context = browser.new_context(
        viewport=SIZES["desktop"],
        locale=language,
        reduced_motion="reduce",
        bypass_csp=True,  # axe-core is not among the scripts the pages' own policy allows
        storage_state=state,
    )
    context.add_init_script(path=str(AXE))
    context.add_cookies([{"name": "mazad_language", "value": language, "url": server.base_url}])
    return context


def sign_in(page: Any, server: Any, user: Any) -> None:
    page.goto(server.base_url + "/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    prove_if_enrolled(page, user)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def links(page: Any, server: Any) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != server.base_url or SKIP.search(parts.path):
            continue
        found.append(parts.path)
    return found


def opens(page: Any, server: Any, path: str) -> bool:
    """Go to `path`; whether it is an HTML page the role may see (not a file to download)."""
    try:
        response = page.goto(server.base_url + path)
    except PlaywrightError as error:
        if "Download is starting" in str(error):
            return False
        raise
    return (
        response is not None
        and response.status < 400
        and "text/html" in response.headers.get("content-type", "")
    )


def _named(found: list[dict[str, Any]]) -> list[str]:
    return [
        f"{item['id']} ({item['impact']}): {item['help']} — " + "; ".join(item["targets"])
        for item in found
    ]


def violations(page: Any) -> list[str]:
    return _named(page.evaluate(RUN_AXE, TAGS))


def phone_violations(page: Any, desktop: list[str]) -> list[str]:
    """axe-core at the phone size on what renders differently from the desktop size."""
    phone = page.evaluate(RENDERING)
    if len(phone) != len(desktop):  # the page changed its elements: scan it all again
        return violations(page)
    changed = [
        i for i, (wide, narrow) in enumerate(zip(desktop, phone, strict=True)) if wide != narrow
    ]
    return _named(page.evaluate(RUN_AXE_ON, [TAGS, changed])) if changed else []


def reflows(page: Any) -> str | None:
    """None when the page fits 320 CSS px; else how wide it is and what sticks out."""
    page.set_viewport_size(NARROWEST)
    page.evaluate(SETTLED)
    width = page.evaluate("document.documentElement.scrollWidth")
    culprits = page.evaluate(TOO_WIDE, NARROWEST["width"]) if width > NARROWEST["width"] else []
    page.set_viewport_size(SIZES["desktop"])
    if width <= NARROWEST["width"]:
        return None
    return f"reflow: {width}px wide at 320px — " + "; ".join(culprits)


def check(page: Any, language: str) -> dict[str, list[str]]:
    """What fails on the open page at the desktop size and at the phone size (reflow included).

    Leaves the page at the desktop size."""
    found = {"desktop": violations(page), "phone": []}
    shown = page.evaluate("document.documentElement.lang")
    if shown != language:
        found["desktop"].append(f"shown in {shown!r}, not {language!r}")
    desktop = page.evaluate(RENDERING)
    page.set_viewport_size(SIZES["phone"])
    page.evaluate(SETTLED)
    found["phone"] = phone_violations(page, desktop)
    if too_wide := reflows(page):
        found["phone"].append(too_wide)
    return {size: problems for size, problems in found.items() if problems}


def crawl(
    page: Any,
    server: Any,
    start: list[str],
    inspect: Callable[[str], None],
    scanned: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """Every page reached from `start` by following links, one per route, breadth first.

    `inspect` is called on each page while it is open, so the crawl is also a scan; a page
    of a route in `scanned` (already scanned elsewhere) is opened for its links only, unless
    it is one of `start`. Returns the pages inspected.
    """
    pages: list[str] = []
    routes: set[str] = set()
    tried: set[str] = set()
    queue = deque((path, True) for path in start)
    while queue:
        path, always = queue.popleft()
        if path in tried or (not always and route(path) in routes):
            continue
        tried.add(path)
        if not opens(page, server, path):
            continue  # another page of the same route may open
        routes.add(route(path))
        assert len(routes) <= MOST_ROUTES, f"more than {MOST_ROUTES} routes: {sorted(routes)}"
        if always or route(path) not in scanned:
            pages.append(path)
            inspect(path)
        queue.extend((link, False) for link in links(page, server) if route(link) not in routes)
    return pages


# The routes the public pass scanned (both languages and sizes), for the signed-in roles'
# crawls to skip; empty when the public pass has not run in this session (nothing skipped).
PUBLIC_ROUTES: set[str] = set()


def scan(browser: Any, server: Any, user: Any, start: list[str]) -> dict[str, list[str]]:
    """Every page the role reaches, in both languages and both sizes: what fails, by page."""
    failures: dict[str, list[str]] = {}
    state: dict[str, Any] | None = None
    pages: list[str] = []
    for language in LANGUAGES:
        if user is not None:  # a signed-in user sees the site in the language of the profile
            User.objects.filter(pk=user.pk).update(preferred_language=language)
        context = new_context(browser, server, language, state)
        page = context.new_page()

        def inspect(path: str, page: Any = page, language: str = language) -> None:
            for size, found in check(page, language).items():
                failures[f"{language} {size} {path}"] = found

        try:
            if user is not None and state is None:
                sign_in(page, server, user)
                state = context.storage_state()
            if not pages:
                scanned = PUBLIC_ROUTES if user is not None else set()
                pages = crawl(page, server, start, inspect, scanned)
                continue
            for path in pages:
                page.goto(server.base_url + path)
                inspect(path)
        finally:
            context.close()
    if user is None:
        PUBLIC_ROUTES.update(route(path) for path in pages)
    return failures


@pytest.fixture
def world(court: Any) -> dict[str, Any]:
    """A court with a live lot (a bidder registered, deposit held), a sold lot and its staff."""
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance)
    live = factories.lot(court, opening_minor=2_000_000, deposit_minor=200_000)
    factories.registered_bidder(live)
    registration = factories.registered_bidder(live)
    return {
        "lot": live,
        "sale": sale,
        "bidder": registration.bidder,
        "buyer": sale.buyer,
        "staff": make_user("EXECUTION_STAFF", court=court),
        "finance": finance,
        "supervisor": make_user("SUPERVISOR", court=court),
    }


ROLES = {
    "public": (None, ["/", "/auctions/", "/help/", "/accounts/login/", "/accounts/sign-up/"]),
    "bidder": ("bidder", ["/my-auctions/", "/payments/", "/accounts/profile/", "/support/"]),
    "buyer": ("buyer", ["/purchases/", "/payments/"]),
    "staff": ("staff", ["/workspace/", "/staff/auctions/"]),
    "finance": ("finance", ["/workspace/", "/finance/"]),
    "supervisor": ("supervisor", ["/workspace/", "/staff/sale-rules/", "/support/report/"]),
}


def test_ids_in_a_path_are_one_route():
    assert route("/lots/12/") == route("/lots/13/") == "/lots/<id>/"
    assert route("/receipts/RYC-R-2026-000001/") == "/receipts/<id>/"
    assert route("/payments/0b8e5f4e-3c1d-4a47-9d0e-5a8a3f2c1b7e/") == "/payments/<id>/"
    assert route("/help/bidding/") == "/help/bidding/"
    assert route("/help/bidding/") != route("/help/deposits/")


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_a_role_reaches_passes_wcag_22_aa_in_both_languages_and_sizes(
    browser, web_servers, world, role
):
    user_key, start = ROLES[role]
    user = world[user_key] if user_key else None
    start = [*start, f"/lots/{world['lot'].pk}/", f"/lots/{world['sale'].lot_id}/"]

    failures = scan(browser, web_servers["daphne"], user, start)

    assert not failures, "\n".join(
        f"{page}:\n  " + "\n  ".join(found) for page, found in failures.items()
    )
