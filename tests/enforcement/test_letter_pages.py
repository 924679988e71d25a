"""The letters list reads every letter by keyset pages, overdue first, never stopping at 200."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.organisations import Agency
from enforcement import services
from enforcement.models import AgencyLetter
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _letters(court: Any, count: int) -> tuple[Any, list[AgencyLetter]]:
    staff = make_user("EXECUTION_STAFF", court=court)
    file = factories.enforcement_file(court)
    agency = Agency.objects.create(
        code="TRAFFIC-T", kind="TRAFFIC", name_ar="المرور", name_en="Traffic"
    )
    today = timezone.localdate()
    letters = AgencyLetter.objects.bulk_create(
        AgencyLetter(
            court=court,
            number=f"L-{i:05d}",
            file=file,
            agency=agency,
            subject_kind="INQUIRY",
            language="ar",
            subject=f"Letter {i}",
            body="",
            due_on=today + timedelta(days=(i % 40) - 20),
            sent_by=staff,
        )
        for i in range(count)
    )
    return staff, letters


def test_every_letter_is_listed_once_overdue_first_across_pages(client, court):
    staff, letters = _letters(court, 230)
    client.force_login(staff)
    query = QueryDict("status=ALL", mutable=True)
    seen: list[AgencyLetter] = []

    for _ in range(20):
        response = client.get(reverse("enforcement:letter_list") + "?" + query.urlencode())
        assert response.status_code == 200
        page = response.context["page"]
        seen.extend(page.rows)
        if not page.next_cursor:
            break
        query = QueryDict(page.next_query, mutable=True)

    today = timezone.localdate()
    overdue = [letter.due_on < today for letter in seen]
    assert sorted(letter.pk for letter in seen) == sorted(letter.pk for letter in letters)
    assert overdue == sorted(overdue, reverse=True)
    assert page.total == 230
    assert page.is_total_exact


def test_a_bad_page_link_of_the_letters_shows_the_first_page(client, court):
    staff, _letters_made = _letters(court, 60)
    client.force_login(staff)

    response = client.get(
        reverse("enforcement:letter_list"), {"status": "ALL", "after": "WzAsIngiLDFd"}
    )

    assert response.status_code == 200
    assert response.context["page"].is_reset
    assert len(response.context["page"].rows) == 50


def test_letters_sent_while_a_reader_walks_the_pages_are_never_shown_twice_nor_skip_one(
    client, court
):
    staff, letters = _letters(court, 120)
    client.force_login(staff)
    query = QueryDict("status=ALL", mutable=True)
    seen: list[int] = []
    sent_meanwhile: list[AgencyLetter] = []
    today = timezone.localdate()

    for step in range(20):
        response = client.get(reverse("enforcement:letter_list") + "?" + query.urlencode())
        page = response.context["page"]
        seen.extend(letter.pk for letter in page.rows)
        if not page.next_cursor:
            break
        # One letter due long ago (overdue: before every page read so far) and one due last.
        for days, suffix in ((-400, "a"), (400, "b")):
            sent_meanwhile.append(
                AgencyLetter.objects.create(
                    court=court,
                    number=f"L-NEW-{step}{suffix}",
                    file=letters[0].file,
                    agency=letters[0].agency,
                    subject_kind="INQUIRY",
                    language="ar",
                    subject="New",
                    body="",
                    due_on=today + timedelta(days=days),
                    sent_by=staff,
                )
            )
        query = QueryDict(page.next_query, mutable=True)

    assert len(seen) == len(set(seen))
    assert {letter.pk for letter in letters} <= set(seen)
    due_last = {letter.pk for letter in sent_meanwhile if letter.due_on > today}
    assert due_last <= set(seen)  # after the cursor: read on a later page


BODY = "enforcement/_letter_list_body.html"


@pytest.fixture
def _cached_lists(settings: Any) -> None:
    from django.core.cache import cache

    settings.CACHED_STAFF_LISTS = True
    cache.clear()


def _rendered(response: Any) -> bool:
    return BODY in [template.name for template in response.templates]


@pytest.mark.usefixtures("_cached_lists")
def test_a_letter_sent_or_answered_shows_on_the_next_read_of_the_court_list_and_the_inbox(
    client, court
):
    staff, letters = _letters(court, 3)
    agency = letters[0].agency
    clerk = make_user("AGENCY", agency=agency)
    staff_client, agency_client = client, type(client)()
    staff_client.force_login(staff)
    agency_client.force_login(clerk)
    court_list = reverse("enforcement:letter_list") + "?status=ALL"
    answered_list = reverse("enforcement:letter_list") + "?status=ANSWERED"
    staff_client.get(answered_list)
    assert not _rendered(staff_client.get(answered_list))
    for reader in (staff_client, agency_client):
        assert _rendered(reader.get(court_list))
        again = reader.get(court_list)
        assert not _rendered(again)  # from the cache
        assert again.status_code == 200

    sent = AgencyLetter.objects.create(
        court=court,
        number="L-SENT-1",
        file=letters[0].file,
        agency=agency,
        subject_kind="INQUIRY",
        language="ar",
        subject="Sent just now",
        body="",
        due_on=timezone.localdate() + timedelta(days=3),
        sent_by=staff,
    )
    after_sending = [reader.get(court_list) for reader in (staff_client, agency_client)]
    services.answer_letter(actor=clerk, letter_id=sent.pk, answer="No record.", document=None)
    after_answering = staff_client.get(answered_list)

    for response in after_sending:
        assert _rendered(response)
        assert "L-SENT-1" in response.content.decode()
    assert _rendered(after_answering)
    assert "L-SENT-1" in after_answering.content.decode()
    assert after_answering.context["page"].total == 1


@pytest.mark.usefixtures("_cached_lists")
def test_another_courts_letter_does_not_retire_the_list(client, court):
    from accounts.organisations import Court

    staff, _made = _letters(court, 2)
    client.force_login(staff)
    url = reverse("enforcement:letter_list") + "?status=ALL"
    client.get(url)
    other = Court.objects.create(
        code="JDC", name_ar="محكمة جدة", name_en="Jeddah Court", city="Jeddah",
        time_zone="Asia/Riyadh", currency="SAR",
    )  # fmt: skip
    other_agency = Agency.objects.create(
        code="TRAFFIC-J", kind="TRAFFIC", name_ar="مرور جدة", name_en="Jeddah Traffic"
    )
    other_staff = make_user("EXECUTION_STAFF", court=other)
    AgencyLetter.objects.create(
        court=other, number="L-OTHER", file=factories.enforcement_file(other),
        agency=other_agency, subject_kind="INQUIRY", language="ar", subject="Elsewhere",
        body="", due_on=timezone.localdate(), sent_by=other_staff,
    )  # fmt: skip

    response = client.get(url)

    assert not _rendered(response)
    assert "L-OTHER" not in response.content.decode()
