"""Opening, routing, answering, resolving, reopening and rating tickets through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from core.live.users import user_group
from core.models import AuditRecord
from enforcement.models import FileParty, Party
from notifications import delivery as outbox
from payments.models import Payment
from support import services
from support.models import Message, Status, Ticket
from tests.auction import factories
from tests.conftest import make_user
from tests.support.conftest import open_ticket, pdf, png, riyadh, state

pytestmark = pytest.mark.django_db


def test_a_deposit_complaint_about_a_registration_goes_to_the_execution_team_of_its_court(
    court, other_court, requester
):
    lot = factories.lot(court)
    registration = _register(lot, requester)

    ticket = open_ticket(
        requester,
        other_court,  # ignored: the registration names its court
        link=services.Link("REGISTRATION", registration.pk),
    )

    assert ticket.court == court
    assert ticket.team == "EXECUTION"
    assert ticket.registration == registration
    assert ticket.status == Status.OPEN
    assert ticket.number.startswith(f"RYC-T-{ticket.opened_at.year}-")
    assert ticket.messages.get().action == Message.Action.OPENED


def _register(lot, user):
    from auction.models import Registration

    return Registration.objects.create(lot=lot, bidder=user, paddle=700 + lot.pk)


@pytest.mark.parametrize(
    ("topic", "team"),
    [
        ("REGISTRATION", "EXECUTION"),
        ("DEPOSIT", "EXECUTION"),
        ("BIDDING", "EXECUTION"),
        ("LOT", "EXECUTION"),
        ("FILE", "EXECUTION"),
        ("PAYMENT", "FINANCE"),
        ("TRANSFER", "FINANCE"),
    ],
)
def test_each_topic_is_routed_to_its_team(court, requester, topic, team):
    ticket = open_ticket(requester, court, topic=topic)

    assert ticket.team == team
    assert ticket.court == court


def test_the_court_of_a_linked_payment_or_file_is_the_tickets_court(court, other_court, requester):
    payment = Payment.objects.create(
        court=other_court,
        payer=requester,
        purpose="DEPOSIT",
        method="BANK_TRANSFER",
        amount_minor=500_000,
        currency="KWD",
        reference="registration:1",
    )
    file = factories.enforcement_file(court)
    party = Party.objects.create(
        court=court,
        kind="PERSON",
        id_kind="NATIONAL_ID",
        name_ar="سارة",
        name_en="Sara",
        id_number="1000000008",
        user=requester,
    )
    FileParty.objects.create(file=file, party=party, role="APPLICANT")

    about_payment = open_ticket(
        requester, court, topic="PAYMENT", link=services.Link("PAYMENT", payment.pk)
    )
    about_file = open_ticket(
        requester, other_court, topic="FILE", link=services.Link("FILE", file.pk)
    )

    assert (about_payment.court, about_payment.team) == (other_court, "FINANCE")
    assert (about_file.court, about_file.team) == (court, "EXECUTION")


@pytest.mark.parametrize("kind", ["LOT", "REGISTRATION", "PAYMENT", "FILE"])
def test_linking_another_persons_record_is_refused_and_saves_nothing(
    court, requester, other_requester, kind
):
    lot = factories.lot(court)
    records = {
        "LOT": lambda: (_register(lot, other_requester), lot)[1],
        "REGISTRATION": lambda: _register(lot, other_requester),
        "PAYMENT": lambda: Payment.objects.create(
            court=court,
            payer=other_requester,
            purpose="DEPOSIT",
            method="BANK_TRANSFER",
            amount_minor=100,
            currency="SAR",
            reference="x",
        ),
        "FILE": lambda: factories.enforcement_file(court),
    }
    record = records[kind]()
    before = (Ticket.objects.count(), Message.objects.count(), AuditRecord.objects.count())

    with pytest.raises(NotFound) as refused:
        open_ticket(requester, court, link=services.Link(kind, record.pk))

    assert refused.value.field == "about"
    assert (Ticket.objects.count(), Message.objects.count(), AuditRecord.objects.count()) == before


def test_a_ticket_about_nothing_needs_a_court(requester):
    with pytest.raises(DomainError) as refused:
        open_ticket(requester, None, court_id=None)

    assert (refused.value.code, refused.value.field) == ("court_required", "court")
    assert not Ticket.objects.exists()


def test_staff_cannot_open_tickets(court, execution_staff):
    with pytest.raises(PermissionDenied):
        open_ticket(execution_staff, court)

    assert not Ticket.objects.exists()


def test_response_and_resolution_are_counted_in_working_minutes_without_the_wait(
    court, requester, execution_staff, time_machine
):
    time_machine.move_to(riyadh(2026, 3, 5, 14, 0), tick=False)  # Thursday afternoon
    ticket = open_ticket(requester, court, kind="COMPLAINT")  # 4 h / 24 h by default
    assert ticket.first_response_due_at == riyadh(2026, 3, 8, 10, 0)  # Sunday 10:00

    time_machine.move_to(riyadh(2026, 3, 8, 9, 0), tick=False)  # Sunday
    services.reply(actor=execution_staff, ticket_id=ticket.pk, body="We are checking.")
    time_machine.move_to(riyadh(2026, 3, 8, 10, 0), tick=False)
    services.request_information(
        actor=execution_staff, ticket_id=ticket.pk, body="Please send the transfer slip."
    )
    time_machine.move_to(riyadh(2026, 3, 9, 10, 0), tick=False)  # Monday: 8 h waited
    services.add_message(
        requester=requester, ticket_id=ticket.pk, body="Attached.", attachments=[pdf()]
    )
    time_machine.move_to(riyadh(2026, 3, 9, 12, 0), tick=False)
    services.resolve(actor=execution_staff, ticket_id=ticket.pk, body="Refunded today.")

    ticket.refresh_from_db()
    assert ticket.first_response_minutes == 180  # Thursday 2 h + Sunday 1 h
    assert ticket.waiting_minutes == 8 * 60
    # Thursday 2 h + Sunday 8 h + Monday 4 h, less the 8 h waited.
    assert ticket.resolution_minutes == 6 * 60
    assert ticket.status == Status.RESOLVED
    assert ticket.resolved_by == execution_staff
    assert list(ticket.messages.values_list("action", flat=True)) == [
        "OPENED",
        "REPLIED",
        "INFORMATION_REQUESTED",
        "INFORMATION_GIVEN",
        "RESOLVED",
    ]


def test_every_message_and_change_is_audited_with_its_text(court, requester, execution_staff):
    ticket = open_ticket(requester, court)

    services.request_information(actor=execution_staff, ticket_id=ticket.pk, body="Which lot?")
    services.add_message(requester=requester, ticket_id=ticket.pk, body="Lot 3.")
    services.resolve(actor=execution_staff, ticket_id=ticket.pk, body="Refund sent.")
    services.rate(requester=requester, ticket_id=ticket.pk, score=4, comment="Slow but good")

    records = AuditRecord.objects.filter(object_type="support.ticket", object_id=str(ticket.pk))
    assert list(records.order_by("pk").values_list("action", "note", "court_id")) == [
        ("ticket.opened", "The auction closed a week ago and my deposit is still held.", court.pk),
        ("ticket.information_requested", "Which lot?", court.pk),
        ("ticket.information_given", "Lot 3.", court.pk),
        ("ticket.resolved", "Refund sent.", court.pk),
        ("ticket.rated", "Slow but good", court.pk),
    ]
    resolved = records.get(action="ticket.resolved")
    assert (resolved.before["status"], resolved.after["status"]) == ("OPEN", "RESOLVED")


def test_the_requester_is_emailed_in_their_language_and_their_pages_told(
    court, execution_staff, django_capture_on_commit_callbacks
):
    requester = make_user("BIDDER", verified=True, preferred_language="ar")
    ticket = open_ticket(requester, court)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(requester.pk), channel)
    outbox.deliver_due(timezone.now())  # the opening's e-mail goes first
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.reply(actor=execution_staff, ticket_id=ticket.pk, body="نراجع طلبك الآن.")
    outbox.deliver_due(timezone.now())  # the notifier's pass sends the outbox's e-mail

    notice = async_to_sync(layer.receive)(channel)
    assert notice["type"] == "user.notification"
    assert ticket.number in notice["payload"]["text"]
    assert notice["payload"]["url"].endswith(f"/support/tickets/{ticket.number}/")
    [email] = mail.outbox
    assert email.to == [requester.email]
    assert ticket.number in email.subject
    assert "The court replied" not in email.subject  # written in Arabic, the requester's language
    assert "نراجع طلبك الآن." in email.body


def test_staff_of_another_team_or_court_cannot_answer_and_nothing_changes(
    court, other_court, requester, finance_staff
):
    ticket = open_ticket(requester, court, topic="DEPOSIT")  # execution team
    outsider = make_user("EXECUTION_STAFF", court=other_court)
    before = state(ticket)

    for actor in (finance_staff, outsider):
        with pytest.raises(NotFound):
            services.reply(actor=actor, ticket_id=ticket.pk, body="Hello")
    with pytest.raises(PermissionDenied):
        services.resolve(actor=requester, ticket_id=ticket.pk, body="Done by myself")

    assert state(ticket) == before


def test_supervisors_answer_for_both_teams(court, requester, court_supervisor):
    deposit = open_ticket(requester, court, topic="DEPOSIT")
    transfer = open_ticket(requester, court, topic="TRANSFER")

    services.reply(actor=court_supervisor, ticket_id=deposit.pk, body="Seen.")
    services.resolve(actor=court_supervisor, ticket_id=transfer.pk, body="Sent.")

    assert Ticket.objects.get(pk=transfer.pk).status == Status.RESOLVED


def test_another_requester_cannot_write_reopen_or_rate_and_nothing_changes(
    court, requester, other_requester, execution_staff
):
    ticket = open_ticket(requester, court)
    services.resolve(actor=execution_staff, ticket_id=ticket.pk, body="Done.")
    before = state(ticket)

    with pytest.raises(NotFound):
        services.add_message(requester=other_requester, ticket_id=ticket.pk, body="Me too")
    with pytest.raises(NotFound):
        services.reopen(requester=other_requester, ticket_id=ticket.pk, body="Not done")
    with pytest.raises(NotFound):
        services.rate(requester=other_requester, ticket_id=ticket.pk, score=1)

    assert state(ticket) == before


def test_a_resolved_ticket_reopens_within_the_window(
    court, requester, execution_staff, time_machine
):
    time_machine.move_to(riyadh(2026, 3, 1, 9, 0), tick=False)
    ticket = open_ticket(requester, court)
    services.resolve(actor=execution_staff, ticket_id=ticket.pk, body="Done.")
    time_machine.shift(timedelta(days=7))  # the last moment of the default 7 days

    services.reopen(requester=requester, ticket_id=ticket.pk, body="It is not refunded yet.")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened_count, ticket.resolved_at) == (Status.OPEN, 1, None)
    assert ticket.messages.last().action == Message.Action.REOPENED


def test_reopening_after_the_window_is_refused_and_changes_nothing(
    court, requester, execution_staff, time_machine
):
    time_machine.move_to(riyadh(2026, 3, 1, 9, 0), tick=False)
    ticket = open_ticket(requester, court)
    services.resolve(actor=execution_staff, ticket_id=ticket.pk, body="Done.")
    time_machine.shift(timedelta(days=7, seconds=1))
    before = state(ticket)

    with pytest.raises(InvalidTransition) as refused:
        services.reopen(requester=requester, ticket_id=ticket.pk, body="Still wrong.")

    assert refused.value.code == "reopen_window_passed"
    assert "7" in refused.value.render()
    assert state(ticket) == before


def test_a_rated_ticket_is_closed_for_good(court, requester, execution_staff):
    ticket = open_ticket(requester, court)
    services.resolve(actor=execution_staff, ticket_id=ticket.pk, body="Done.")

    services.rate(requester=requester, ticket_id=ticket.pk, score=5, comment="Thank you")

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert (ticket.rating.score, ticket.rating.comment) == (5, "Thank you")
    before = state(ticket)
    for refused_call in (
        lambda: services.reopen(requester=requester, ticket_id=ticket.pk, body="Again"),
        lambda: services.rate(requester=requester, ticket_id=ticket.pk, score=1),
        lambda: services.add_message(requester=requester, ticket_id=ticket.pk, body="More"),
        lambda: services.reply(actor=execution_staff, ticket_id=ticket.pk, body="More"),
    ):
        with pytest.raises(InvalidTransition):
            refused_call()
    assert state(ticket) == before


def test_an_open_ticket_cannot_be_rated_and_nothing_changes(court, requester):
    ticket = open_ticket(requester, court)
    before = state(ticket)

    with pytest.raises(InvalidTransition) as refused:
        services.rate(requester=requester, ticket_id=ticket.pk, score=3)

    assert refused.value.code == "not_ratable"
    assert state(ticket) == before


@pytest.mark.parametrize("score", [0, 6, None, "5"])
def test_a_rating_outside_one_to_five_is_refused(court, requester, execution_staff, score):
    ticket = open_ticket(requester, court)
    services.resolve(actor=execution_staff, ticket_id=ticket.pk, body="Done.")
    before = state(ticket)

    with pytest.raises(DomainError) as refused:
        services.rate(requester=requester, ticket_id=ticket.pk, score=score)

    assert (refused.value.code, refused.value.field) == ("rating_range", "score")
    assert state(ticket) == before


def test_attachments_are_checked_and_kept_privately(court, requester, settings):
    ticket = open_ticket(requester, court, attachments=[png(), pdf()])

    stored = list(ticket.messages.get().attachments.order_by("pk"))
    assert [(a.original_name, a.content_type) for a in stored] == [
        ("receipt.png", "image/png"),
        ("statement.pdf", "application/pdf"),
    ]
    assert stored[0].document.path.startswith(settings.PRIVATE_MEDIA_ROOT)


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([SimpleUploadedFile("a.pdf", b"not really a pdf", "application/pdf")], "document_type"),
        ([png("1.png"), png("2.png"), png("3.png"), png("4.png")], "too_many_attachments"),
        ([SimpleUploadedFile("empty.png", b"", "image/png")], "file_empty"),
    ],
)
def test_bad_attachments_are_refused_and_save_nothing(court, requester, files, code):
    with pytest.raises(DomainError) as refused:
        open_ticket(requester, court, attachments=files)

    assert (refused.value.code, refused.value.field) == (code, "attachments")
    assert not Ticket.objects.exists()
