"""Pages work under the Content Security Policy: no script or socket the browser had to refuse."""

from __future__ import annotations

import pytest

from tests.auction import factories
from tests.browser.test_live_bidding import open_page
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def visit(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None
    assert response.ok, f"{url} answered {response.status}"
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__cspViolations")


def test_public_staff_and_finance_pages_load_without_policy_violations(browser, web_servers, court):
    lot = factories.lot(court)
    server = web_servers["uvicorn"]
    staff = make_user("EXECUTION_STAFF", court=court)
    supervisor = make_user("SUPERVISOR", court=court)
    finance = make_user("FINANCE_STAFF", court=court)
    visits = {
        None: ["/", "/auctions/", f"/lots/{lot.pk}/", "/accounts/login/"],
        staff.email: [
            "/workspace/",
            f"/staff/auctions/{lot.auction_id}/live/",
            "/workspace/files/",
        ],
        supervisor.email: ["/staff/sale-rules/", "/support/report/", "/support/queue/"],
        finance.email: ["/finance/", "/payments/finance/"],
    }
    violations: dict[str, list[str]] = {}
    for email, paths in visits.items():
        context, page = open_page(browser, server, "en", email=email)
        page.add_init_script(WATCH_VIOLATIONS)
        try:
            for path in paths:
                found = visit(page, server.base_url + path)
                if found:
                    violations[path] = found
        finally:
            context.close()

    assert not violations, violations
