"""Questions on a lot: a bidder asks, staff of the lot's court answer or reject, answered ones
appear on the lot page without the asker, the asker is told once; bad input, closed lots,
other courts and floods are refused naming the rule and change nothing (PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from auction import clock, questions
from auction.models import Question
from core.models import AuditRecord
from tests.auction import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def ask_url(lot) -> str:
    return reverse("auction:ask", args=[lot.pk])


def test_asked_answered_shown_without_the_asker_and_told_once_in_their_language(client, court):
    lot = factories.lot(court)
    asker = make_user("BIDDER", preferred_language="ar", full_name="Secret Asker Name")
    staff = make_user("EXECUTION_STAFF", court=court)
    client.force_login(asker)

    asked = client.post(ask_url(lot), {"text": "  Does the car have a spare key?  "})
    question = Question.objects.get()
    client.logout()
    client.get(f"/lots/{lot.pk}/")  # an anonymous reader's first visit sets its CSRF cookie
    before = client.get(f"/lots/{lot.pk}/")
    client.force_login(staff)
    queue = client.get(reverse("auction:staff_questions"))
    answered = client.post(
        reverse("auction:answer_question", args=[question.pk]),
        {f"a{question.pk}-answer": "Yes, two keys are with the custodian."},
    )
    client.logout()
    client.get("/")
    after = client.get(f"/lots/{lot.pk}/", HTTP_IF_NONE_MATCH=before["ETag"])
    mail.outbox.clear()
    clock.notify(timezone.now())
    clock.notify(timezone.now())

    assert asked.status_code == 302
    assert asked["Location"].endswith("#questions")
    assert question.text == "Does the car have a spare key?"
    assert "Does the car have a spare key?" in queue.content.decode()
    assert answered.status_code == 302
    assert "two keys" not in before.content.decode()
    page = after.content.decode()
    assert after.status_code == 200  # the answer changed the page: no 304
    assert "Does the car have a spare key?" in page
    assert "two keys are with the custodian" in page
    assert "Secret Asker Name" not in page
    assert asker.email not in page
    assert [m.to for m in mail.outbox] == [[asker.email]]
    assert "الإجابة" in mail.outbox[0].body or "أجابت" in mail.outbox[0].body
    assert f"/lots/{lot.pk}/" in mail.outbox[0].body
    assert AuditRecord.objects.filter(action="auction.question.answered").count() == 1


def test_a_rejected_question_is_told_to_its_asker_with_the_reason_and_never_shown(client, court):
    lot = factories.lot(court)
    asker = make_user("BIDDER", preferred_language="en")
    staff = make_user("EXECUTION_STAFF", court=court)
    question = questions.ask(
        user=asker, lot_id=lot.pk, text="Who is the debtor?", now=timezone.now()
    )
    client.force_login(staff)

    client.post(
        reverse("auction:reject_question", args=[question.pk]),
        {f"r{question.pk}-reason": "We do not publish the parties' names."},
    )
    mail.outbox.clear()
    clock.notify(timezone.now())
    client.logout()
    public = client.get(f"/lots/{lot.pk}/").content.decode()
    client.force_login(asker)
    own = client.get(f"/lots/{lot.pk}/").content.decode()

    assert "Who is the debtor?" not in public
    assert "Who is the debtor?" in own
    assert "We do not publish the parties" in own
    assert len(mail.outbox) == 1
    assert "We do not publish the parties" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "This field is required."),
        ("   \n ", "This field is required."),
        ("Why", "at least 5 characters"),
        ("x" * 1001, "at most 1000 characters"),
        ("x" * 10_000, "at most 1000 characters"),
        ("What\x00 about it?", "control characters"),
        ("What\x1b[31m colour?", "control characters"),
    ],
)
def test_bad_questions_are_refused_naming_the_field_and_nothing_is_stored(
    client, court, text, message
):
    lot = factories.lot(court)
    client.force_login(make_user("BIDDER"))

    answer = client.post(ask_url(lot), {"text": text})

    assert answer.status_code == 400
    assert message in " ".join(answer.context["form"].errors["text"])
    assert not Question.objects.exists()


def test_bad_questions_are_refused_in_arabic(client, court):
    lot = factories.lot(court)
    client.force_login(make_user("BIDDER", preferred_language="ar"))
    client.cookies["mazad_language"] = "ar"

    answer = client.post(ask_url(lot), {"text": "x" * 1001})

    assert answer.status_code == 400
    assert "1000" in answer.content.decode()
    assert "حرف" in answer.content.decode()


def test_a_multi_line_question_keeps_its_line_breaks(client, court):
    lot = factories.lot(court)
    client.force_login(make_user("BIDDER"))

    client.post(ask_url(lot), {"text": "First line\r\nSecond\tline"})

    assert Question.objects.get().text == "First line\r\nSecond\tline"


def test_no_question_after_the_lot_closes(client, court):
    lot = factories.lot(court, ends_at=timezone.now() - timedelta(seconds=1))
    sold = factories.lot(court, status="UNSOLD")
    client.force_login(make_user("BIDDER"))

    late = client.post(ask_url(lot), {"text": "Is it still for sale?"})
    after = client.post(ask_url(sold), {"text": "Is it still for sale?"})
    page = client.get(f"/lots/{sold.pk}/").content.decode()

    assert late.status_code == after.status_code == 400
    assert "takes no more questions" in late.content.decode()
    assert "takes no more questions" in page
    assert 'name="text"' not in page
    assert not Question.objects.exists()


def test_staff_do_not_ask_and_anonymous_visitors_are_sent_to_log_in(client, court):
    lot = factories.lot(court)
    client.force_login(make_user("EXECUTION_STAFF", court=court))

    refused = client.post(ask_url(lot), {"text": "Staff asking a question"})
    client.logout()
    anonymous = client.post(ask_url(lot), {"text": "Anonymous asking"})

    assert refused.status_code == 403
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert not Question.objects.exists()


def test_a_flood_of_questions_is_rate_limited(client, court):
    lots = [factories.lot(court) for _ in range(3)]
    asker = make_user("BIDDER")
    client.force_login(asker)

    on_one = [client.post(ask_url(lots[0]), {"text": f"Question {n} here"}) for n in range(4)]
    spread = [client.post(ask_url(lots[n]), {"text": f"Other question {n}"}) for n in (1, 2)]

    assert [a.status_code for a in on_one] == [302, 302, 302, 429]
    assert "awaiting an answer" in on_one[-1].content.decode()
    assert [a.status_code for a in spread] == [302, 302]
    hour = client.post(ask_url(lots[1]), {"text": "Sixth question now"})
    assert hour.status_code == 429
    assert "in the last hour" in hour.content.decode()
    assert Question.objects.filter(asker=asker).count() == questions.PER_HOUR


def test_another_courts_staff_cannot_answer_and_an_answer_is_given_once(client, court, other_court):
    lot = factories.lot(court)
    question = questions.ask(
        user=make_user("BIDDER"), lot_id=lot.pk, text="Any damage?", now=timezone.now()
    )
    client.force_login(make_user("EXECUTION_STAFF", court=other_court))
    url = reverse("auction:answer_question", args=[question.pk])

    other = client.post(url, {f"a{question.pk}-answer": "No"})
    client.force_login(make_user("EXECUTION_STAFF", court=court))
    empty = client.post(url, {f"a{question.pk}-answer": "   "})
    control = client.post(url, {f"a{question.pk}-answer": "No\x00"})
    first = client.post(url, {f"a{question.pk}-answer": "No damage."})
    second = client.post(url, {f"a{question.pk}-answer": "Changed my mind."})
    rejected = client.post(
        reverse("auction:reject_question", args=[question.pk]), {f"r{question.pk}-reason": "x"}
    )

    assert other.status_code == 404
    assert empty.status_code == control.status_code == 400
    assert "This field is required." in empty.content.decode()
    assert first.status_code == second.status_code == rejected.status_code == 302
    question.refresh_from_db()
    assert (question.status, question.answer) == ("ANSWERED", "No damage.")


def test_an_empty_rejection_reason_is_refused(client, court):
    lot = factories.lot(court)
    question = questions.ask(
        user=make_user("BIDDER"), lot_id=lot.pk, text="Any damage?", now=timezone.now()
    )
    client.force_login(make_user("EXECUTION_STAFF", court=court))

    answer = client.post(
        reverse("auction:reject_question", args=[question.pk]), {f"r{question.pk}-reason": ""}
    )

    assert answer.status_code == 400
    assert Question.objects.get().status == "PENDING"


def test_a_question_with_html_is_stored_as_typed_and_shown_escaped_never_rendered(client, court):
    lot = factories.lot(court)
    asker = make_user("BIDDER")
    staff = make_user("EXECUTION_STAFF", court=court)
    text = 'Is the <b>roof</b> sound? <script>alert("x")</script><img src=x onerror=alert(1)>'
    client.force_login(asker)

    asked = client.post(ask_url(lot), {"text": text})
    question = Question.objects.get()
    own = client.get(f"/lots/{lot.pk}/").content.decode()
    client.force_login(staff)
    queue = client.get(reverse("auction:staff_questions")).content.decode()
    client.post(
        reverse("auction:answer_question", args=[question.pk]),
        {f"a{question.pk}-answer": "Yes, <i>repaired</i> in 2024."},
    )
    client.logout()
    public = client.get(f"/lots/{lot.pk}/").content.decode()

    assert asked.status_code == 302
    assert question.text == text
    for page in (own, queue, public):
        assert "&lt;b&gt;roof&lt;/b&gt;" in page
        assert "&lt;script&gt;" in page
        assert "<b>roof</b>" not in page
        assert '<script>alert("x")' not in page
        assert "<img src=x" not in page
    assert "&lt;i&gt;repaired&lt;/i&gt;" in public
    assert "<i>repaired</i>" not in public
