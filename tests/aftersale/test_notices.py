"""E-mails after the sale are written in the buyer's language, amounts and deadlines included.

They are notices of the outbox, sent by the notifier's pass."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersale.services import deadlines
from core import formatting
from notifications import delivery as outbox
from tests.aftersale import helpers
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "zone", "currency"),
    [("ar", "توقيت المملكة العربية السعودية", "ر.س."), ("en", "Saudi Arabia Time", "SAR")],
)
def test_a_reminder_writes_the_amount_and_the_deadline_in_the_buyers_language(
    court, mailoutbox, django_capture_on_commit_callbacks, language, zone, currency
):
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance)
    type(sale.buyer).objects.filter(pk=sale.buyer_id).update(preferred_language=language)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        deadlines.run(sale.due_at - timedelta(days=2))
    outbox.deliver_due(sale.due_at)  # the notifier's pass sends what the outbox holds

    body = mailoutbox[-1].body
    assert formatting.format_moment(sale.due_at, court, lang=language) in body
    assert zone in body
    assert currency in body
    assert sale.money("balance").format(language) in body
