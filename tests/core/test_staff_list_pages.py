"""Staff lists read by keyset pages: every row once, rows added meanwhile never shown twice.

The auctions of a court, the identity review queue and the imported bank statements used to
stop silently (at 50 statements) or render every row; each now pages by keyset
(core/pagination.py) with its total.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.models import IdentityStatus, User
from aftersale.models import Statement
from auction.models import Auction
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)


def _walk(client: Any, url: str, params: str, add: Any) -> tuple[list[int], list[int], Any]:
    """Every row id the list shows following Next links; `add()` inserts a row between pages."""
    query = QueryDict(params, mutable=True)
    seen: list[int] = []
    added: list[int] = []
    for _ in range(50):
        response = client.get(url + "?" + query.urlencode())
        assert response.status_code == 200
        page = response.context["page"]
        seen.extend(row.pk for row in page.rows)
        if not page.next_cursor:
            return seen, added, page
        added.append(add())
        query = QueryDict(page.next_query, mutable=True)
    raise AssertionError("the pages never ended")


def test_the_auctions_list_pages_every_auction_once_while_auctions_are_created(client, court):
    base = timezone.now() + timedelta(days=30)

    def draft(starts_at: Any) -> int:
        the_auction = factories.auction(
            court, status="DRAFT", starts_at=starts_at, ends_at=starts_at + timedelta(days=1)
        )
        return int(the_auction.pk)

    made = [draft(base + timedelta(hours=i // 2)) for i in range(57)]
    client.force_login(make_user("EXECUTION_STAFF", court=court))

    def add() -> int:  # starts later than every one listed: on the first page, already read
        return draft(base + timedelta(days=9))

    seen, _added, page = _walk(client, reverse("auction:staff_list"), "", add)

    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(made)
    assert page.total == Auction.objects.filter(court=court).count()


def test_the_identity_queue_pages_every_bidder_once_while_bidders_submit(client, court):
    start = timezone.now() - timedelta(days=5)
    waiting = []
    for i in range(55):
        user = make_user("BIDDER", identity_status=IdentityStatus.PENDING)
        User.objects.filter(pk=user.pk).update(identity_submitted_at=start + timedelta(hours=i))
        waiting.append(user.pk)
    client.force_login(make_user("EXECUTION_STAFF", court=court))

    def add() -> int:  # submits now: after every one already listed, so on a later page
        user = make_user(
            "BIDDER", identity_status=IdentityStatus.PENDING, identity_submitted_at=timezone.now()
        )
        return int(user.pk)

    seen, added, _page = _walk(client, reverse("accounts:review_queue"), "status=PENDING", add)

    assert len(seen) == len(set(seen))
    assert set(waiting) <= set(seen)
    assert set(added) <= set(seen)


def test_the_statements_list_shows_more_than_fifty_statements(client, court):
    finance = make_user("FINANCE_STAFF", court=court)
    first = date(2026, 1, 1)

    def statement(day: int) -> int:
        number = next(_numbers)
        return int(
            Statement.objects.create(
                court=court,
                source="CSV",
                account_purpose="COURT_TRUST",
                identifier=f"S-{number}",
                content_hash=f"{number:064d}",
                currency=court.currency,
                from_on=first + timedelta(days=day),
                to_on=first + timedelta(days=day),
                imported_by=finance,
            ).pk
        )

    made = [statement(i // 3) for i in range(62)]
    client.force_login(finance)

    seen, added, page = _walk(
        client, reverse("aftersale:reconciliation"), "", lambda: statement(500)
    )

    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(made)
    assert page.total == 62 + len(added)
