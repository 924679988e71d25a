"""The after-sale pages: who sees what, in both languages, and bad input that changes nothing."""

from __future__ import annotations

import pytest

from aftersale.models import Disbursement, Distribution
from tests.aftersale import helpers
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def distribution(client, court, stripe):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, file=helpers.file_with(court, claim=2_000_000))
    helpers.pay_by_card(client, sale, stripe)
    return Distribution.objects.get(file=sale.file)


@pytest.mark.parametrize("language", ["ar", "en"])
def test_finance_pages_render_for_the_courts_finance_staff(client, court, distribution, language):
    finance = make_user("FINANCE_STAFF", court=court, preferred_language=language)
    client.force_login(finance)
    client.cookies["mazad_language"] = language
    pages = [
        "/finance/",
        f"/finance/distributions/{distribution.pk}/",
        "/finance/disbursements/",
        "/finance/reconciliation/",
        "/finance/seized-funds/",
        "/workspace/",
    ]

    for page in pages:
        assert client.get(page).status_code == 200, page
    csv = client.get("/finance/disbursements/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert client.get("/finance/balances.csv").content.count(b"\n") >= 2


def test_another_courts_finance_staff_get_not_found_and_bidders_are_forbidden(
    client, court, other_court, distribution
):
    item = distribution.disbursements.first()
    client.force_login(make_user("FINANCE_STAFF", court=other_court))
    assert client.get(f"/finance/distributions/{distribution.pk}/").status_code == 404
    assert client.post(f"/finance/disbursements/{item.pk}/prepare/").status_code == 404
    client.force_login(make_user("BIDDER", verified=True))
    assert client.get("/finance/").status_code == 403
    item.refresh_from_db()
    assert item.status == Disbursement.Status.TO_PREPARE


def test_approving_ones_own_disbursement_on_the_page_is_refused_with_the_rule(
    client, court, distribution
):
    item = distribution.disbursements.first()
    maker = make_user("FINANCE_STAFF", court=court)
    client.force_login(maker)
    client.post(f"/finance/disbursements/{item.pk}/prepare/", {"note": "Checked the IBAN"})

    response = client.post(f"/finance/disbursements/{item.pk}/approve/")

    assert response.status_code == 400
    assert b"another person must approve" in response.content
    item.refresh_from_db()
    assert (item.status, item.approved_by_id) == ("PREPARED", None)


def test_the_buyer_sees_the_breakdown_and_a_stranger_does_not(client, court):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance, price=3_000_000)
    client.force_login(sale.buyer)

    page = client.get(f"/purchases/{sale.public_id}/")
    bad = client.post(f"/purchases/{sale.public_id}/", {"method": "CHEQUE"})

    assert page.status_code == 200
    assert b'data-testid="balance"' in page.content
    assert bad.status_code == 400
    sale.refresh_from_db()
    assert sale.payment is None
    client.force_login(make_user("BIDDER", verified=True))
    assert client.get(f"/purchases/{sale.public_id}/").status_code == 404


def test_the_dashboard_pages_through_every_open_distribution(client, court, monkeypatch):
    import re
    from html import unescape

    from django.utils import timezone

    from aftersale.views import finance as finance_views
    from tests.auction import factories

    monkeypatch.setattr(finance_views, "DASHBOARD_PAGE", 3)
    finance = make_user("FINANCE_STAFF", court=court)
    made = [
        Distribution.objects.create(
            court=court,
            file=factories.enforcement_file(court),  # one open distribution per file
            number=f"RYC-D-2026-{number:06d}",
            status=status,
            total_minor=1_000,
            currency="SAR",
            proposed_at=timezone.now(),
        )
        for number, status in enumerate(["PROPOSED"] * 7 + ["CANCELLED"])
    ]
    client.force_login(finance)

    seen, query = [], ""
    while True:
        body = client.get("/finance/" + query).content.decode()
        seen += re.findall(r'dir="ltr">(RYC-D-2026-\d+)</a>', body)
        following = re.search(r'rel="next" href="([^"]+)"', body)
        if following is None:
            break
        query = unescape(following.group(1))

    open_ones = [d.number for d in sorted(made, key=lambda d: -d.pk) if d.status != "CANCELLED"]
    assert seen == open_ones  # newest first, none left out, none twice, no cancelled one
