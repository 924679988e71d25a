"""The public help, where people land after logging in, and the pages that said too little."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from aftersale import selectors as aftersale_selectors
from auction.models import SaleRules
from core.money import Money
from frontend.help_pages import TOPICS
from payments import ledger
from payments.models import AccountPurpose
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

HELP_TITLES = {
    "ar": [
        "كيف تعمل المنصة", "قواعد البيع", "مبلغ التأمين واسترداده", "الرسوم والضرائب",
        "أسئلة وأجوبة", "تواصل معنا",
    ],
    "en": [
        "How it works", "Rules of a sale", "Deposits and refunds", "Fees and taxes",
        "Questions and answers", "Contact",
    ],
}  # fmt: skip


@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_help_page_opens_without_logging_in_in_each_language(client, court, language):
    client.cookies["mazad_language"] = language

    index = client.get(reverse("frontend:help"))
    pages = [client.get(reverse("frontend:help_topic", args=[topic.slug])) for topic in TOPICS]

    assert index.status_code == 200
    assert all(page.status_code == 200 for page in pages)
    for title, page in zip(HELP_TITLES[language], pages, strict=True):
        assert title in page.content.decode()
    html = index.content.decode()
    assert f'lang="{language}"' in html
    assert all(title in html for title in HELP_TITLES[language])


@pytest.mark.parametrize(
    ("language", "premium", "deposit"),
    [
        ("en", "2.5\xa0%", "10\xa0% of the opening price"),
        ("ar", "2.5\xa0%", "10\xa0% من سعر الافتتاح"),
    ],
)
def test_the_rules_page_shows_each_courts_current_rules(
    client, court, other_court, language, premium, deposit
):
    SaleRules.objects.create(court=other_court, premium_bp=500, notice_days=14)
    client.cookies["mazad_language"] = language

    html = client.get(reverse("frontend:help_topic", args=["rules"])).content.decode()

    assert court.name_en in html or court.name_ar in html
    assert other_court.name_en in html or other_court.name_ar in html
    assert premium in html  # the Riyadh court's defaults, never saved by reading them
    assert "5\xa0%" in html  # Kuwait's own premium
    assert deposit in html
    assert "basis points" not in html
    assert not SaleRules.objects.filter(court=court).exists()


def test_an_unknown_help_topic_is_not_found(client):
    assert client.get("/help/no-such-topic/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/auctions/", "/help/faq/", "/accounts/login/"])
def test_every_page_links_to_the_public_help_not_the_login(client, court, path):
    html = client.get(path).content.decode()

    assert 'href="/help/"' in html
    assert 'href="/help/rules/"' in html


def test_a_bidder_lands_on_their_own_page_after_logging_in(client):
    bidder = make_user(verified=True)

    response = client.post(
        reverse("accounts:login"), {"username": bidder.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("auction:mine")


@pytest.mark.parametrize("role", ["EXECUTION_STAFF", "FINANCE_STAFF", "SUPERVISOR"])
def test_staff_still_land_on_the_workspace(client, court, role):
    user = make_user(role, court=court)

    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": PASSWORD}
    )

    assert response["Location"] == reverse("frontend:workspace")


def test_a_bidder_sent_to_log_in_from_a_page_goes_back_to_it(client):
    bidder = make_user(verified=True)

    response = client.post(
        reverse("accounts:login") + "?next=/lots/5/",
        {"username": bidder.email, "password": PASSWORD, "next": "/lots/5/"},
    )

    assert response["Location"] == "/lots/5/"


@pytest.mark.parametrize(
    ("language", "how_long", "next_step"),
    [
        ("en", "within 2 working days", "Browse the auctions"),
        ("ar", "خلال يومي عمل", "تصفّح المزادات"),
    ],
)
def test_the_pending_review_screen_says_how_long_and_where_to_go(
    client, language, how_long, next_step
):
    bidder = make_user(identity_status="PENDING", preferred_language=language)
    client.force_login(bidder)

    html = client.get(reverse("accounts:identity")).content.decode()

    assert how_long in html
    assert next_step in html
    assert 'href="/auctions/"' in html
    assert 'href="/help/how-it-works/"' in html


def test_the_reconciliation_report_opened_directly_shows_todays_report(client, court):
    finance = make_user("FINANCE_STAFF", court=court)
    client.force_login(finance)

    response = client.get(reverse("aftersale:report"))
    wrong = client.get(reverse("aftersale:report"), {"on": "not-a-day"})

    assert response.status_code == 200
    today = timezone.localtime(timezone.now(), ZoneInfo(court.time_zone)).date()
    assert f'value="{today.isoformat()}"' in response.content.decode()
    assert response.context["report"].on == today
    assert wrong.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in wrong.content.decode()


def _cash_in(court, amount_minor: int, key: str) -> None:
    custody = ledger.account(court=court, purpose=AccountPurpose.COURT_CUSTODY, currency="SAR")
    deposits = ledger.account(court=court, purpose=AccountPurpose.BIDDER_DEPOSITS, currency="SAR")
    ledger.post_entry(
        court=court,
        memo="deposit",
        legs=[
            ledger.debit(custody, Money(amount_minor, "SAR")),
            ledger.credit(deposits, Money(amount_minor, "SAR")),
        ],
        idempotency_key=key,
        reference=court,
    )


def test_the_finance_chart_has_every_one_of_30_days_with_zero_on_days_without_money(court):
    zone = ZoneInfo(court.time_zone)
    today = date(2026, 11, 30)
    for days_ago, amount, key in [
        (0, 5_000, "a"),
        (10, 7_000, "b"),
        (29, 9_000, "c"),
        (30, 1, "d"),
    ]:
        moment = datetime.combine(today - timedelta(days=days_ago), time(12), zone)
        with time_machine.travel(moment, tick=False):
            _cash_in(court, amount, key)

    flows = aftersale_selectors.flows(court, today=today)

    assert len(flows["labels"]) == 30
    assert flows["labels"][0] == "2026-11-01"
    assert flows["labels"][-1] == "2026-11-30"
    assert flows["inflow"][-1] == 5_000
    assert flows["inflow"][19] == 7_000
    assert flows["inflow"][0] == 9_000
    assert sum(1 for value in flows["inflow"] if value) == 3
    assert flows["outflow"] == [0] * 30


def test_the_live_board_never_says_zero_minutes_for_an_open_lot(client, court):
    from tests.auction import factories

    staff = make_user("EXECUTION_STAFF", court=court)
    lot = factories.lot(court, ends_at=timezone.now() + timedelta(seconds=20))
    client.force_login(staff)

    html = client.get(
        reverse("auction:live_board", args=[lot.auction_id]), HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "less than a minute" in html
    assert "0 minutes" not in html
