"""The files list reads every file by keyset pages, newest first, never by OFFSET."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enforcement.models import EnforcementFile
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _files(court: Any, count: int) -> list[EnforcementFile]:
    files = [factories.enforcement_file(court) for _ in range(count)]
    # Some opened at the same moment: the id breaks the tie.
    base = timezone.now() - timedelta(days=10)
    for i, file in enumerate(files):
        EnforcementFile.objects.filter(pk=file.pk).update(opened_at=base + timedelta(hours=i // 3))
    return files


def test_every_file_is_listed_once_across_pages_while_files_are_opened(client, court):
    files = _files(court, 47)
    staff = make_user("EXECUTION_STAFF", court=court)
    client.force_login(staff)
    query = QueryDict("", mutable=True)
    seen: list[int] = []
    opened_meanwhile: list[int] = []

    for _ in range(20):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("enforcement:file_list") + "?" + query.urlencode())
        assert response.status_code == 200
        assert not any("OFFSET" in q["sql"] for q in queries.captured_queries)
        page = response.context["page"]
        seen.extend(file.pk for file in page.rows)
        if not page.next_cursor:
            break
        # A new file opens between two page reads: it is newer, so on a page already read.
        opened_meanwhile.append(factories.enforcement_file(court).pk)
        query = QueryDict(page.next_query, mutable=True)

    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(file.pk for file in files)
    assert not set(opened_meanwhile) & set(seen)
    assert page.total == 47 + len(opened_meanwhile)
    assert page.is_total_exact


def test_the_files_list_walks_back_and_explains_a_bad_link(client, court):
    _files(court, 25)
    client.force_login(make_user("EXECUTION_STAFF", court=court))
    url = reverse("enforcement:file_list")
    first = client.get(url)
    second = client.get(url + "?" + first.context["page"].next_query)
    back = client.get(url + "?" + second.context["page"].previous_query)
    bad = client.get(url, {"after": "not-a-cursor"})

    assert [f.pk for f in back.context["page"].rows] == [f.pk for f in first.context["page"].rows]
    assert len(second.context["page"].rows) == 5
    assert bad.status_code == 200
    assert bad.context["page"].is_reset
    assert "That page link is not valid any more" in bad.content.decode()
