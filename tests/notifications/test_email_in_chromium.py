"""The Arabic e-mail of a Saudi court, as received over SMTP, drawn by Chromium (phone, desktop)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core import formatting
from core.money import Money
from notifications import delivery, services
from tests.conftest import make_user
from tests.notifications.conftest import parts

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

DUE = datetime(2026, 12, 20, 14, 0, tzinfo=ZoneInfo("Asia/Riyadh"))
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_saudi_courts_e_mail_shows_the_hijri_day_and_amounts_in_the_readers_format(
    court, mail_server, browser, screenshot_dir, language
):
    buyer = make_user("BIDDER", preferred_language=language, full_name="نورة الدوسري")
    balance = Money(9_350_000, "SAR")
    services.tell(
        key="sale.won:901",
        kind="sale.won",
        to=buyer,
        params={"lot": "RYC-A-2026-0007/L3", "balance": balance, "due": DUE},
        url="https://mazad.example/purchases/901/",
        time_zone=court,
    )

    delivery.deliver_due(timezone.now())

    [message] = mail_server.records()
    html, text = parts(message)["text/html"], parts(message)["text/plain"]
    hijri = formatting.format_hijri_day(DUE, court, lang=language)
    assert hijri == {"ar": "11 رجب 1448 هـ", "en": "11 Rajab 1448 AH"}[language]
    for body in (html, text):
        assert hijri in body
        assert balance.format(language) in body
        assert formatting.format_day(DUE, court, lang=language) in body
    assert f'lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}"' in html
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, locale=language)
        page = context.new_page()
        page.set_content(html)
        shown = page.inner_text("body")
        assert hijri in shown
        assert balance.format(language).replace("\xa0", " ") in shown.replace("\xa0", " ")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"the e-mail is {width}px wide on {size}"
        page.screenshot(path=screenshot_dir / f"email-won-{size}-{language}.png", full_page=True)
        context.close()
