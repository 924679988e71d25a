"""Who sees which tickets: requesters their own, staff their court's team, supervisors all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from auction.models import Registration
from support import services
from tests.auction import factories
from tests.conftest import make_user
from tests.support.conftest import open_ticket, png

pytestmark = pytest.mark.django_db


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_a_requester_sees_only_their_own_tickets(client, court, requester, other_requester):
    mine = open_ticket(requester, court, subject="Mine: deposit held")
    theirs = open_ticket(other_requester, court, subject="Theirs: payment failed")

    listing = page(client, requester, reverse("support:mine"))

    assert mine.number in listing.text
    assert theirs.number not in listing.text
    assert client.get(reverse("support:ticket", args=[mine.number])).status_code == 200
    assert client.get(reverse("support:ticket", args=[theirs.number])).status_code == 404
    assert client.get(reverse("support:ticket", args=["RYC-T-2026-999999"])).status_code == 404


def test_attachments_are_served_only_to_whoever_may_see_the_ticket(
    client, court, other_court, requester, other_requester, execution_staff, finance_staff
):
    ticket = open_ticket(requester, court, topic="DEPOSIT", attachments=[png()])
    attachment = ticket.messages.get().attachments.get()
    url = reverse("support:attachment", args=[attachment.pk])
    outsider = make_user("EXECUTION_STAFF", court=other_court)

    allowed = [page(client, user, url) for user in (requester, execution_staff)]
    refused = [page(client, user, url) for user in (other_requester, finance_staff, outsider)]

    assert [r.status_code for r in allowed] == [200, 200]
    assert allowed[0]["Content-Type"] == "image/png"
    assert allowed[0]["X-Content-Type-Options"] == "nosniff"
    assert [r.status_code for r in refused] == [404, 404, 404]


def test_the_ticket_form_offers_only_the_requesters_own_records(
    client, court, requester, other_requester
):
    lot = factories.lot(court)
    other_lot = factories.lot(court)
    Registration.objects.create(lot=lot, bidder=requester, paddle=501)
    Registration.objects.create(lot=other_lot, bidder=other_requester, paddle=502)

    form = page(client, requester, reverse("support:new"))

    assert f'value="LOT:{lot.pk}"' in form.text
    assert f'value="LOT:{other_lot.pk}"' not in form.text
    assert "Paddle 501" in form.text
    assert "Paddle 502" not in form.text


def test_staff_see_only_their_courts_tickets_of_their_team(
    client, court, other_court, requester, execution_staff, finance_staff, court_supervisor
):
    deposit = open_ticket(requester, court, topic="DEPOSIT", subject="Deposit question")
    transfer = open_ticket(requester, court, topic="TRANSFER", subject="Transfer question")
    elsewhere = open_ticket(requester, other_court, topic="DEPOSIT", subject="Kuwait question")
    queue = reverse("support:queue")

    seen = {
        name: page(client, user, queue).text
        for name, user in (
            ("execution", execution_staff),
            ("finance", finance_staff),
            ("supervisor", court_supervisor),
        )
    }

    assert deposit.number in seen["execution"]
    assert transfer.number not in seen["execution"]
    assert transfer.number in seen["finance"]
    assert deposit.number not in seen["finance"]
    assert deposit.number in seen["supervisor"]
    assert transfer.number in seen["supervisor"]
    assert all(elsewhere.number not in text for text in seen.values())
    detail = reverse("support:ticket", args=[transfer.number])
    assert page(client, execution_staff, detail).status_code == 404
    assert page(client, finance_staff, detail).status_code == 200


def test_a_requester_cannot_post_a_staff_answer(client, court, requester):
    ticket = open_ticket(requester, court)
    client.force_login(requester)

    response = client.post(
        reverse("support:answer", args=[ticket.number]), {"action": "resolve", "body": "Done"}
    )

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "OPEN"
    assert ticket.messages.count() == 1


def test_staff_of_another_court_cannot_post_on_a_ticket(client, court, other_court, requester):
    ticket = open_ticket(requester, court)
    outsider = make_user("SUPERVISOR", court=other_court)
    client.force_login(outsider)

    response = client.post(
        reverse("support:answer", args=[ticket.number]), {"action": "reply", "body": "Hi"}
    )

    assert response.status_code == 404
    assert ticket.messages.count() == 1


@pytest.mark.parametrize("name", ["support:report", "support:report_csv", "support:service_levels"])
def test_only_supervisors_read_reports_and_set_service_levels(
    client, court, requester, execution_staff, finance_staff, court_supervisor, name
):
    url = reverse(name)

    codes = [
        page(client, user, url).status_code for user in (requester, execution_staff, finance_staff)
    ]

    assert codes == [403, 403, 403]
    assert page(client, court_supervisor, url).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in ("support:mine", "support:new", "support:queue", "support:report"):
        response = client.get(reverse(name))

        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_requesters_have_no_queue_and_staff_no_ticket_form(
    client, court, requester, execution_staff
):
    assert page(client, requester, reverse("support:queue")).status_code == 403
    assert page(client, execution_staff, reverse("support:new")).status_code == 403
    assert page(client, execution_staff, reverse("support:mine")).status_code == 302


def test_the_workspace_shows_each_role_its_support_cards(
    client, court, requester, execution_staff, court_supervisor
):
    open_ticket(requester, court)
    workspace = reverse("frontend:workspace")

    bidder_page = page(client, requester, workspace).text
    staff_page = page(client, execution_staff, workspace).text
    supervisor_page = page(client, court_supervisor, workspace).text

    assert reverse("support:mine") in bidder_page
    assert reverse("support:queue") not in bidder_page
    assert reverse("support:queue") in staff_page
    assert reverse("support:report") not in staff_page
    assert reverse("support:report") in supervisor_page
    assert reverse("support:service_levels") in supervisor_page


def test_the_ticket_page_shows_staff_the_answer_form_and_the_requester_theirs(
    client, court, requester, execution_staff
):
    ticket = open_ticket(requester, court)
    services.request_information(actor=execution_staff, ticket_id=ticket.pk, body="Which lot?")
    url = reverse("support:ticket", args=[ticket.number])

    staff_page = page(client, execution_staff, url).text
    requester_page = page(client, requester, url).text

    assert 'value="resolve"' in staff_page
    assert "Which lot?" in staff_page
    assert 'value="resolve"' not in requester_page
    assert reverse("support:message", args=[ticket.number]) in requester_page
