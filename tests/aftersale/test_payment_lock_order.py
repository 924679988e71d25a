"""A payment cancelled while it is recorded paid: the canceller locks the payment first.

The default at the deadline, the buyer choosing another way to pay and the debtor starting
another redemption cancel an unpaid payment; finance confirming that transfer, or the worker
processing the provider's success event, holds the payment and then locks the sale (or the
file) in its listener. Each test holds the lock one of them takes first, lets the other run
into it, then goes on as the holder does (docs/concurrency.md, "The global order"). Had the
canceller locked its sale or file before the payment, the first test of each pair would end
in a deadlock; the second shows where the money goes when the cancel comes first.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import transaction

from aftersale import locks
from aftersale import services as aftersale
from aftersale.models import CustodyItem, Sale
from auction.models import Registration
from enforcement.models import Party
from payments import services as payments
from payments import webhooks
from payments.locks import lock_payment
from payments.models import JournalEntry, Method, Payment, PaymentStatus, Refund, WebhookEvent
from tests.aftersale import helpers
from tests.conftest import make_user
from tests.harness.lock_waits import (
    elsewhere,
    outcome_of,
    until_it_waits,
    with_lock_timeout,
)
from tests.payments.conftest import intent_object, make_event, post_event, work

pytestmark = pytest.mark.django_db(transaction=True)


def recorded(payment: Payment) -> bool:
    """The payment's ledger entry was posted (the money is in the books)."""
    return JournalEntry.objects.filter(
        idempotency_key=f"payment:{payment.public_id}:received"
    ).exists()


def a_sale_owing_by_transfer(court: Any) -> tuple[Any, Sale, Payment]:
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance)
    payment = aftersale.start_balance_payment(
        buyer=sale.buyer, sale_id=sale.pk, method=Method.BANK_TRANSFER
    )
    return finance, sale, payment


def a_sale_owing_by_card(client: Any, court: Any, stripe: Any, proxy: Any) -> tuple[Sale, Payment]:
    """A sale whose card payment the buyer has paid: the provider's success event is stored,
    and the provider's own record (which the worker asks before crediting) says so."""
    finance = make_user("FINANCE_STAFF", court=court)
    sale = helpers.sold_lot(court, finance)
    payment = aftersale.start_balance_payment(buyer=sale.buyer, sale_id=sale.pk, method=Method.CARD)
    work(stripe)  # the provider's PaymentIntent is made: the payment awaits the buyer's card
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AWAITING_PAYMENT
    proxy.provide_intent(intent_object(payment))  # the buyer paid at the provider
    event = make_event("payment_intent.succeeded", intent_object(payment))
    assert post_event(client, event).status_code == 200
    return sale, payment


def a_file_being_redeemed(court: Any) -> tuple[Any, Any, Any, Payment]:
    finance = make_user("FINANCE_STAFF", court=court)
    file = helpers.file_with(court, claim=3_000_000)
    debtor = make_user("BIDDER", verified=True)
    Party.objects.filter(file_roles__file=file, file_roles__role="DEBTOR").update(user=debtor)
    payment = aftersale.start_redemption(
        debtor=debtor, file_id=file.pk, method=Method.BANK_TRANSFER
    )
    return finance, file, debtor, payment


def confirm(finance: Any, payment: Payment) -> Any:
    return lambda: payments.confirm_bank_transfer(
        actor=finance, payment=payment, note="Statement line 12"
    )


# -- the default at the deadline ----------------------------------------------------------------


def test_a_transfer_confirmed_as_the_deadline_passes_pays_the_sale_without_a_deadlock(court):
    finance, sale, payment = a_sale_owing_by_transfer(court)
    assert sale.due_at is not None
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        lock_payment(payment.pk)  # finance's confirmation has the payment...
        defaulting = elsewhere(
            lambda: aftersale.default_sale(sale_id=sale.pk, now=sale.due_at),
            outcomes,
            "default",
        )
        until_it_waits(defaulting)
        # ...and records it paid: its listener locks the sale (`sales.sale_paid`).
        outcomes["confirmation"] = outcome_of(with_lock_timeout(confirm(finance, payment)))
    defaulting.join(timeout=60)

    assert outcomes == {"confirmation": "ok", "default": "ok"}
    sale.refresh_from_db()
    sale.registration.refresh_from_db()
    payment.refresh_from_db()
    assert (sale.status, sale.payment_id) == (Sale.Status.PAID, payment.pk)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert sale.registration.deposit_status == Registration.Deposit.APPLIED
    assert not Refund.objects.filter(payment=payment).exists()


