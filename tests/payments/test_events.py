"""Typed payment events: each purpose reaches exactly its listener; an unknown one is refused."""

from __future__ import annotations

import logging
import uuid

import pytest

from aftersale.services import custody, instalments, sales
from auction.services import registration as registrations
from core.money import Money
from payments import events, listeners
from payments import services as payments
from payments.events import PaidFor, PaymentReceived, UnknownPurpose
from payments.models import Method, Payment, PaymentStatus, Purpose
from tests.aftersale import helpers
from tests.auction import factories
from tests.conftest import make_user

SALE_ID = "8a6d8c1e-3b1f-4c2a-9a51-0d6f3e0b7c11"


def payment_for(purpose: str, reference: str) -> Payment:
    return Payment(public_id=uuid.uuid4(), purpose=purpose, reference=reference)


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> dict[PaidFor, listeners.PaymentListener]:
    registry: dict[PaidFor, listeners.PaymentListener] = {}
    monkeypatch.setattr(listeners, "_on_received", registry)
    return registry


def test_the_installed_apps_listen_each_for_their_own_purpose() -> None:
    assert listeners._on_received == {
        PaidFor.REGISTRATION_DEPOSIT: registrations.on_deposit_paid,
        PaidFor.SALE_BALANCE: sales.on_balance_paid,
        PaidFor.FILE_REDEMPTION: custody.on_redemption_paid,
        PaidFor.SETTLEMENT_INSTALMENT: instalments.on_instalment_paid,
    }


@pytest.mark.parametrize(
    ("stored_purpose", "reference", "purpose", "subject_id"),
    [
        (Purpose.DEPOSIT, "deposit:registration:42", PaidFor.REGISTRATION_DEPOSIT, "42"),
        (Purpose.BALANCE, f"sale:{SALE_ID}", PaidFor.SALE_BALANCE, SALE_ID),
        (Purpose.BALANCE, "redemption:file:7", PaidFor.FILE_REDEMPTION, "7"),
        (Purpose.BALANCE, "instalment:12", PaidFor.SETTLEMENT_INSTALMENT, "12"),
    ],
)
def test_each_purpose_reaches_exactly_its_listener(
    fresh_registry: dict[PaidFor, listeners.PaymentListener],
    stored_purpose: str,
    reference: str,
    purpose: PaidFor,
    subject_id: str,
) -> None:
    told: dict[PaidFor, list[PaymentReceived]] = {member: [] for member in PaidFor}
    for member in PaidFor:
        listeners.on_payment_received(member)(told[member].append)
    payment = payment_for(stored_purpose, reference)

    listeners.payment_received(payment)

    assert told[purpose] == [PaymentReceived(purpose, subject_id, payment)]
    assert told[purpose][0].payment is payment
    assert all(not seen for member, seen in told.items() if member is not purpose)


@pytest.mark.parametrize("purpose", list(PaidFor))
def test_a_reference_is_written_and_read_back_in_one_place(purpose: PaidFor) -> None:
    stored = events.reference(purpose, 31)
    assert stored.startswith(purpose.value)
    event = events.received(payment_for(purpose.stored_purpose, stored))
    assert (event.purpose, event.subject_id) == (purpose, "31")


@pytest.mark.parametrize(
    ("stored_purpose", "reference"),
    [
        (Purpose.DEPOSIT, "registration:42"),  # no purpose of that name
        (Purpose.BALANCE, "deposit:registration:42"),  # a deposit's reference on a balance
        (Purpose.DEPOSIT, f"sale:{SALE_ID}"),  # a balance's reference on a deposit
        (Purpose.DEPOSIT, "deposit:registration:"),  # no subject
        (Purpose.BALANCE, "redemption:file:seven"),  # a file's id is a number
        (Purpose.BALANCE, "sale:"),
    ],
)
def test_a_payment_of_no_known_purpose_is_refused(stored_purpose: str, reference: str) -> None:
    with pytest.raises(UnknownPurpose, match="pays no known purpose"):
        events.received(payment_for(stored_purpose, reference))


def test_a_purpose_nobody_listens_for_is_refused(
    fresh_registry: dict[PaidFor, listeners.PaymentListener],
) -> None:
    listeners.on_payment_received(PaidFor.SALE_BALANCE)(lambda event: None)
    event = events.received(payment_for(Purpose.DEPOSIT, "deposit:registration:5"))
    with pytest.raises(UnknownPurpose, match="nobody listens"):
        listeners.dispatch(event)


def test_a_string_is_not_a_purpose(
    fresh_registry: dict[PaidFor, listeners.PaymentListener],
) -> None:
    with pytest.raises(UnknownPurpose):
        listeners.on_payment_received("sale:")  # type: ignore[arg-type]
    with pytest.raises(UnknownPurpose):
        events.reference("sale:", SALE_ID)  # type: ignore[arg-type]
    with pytest.raises(UnknownPurpose):
        listeners.dispatch(PaymentReceived("sale:", SALE_ID, Payment()))  # type: ignore[arg-type]
    assert fresh_registry == {}


def test_a_second_listener_for_one_purpose_is_refused(
    fresh_registry: dict[PaidFor, listeners.PaymentListener],
) -> None:
    def first(event: PaymentReceived) -> None: ...

    def second(event: PaymentReceived) -> None: ...

    listeners.on_payment_received(PaidFor.FILE_REDEMPTION)(first)
    listeners.on_payment_received(PaidFor.FILE_REDEMPTION)(first)  # the same again: no change
    with pytest.raises(UnknownPurpose, match="already has its listener"):
        listeners.on_payment_received(PaidFor.FILE_REDEMPTION)(second)
    assert fresh_registry == {PaidFor.FILE_REDEMPTION: first}


@pytest.mark.django_db
def test_money_for_no_known_purpose_is_booked_and_logged_as_an_error(
    court: object, finance: object, caplog: pytest.LogCaptureFixture
) -> None:
    payment = payments.collect_payment(
        payer=make_user(verified=True),
        court=court,
        amount=Money(50_000, "SAR"),
        purpose=Purpose.DEPOSIT,
        reference="registration:by-hand",
        method=Method.BANK_TRANSFER,
    )
    with caplog.at_level(logging.ERROR, logger="payments.listeners"):
        payments.confirm_bank_transfer(actor=finance, payment=payment, note="Statement line 9")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert [record.getMessage() for record in caplog.records] == [
        "payment of no known purpose received; nobody was told"
    ]


@pytest.mark.django_db
def test_a_deposit_confirmed_by_finance_holds_its_registration_and_no_other(
    court: object, finance: object
) -> None:
    lot = factories.lot(court, opening_minor=1_000, deposit_minor=50_000)
    paid, waiting = (factories.registered_bidder(lot, held=False) for _ in range(2))
    helpers.deposit_paid(paid, finance, 50_000)
    waiting.refresh_from_db()
    assert (paid.deposit_status, waiting.deposit_status) == ("HELD", "PENDING")
