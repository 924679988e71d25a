"""Who may reach saved searches, questions and their answers: every role, in the lot's court
and another, with the answer written down (the site's matrix, tests/security/
test_authorization_matrix.py, defers these endpoints here)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Capability
from auction import questions, saved_searches
from auction.models import Question, SavedSearch
from tests.auction import factories
from tests.conftest import make_user
from tests.security.test_authorization_matrix import ROLES, has

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(court, other_court) -> dict[str, Any]:
    users: dict[str, Any] = {}
    for name, spec in ROLES.items():
        if spec is None:
            continue
        role, where = spec
        if role == "AGENCY":
            from accounts.organisations import Agency

            agency = Agency.objects.create(
                code="TRF", kind="TRAFFIC", country="SA", name_ar="المرور", name_en="Traffic"
            )
            users[name] = make_user(role, agency=agency)
        elif role == "BIDDER":
            users[name] = make_user(role, verified=True)
        else:
            users[name] = make_user(role, court=court if where == "own" else other_court)
    return users


def login(client, people, role) -> None:
    client.logout()
    if ROLES[role] is not None:
        client.force_login(people[role])


def to_login(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", list(ROLES))
def test_pages_answer_each_role_as_written(client, people, role):
    login(client, people, role)
    searches = client.get(reverse("auction:saved_searches"))
    queue = client.get(reverse("auction:staff_questions"))

    if role == "anonymous":
        assert to_login(searches)
        assert to_login(queue)
        return
    assert searches.status_code == 200
    assert queue.status_code == (200 if has(role, Capability.MANAGE_AUCTIONS) else 403)


@pytest.mark.parametrize("role", list(ROLES))
def test_saved_search_actions_are_the_owners_alone(client, people, role):
    search = saved_searches.save(user=people["bidder"], name="Mine", query="q=x", alerts=True)
    login(client, people, role)

    save = client.post(reverse("auction:save_search"), {"name": "New", "query": "q=y"})
    edit = client.post(
        reverse("auction:saved_search_edit", args=[search.pk]), {f"s{search.pk}-name": "Renamed"}
    )
    delete = client.post(reverse("auction:saved_search_delete", args=[search.pk]))

    if role == "anonymous":
        assert to_login(save)
        assert to_login(edit)
        assert to_login(delete)
        assert SavedSearch.objects.count() == 1
    elif role == "bidder":
        assert save.status_code == edit.status_code == delete.status_code == 302
        assert list(SavedSearch.objects.values_list("name", flat=True)) == ["New"]
    else:
        assert save.status_code == 302  # anyone signed in keeps their own searches
        assert edit.status_code == delete.status_code == 404
        assert SavedSearch.objects.get(pk=search.pk).name == "Mine"


@pytest.mark.parametrize("role", list(ROLES))
def test_questions_are_asked_by_bidders_and_answered_by_the_lots_court(client, people, role, court):
    lot = factories.lot(court)
    pending = [
        questions.ask(
            user=make_user("BIDDER"), lot_id=lot.pk, text=f"Question {n}?", now=timezone.now()
        )
        for n in range(2)
    ]
    login(client, people, role)

    asked = client.post(reverse("auction:ask", args=[lot.pk]), {"text": "Is it running?"})
    answered = client.post(
        reverse("auction:answer_question", args=[pending[0].pk]),
        {f"a{pending[0].pk}-answer": "Yes."},
    )
    rejected = client.post(
        reverse("auction:reject_question", args=[pending[1].pk]),
        {f"r{pending[1].pk}-reason": "Off topic."},
    )

    if role == "anonymous":
        assert to_login(asked)
        assert to_login(answered)
        assert to_login(rejected)
    else:
        bidder = ROLES[role][0] == "BIDDER"
        assert asked.status_code == (302 if bidder else 403)
        if not has(role, Capability.MANAGE_AUCTIONS):
            assert answered.status_code == rejected.status_code == 403
        elif role.endswith("other_court"):
            assert answered.status_code == rejected.status_code == 404
        else:
            assert answered.status_code == rejected.status_code == 302
    handled = not role.endswith("other_court") and has(role, Capability.MANAGE_AUCTIONS)
    statuses = sorted(
        Question.objects.filter(pk__in=[q.pk for q in pending]).values_list("status", flat=True)
    )
    assert statuses == (["ANSWERED", "REJECTED"] if handled else ["PENDING", "PENDING"])