def test_a_transfer_confirmed_after_the_deadline_cancelled_it_is_refused_and_left_unbooked(
    court,
):
    finance, sale, payment = a_sale_owing_by_transfer(court)
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        lock_payment(payment.pk)  # the deadline pass has the payment first...
        confirming = elsewhere(confirm(finance, payment), outcomes, "confirmation")
        until_it_waits(confirming)
        # ...then the sale, to cancel the payment and default the sale.
        outcomes["default"] = outcome_of(
            with_lock_timeout(lambda: aftersale.default_sale(sale_id=sale.pk, now=sale.due_at))
        )
    confirming.join(timeout=60)

    # The money is not booked against a cancelled payment: finance is told the transfer is not
    # awaited, and the statement line stays an exception of the reconciliation until resolved.
    assert outcomes == {"default": "ok", "confirmation": "invalid_transition"}
    sale.refresh_from_db()
    payment.refresh_from_db()
    assert sale.status == Sale.Status.DEFAULTED
    assert payment.status == PaymentStatus.CANCELED
    assert not recorded(payment)


def test_a_card_success_processed_as_the_deadline_passes_pays_the_sale_without_a_deadlock(
    client, court, stripe, proxy
):
    sale, payment = a_sale_owing_by_card(client, court, stripe, proxy)
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        lock_payment(payment.pk)  # the worker processing the success event has the payment...
        defaulting = elsewhere(
            lambda: aftersale.default_sale(sale_id=sale.pk, now=sale.due_at),
            outcomes,
            "default",
        )
        until_it_waits(defaulting)
        # ...and records it paid: its listener locks the sale (`sales.sale_paid`).
        outcomes["event"] = outcome_of(
            with_lock_timeout(lambda: webhooks.process_pending(client=stripe))
        )
    defaulting.join(timeout=60)

    assert outcomes == {"event": "ok", "default": "ok"}
    assert WebhookEvent.objects.get().status == "PROCESSED"
    sale.refresh_from_db()
    payment.refresh_from_db()
    assert (sale.status, sale.payment_id) == (Sale.Status.PAID, payment.pk)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert not Refund.objects.filter(payment=payment).exists()


def test_a_card_success_processed_after_the_deadline_cancelled_it_is_refunded(
    client, court, stripe, proxy
):
    sale, payment = a_sale_owing_by_card(client, court, stripe, proxy)
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        lock_payment(payment.pk)  # the deadline pass has the payment first...
        processing = elsewhere(lambda: webhooks.process_pending(client=stripe), outcomes, "event")
        until_it_waits(processing)
        # ...then the sale, to cancel the payment and default the sale.
        outcomes["default"] = outcome_of(
            with_lock_timeout(lambda: aftersale.default_sale(sale_id=sale.pk, now=sale.due_at))
        )
    processing.join(timeout=60)

    # The provider took the money all the same: it is booked, and refunded in full at once.
    assert outcomes == {"default": "ok", "event": "ok"}
    assert WebhookEvent.objects.get().status == "PROCESSED"
    sale.refresh_from_db()
    payment.refresh_from_db()
    assert sale.status == Sale.Status.DEFAULTED
    assert payment.status == PaymentStatus.SUCCEEDED
    assert recorded(payment)
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount_minor, refund.reason) == (
        payment.amount_minor,
        "Balance paid after the purchase ended",
    )


# -- the buyer chooses another way to pay -------------------------------------------------------


def test_a_transfer_confirmed_as_the_buyer_switches_to_card_pays_the_sale_without_a_deadlock(
    court,
):
    finance, sale, payment = a_sale_owing_by_transfer(court)
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        lock_payment(payment.pk)  # finance's confirmation has the payment...
        switching = elsewhere(
            lambda: aftersale.start_balance_payment(
                buyer=sale.buyer, sale_id=sale.pk, method=Method.CARD
            ),
            outcomes,
            "switch to card",
        )
        until_it_waits(switching)
        # ...and records it paid: its listener locks the sale (`sales.sale_paid`).
        outcomes["confirmation"] = outcome_of(with_lock_timeout(confirm(finance, payment)))
    switching.join(timeout=60)

    # The buyer is told nothing is due any more; no card payment is asked for.
    assert outcomes == {"confirmation": "ok", "switch to card": "invalid_transition"}
    sale.refresh_from_db()
    assert (sale.status, sale.payment_id) == (Sale.Status.PAID, payment.pk)
    assert not Payment.objects.filter(reference=sale.reference, method=Method.CARD).exists()


def test_a_transfer_confirmed_after_the_buyer_switched_to_card_is_refused_and_left_unbooked(
    court,
):
    finance, sale, payment = a_sale_owing_by_transfer(court)
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        lock_payment(payment.pk)  # the buyer's switch has the payment first...
        confirming = elsewhere(confirm(finance, payment), outcomes, "confirmation")
        until_it_waits(confirming)
        # ...then the sale, to cancel the transfer and ask for a card payment.
        outcomes["switch to card"] = outcome_of(
            with_lock_timeout(
                lambda: aftersale.start_balance_payment(
                    buyer=sale.buyer, sale_id=sale.pk, method=Method.CARD
                )
            )
        )
    confirming.join(timeout=60)

    assert outcomes == {"switch to card": "ok", "confirmation": "invalid_transition"}
    sale.refresh_from_db()
    payment.refresh_from_db()
    assert sale.status == Sale.Status.AWAITING_PAYMENT
    assert sale.payment is not None
    assert sale.payment.method == Method.CARD
    assert payment.status == PaymentStatus.CANCELED
    assert not recorded(payment)


