"""The live panel's cost of winning is the invoice's, to the minor unit, in both languages."""

from __future__ import annotations

import pytest

from aftersale.models import Sale
from auction.bidding import decide as bidding
from auction.models import Lot
from auction.services import lifecycle
from core.money import Money
from tests.auction import factories
from tests.browser.test_live_bidding import close_now, live, open_page

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.django_db(transaction=True)]

# 2.5 % of SAR 200.01 is 5.00025: the invoice rounds it half up to 5.00 (the panel once
# rounded it up to 5.01); 15 % VAT on 5.00 is 0.75.
RULES = {"premium_bp": 250, "vat_bp": 1_500, "vat_base": "PREMIUM"}
PRICE = 20_001


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_panels_total_is_the_invoices_total_for_the_same_price(
    browser, web_servers, court, screenshot_dir, language
):
    lot = factories.lot(court, opening_minor=PRICE, deposit_minor=0, rules=RULES)
    buyer = factories.registered_bidder(lot, preferred_language=language)
    answer = bidding.place_bid(lot_id=lot.pk, user_id=buyer.bidder_id, amount_minor=PRICE)
    assert answer.accepted
    server = web_servers["uvicorn"]
    context, page = open_page(browser, server, language, email=buyer.bidder.email)
    try:
        live(page, server, lot, language)
        page.locator("[data-live=owed-total]", has_text="205").wait_for()  # 200.01 + 5.00 + 0.75
        panel = {
            name: page.locator(f"[data-live=owed-{name}]").inner_text().strip()
            for name in ("premium", "vat", "total")
        }
        page.screenshot(path=screenshot_dir / f"lot-cost-of-winning-{language}.png", full_page=True)

        close_now(lot)
        lifecycle.settle_lot(lot_id=lot.pk)
        assert Lot.objects.get(pk=lot.pk).status == Lot.Status.SOLD
        sale = Sale.objects.get(lot=lot)
        page.goto(f"{server.base_url}/purchases/{sale.public_id}/")
        cells = page.locator("[data-testid=breakdown] td.num")
        invoice = {"premium": cells.nth(1).inner_text().strip(), "vat": cells.nth(2).inner_text()}
        page.screenshot(path=screenshot_dir / f"purchase-invoice-{language}.png", full_page=True)
    finally:
        context.close()

    total = Money(sale.price_minor + sale.premium_minor + sale.vat_minor, sale.currency)
    assert sale.premium_minor == 500
    assert sale.vat_minor == 75
    assert panel["premium"] == invoice["premium"].strip()
    assert panel["vat"] == invoice["vat"].strip()
    assert panel["total"] == total.format(language)


@pytest.mark.parametrize(
    ("currency", "language", "expected"),
    [
        # 2.5 % of each price lands on half a minor unit or just past it, where rounding up
        # and half up part; VAT is 15 % of the premium.
        ("SAR", "ar", {"premium": 500, "vat": 75}),  # SAR 200.01: 5.00025 → 5.00
        ("KWD", "en", {"premium": 500, "vat": 75}),  # KWD 20.001 (3 decimals): 0.500025 → 0.500
        ("VND", "en", {"premium": 500, "vat": 75}),  # ₫20,001 (no decimals): 500.025 → 500
    ],
)
def test_the_panels_total_is_the_invoices_in_each_currencys_decimals(
    browser, web_servers, screenshot_dir, currency, language, expected
):
    from accounts.organisations import Court

    court = Court.objects.create(
        code=f"C{currency}",
        name_ar=f"محكمة {currency}",
        name_en=f"{currency} court",
        city="City",
        time_zone={"SAR": "Asia/Riyadh", "KWD": "Asia/Kuwait", "VND": "Asia/Ho_Chi_Minh"}[currency],
        currency=currency,
    )
    lot = factories.lot(court, opening_minor=PRICE, deposit_minor=0, rules=RULES)
    assert lot.currency == currency
    buyer = factories.registered_bidder(lot, preferred_language=language)
    assert bidding.place_bid(lot_id=lot.pk, user_id=buyer.bidder_id, amount_minor=PRICE).accepted
    owed = Money(PRICE + expected["premium"] + expected["vat"], currency)
    server = web_servers["uvicorn"]
    context, page = open_page(browser, server, language, email=buyer.bidder.email)
    try:
        live(page, server, lot, language)
        page.locator("[data-live=owed-total]", has_text=owed.format(language)).wait_for()
        panel = {
            name: page.locator(f"[data-live=owed-{name}]").inner_text().strip()
            for name in ("premium", "vat", "total")
        }
        page.screenshot(
            path=screenshot_dir / f"lot-cost-of-winning-{currency}-{language}.png", full_page=True
        )

        close_now(lot)
        lifecycle.settle_lot(lot_id=lot.pk)
        sale = Sale.objects.get(lot=lot)
        page.goto(f"{server.base_url}/purchases/{sale.public_id}/")
        cells = page.locator("[data-testid=breakdown] td.num")
        invoice = {
            "premium": cells.nth(1).inner_text().strip(),
            "vat": cells.nth(2).inner_text().strip(),
        }
        page.screenshot(
            path=screenshot_dir / f"purchase-invoice-{currency}-{language}.png", full_page=True
        )
    finally:
        context.close()

    assert (sale.currency, sale.price_minor) == (currency, PRICE)
    assert (sale.premium_minor, sale.vat_minor) == (expected["premium"], expected["vat"])
    assert panel["premium"] == invoice["premium"]
    assert panel["vat"] == invoice["vat"]
    assert panel["premium"] == Money(sale.premium_minor, currency).format(language)
    assert panel["total"] == Money(
        sale.price_minor + sale.premium_minor + sale.vat_minor, currency
    ).format(language)