def test_a_payment_replaced_while_the_buyer_waited_for_it_is_looked_up_again(court):
    _finance, sale, transfer = a_sale_owing_by_transfer(court)
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        # The buyer, in one tab, switches to card: the transfer is cancelled, a card payment made.
        aftersale.start_balance_payment(buyer=sale.buyer, sale_id=sale.pk, method=Method.CARD)
        # In another tab, the same buyer asks for a transfer again: it found the old transfer
        # and waits for it; once it has it, the sale names the card payment.
        again = elsewhere(
            lambda: aftersale.start_balance_payment(
                buyer=sale.buyer, sale_id=sale.pk, method=Method.BANK_TRANSFER
            ),
            outcomes,
            "transfer again",
        )
        until_it_waits(again)
    again.join(timeout=60)

    assert outcomes == {"transfer again": "ok"}
    sale.refresh_from_db()
    assert sale.payment is not None
    assert (sale.payment.method, sale.payment.status) == (
        Method.BANK_TRANSFER,
        PaymentStatus.AWAITING_PAYMENT,
    )
    statuses = Payment.objects.filter(reference=sale.reference).values_list("method", "status")
    assert sorted(statuses) == sorted(
        [
            (Method.BANK_TRANSFER, PaymentStatus.CANCELED),
            (Method.CARD, PaymentStatus.CANCELED),
            (Method.BANK_TRANSFER, PaymentStatus.AWAITING_PAYMENT),
        ]
    )
    assert transfer.pk != sale.payment_id


def test_a_record_whose_payment_keeps_changing_is_refused_and_keeps_no_lock(court):
    _finance, sale, transfer = a_sale_owing_by_transfer(court)
    card = aftersale.start_balance_payment(buyer=sale.buyer, sale_id=sale.pk, method=Method.CARD)
    named = itertools.cycle([transfer.pk, card.pk])  # each reading names the other payment
    outcomes: dict[str, str] = {}

    def everything() -> None:
        lock_payment(transfer.pk)
        lock_payment(card.pk)
        locks.sale(sale.pk)

    with transaction.atomic():
        outcomes["locking"] = outcome_of(
            lambda: locks.payment_first(lambda: next(named), lambda: locks.sale(sale.pk))
        )
        # Still in the same transaction: every lock an attempt took went with its savepoint.
        elsewhere(with_lock_timeout(everything), outcomes, "other connection").join(timeout=60)

    assert outcomes == {"locking": "invalid_transition", "other connection": "ok"}


# -- the debtor starts another redemption -------------------------------------------------------


def test_a_redemption_confirmed_as_the_debtor_switches_to_card_redeems_without_a_deadlock(
    court,
):
    finance, file, debtor, payment = a_file_being_redeemed(court)
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        lock_payment(payment.pk)  # finance's confirmation has the payment...
        switching = elsewhere(
            lambda: aftersale.start_redemption(debtor=debtor, file_id=file.pk, method=Method.CARD),
            outcomes,
            "switch to card",
        )
        until_it_waits(switching)
        # ...and records it paid: its listener proposes the distribution, locking the file.
        outcomes["confirmation"] = outcome_of(with_lock_timeout(confirm(finance, payment)))
    switching.join(timeout=60)

    assert outcomes == {"confirmation": "ok", "switch to card": "invalid_transition"}
    assert CustodyItem.objects.get(file=file, kind=CustodyItem.Kind.REDEMPTION).payment == payment
    assert not Payment.objects.filter(payer=debtor, method=Method.CARD).exists()


def test_a_redemption_confirmed_after_the_debtor_switched_to_card_is_refused_and_left_unbooked(
    court,
):
    finance, file, debtor, payment = a_file_being_redeemed(court)
    outcomes: dict[str, str] = {}

    with transaction.atomic():
        lock_payment(payment.pk)  # the debtor's switch has the payment first...
        confirming = elsewhere(confirm(finance, payment), outcomes, "confirmation")
        until_it_waits(confirming)
        # ...then the file, to cancel the transfer and ask for a card payment.
        outcomes["switch to card"] = outcome_of(
            with_lock_timeout(
                lambda: aftersale.start_redemption(
                    debtor=debtor, file_id=file.pk, method=Method.CARD
                )
            )
        )
    confirming.join(timeout=60)

    assert outcomes == {"switch to card": "ok", "confirmation": "invalid_transition"}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELED
    assert not recorded(payment)
    assert not CustodyItem.objects.filter(file=file).exists()
    assert Payment.objects.get(payer=debtor, method=Method.CARD).status == PaymentStatus.PREPARING
