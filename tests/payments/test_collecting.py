"""Collecting a payment: instruction → job → API call → signed event → ledger entry → receipt."""

from __future__ import annotations

import pytest
from django.db import transaction

from core.models import AuditRecord, Receipt
from core.money import Money
from payments import ledger, services
from payments.engine import is_valid_creditor_reference
from payments.models import (
    AccountPurpose,
    DistributionHold,
    JobStatus,
    JournalEntry,
    Method,
    Payment,
    PaymentJob,
    PaymentStatus,
    Purpose,
    RefundStatus,
)
from tests.conftest import make_user
from tests.payments.conftest import intent_object, make_event, post_event, work

pytestmark = pytest.mark.django_db

DEPOSIT = Money(500_000, "SAR")


def deposit(court, payer, **extra):
    return services.collect_payment(
        payer=payer,
        court=court,
        amount=extra.pop("amount", DEPOSIT),
        purpose=Purpose.DEPOSIT,
        reference=extra.pop("reference", "registration:1"),
        description="Lot 7 · Toyota Land Cruiser 2021",
        **extra,
    )


def natural(court, purpose):
    account = ledger.account(court=court, purpose=purpose, currency="SAR")
    row = next(r for r in ledger.balances(court=court) if r.account.pk == account.pk)
    return row.natural


def paid_by_card(client, court, payer, stripe, **extra):
    payment = deposit(court, payer, **extra)
    work(stripe)
    payment.refresh_from_db()
    services.confirm_card_payment(payer=payer, payment=payment, payment_method="pm_card_visa")
    work(stripe)
    payment.refresh_from_db()
    assert (
        post_event(
            client, make_event("payment_intent.succeeded", intent_object(payment))
        ).status_code
        == 200
    )
    work(stripe)
    payment.refresh_from_db()
    return payment


def test_a_card_deposit_goes_from_instruction_to_ledger_entry_and_receipt(
    client, court, stripe, proxy
):
    payer = make_user(verified=True)

    payment = deposit(court, payer)
    job = PaymentJob.objects.get()
    assert (payment.status, job.status, job.operation) == (
        "PREPARING",
        "PENDING",
        "payment_intent.create",
    )

    work(stripe)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AWAITING_PAYMENT
    assert payment.intent_id == proxy.created_ids()[0]

    services.confirm_card_payment(payer=payer, payment=payment, payment_method="pm_card_visa")
    work(stripe)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROCESSING

    response = post_event(client, make_event("payment_intent.succeeded", intent_object(payment)))
    assert response.status_code == 200
    work(stripe)
    payment.refresh_from_db()

    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.receipt.kind == Receipt.Kind.PAYMENT
    assert payment.receipt.issued_to == payer
    assert payment.receipt.content["lines"][0]["value"]["en"] == "SAR\xa05,000.00"
    assert natural(court, AccountPurpose.PROVIDER_CLEARING) == DEPOSIT
    assert natural(court, AccountPurpose.BIDDER_DEPOSITS) == DEPOSIT
    assert [r.path for r in proxy.posts()] == [
        "/v1/payment_intents",
        f"/v1/payment_intents/{payment.intent_id}/confirm",
    ]
    assert [r.idempotency_key for r in proxy.posts()] == [
        f"mazad:payment:{payment.public_id}:create:v1",
        f"mazad:payment:{payment.public_id}:confirm:1",
    ]
    assert b"capture_method=automatic" in proxy.posts()[0].body
    actions = set(
        AuditRecord.objects.filter(object_id=str(payment.pk)).values_list("action", flat=True)
    )
    assert {"payment.requested", "payment.intent_created", "payment.succeeded"} <= actions


def test_the_instruction_is_written_with_the_business_change_or_not_at_all(court):
    payer = make_user(verified=True)

    def the_callers_transaction_fails_later():
        with transaction.atomic():
            deposit(court, payer)
            raise RuntimeError("the caller's own step failed")

    with pytest.raises(RuntimeError):
        the_callers_transaction_fails_later()

    assert not Payment.objects.exists()
    assert not PaymentJob.objects.exists()


def test_asking_twice_for_the_same_deposit_returns_the_same_payment(court):
    payer = make_user(verified=True)

    first = deposit(court, payer)
    second = deposit(court, payer)
    with pytest.raises(services.PaymentRefused) as raised:
        deposit(court, payer, amount=Money(600_000, "SAR"))

    assert first.pk == second.pk
    assert raised.value.code == "payment_exists"
    assert PaymentJob.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "method", "code", "field"),
    [
        (Money(0, "SAR"), Method.CARD, "amount_positive", "amount"),
        (Money(100_000_000, "SAR"), Method.CARD, "card_maximum", "method"),
        (Money(1_235, "SAR"), "CHEQUE", "method_unknown", "method"),
        (Money(5_000, "KWD"), Method.CARD, "currency_mismatch", "amount"),
    ],
)
def test_a_refused_request_names_the_field_and_rule_and_changes_nothing(
    court, amount, method, code, field
):
    payer = make_user(verified=True)

    with pytest.raises(services.PaymentRefused) as raised:
        deposit(court, payer, amount=amount, method=method)

    assert (raised.value.code, raised.value.field) == (code, field)
    assert raised.value.render()
    assert not Payment.objects.exists()
    assert not PaymentJob.objects.exists()


def test_a_three_decimal_amount_not_ending_in_zero_cannot_go_on_a_card(other_court):
    with pytest.raises(services.PaymentRefused) as raised:
        deposit(other_court, make_user(verified=True), amount=Money(1_235, "KWD"))

    assert raised.value.code == "card_amount_digits"


def test_above_the_card_maximum_the_payer_gets_a_bank_reference_and_the_court_iban(court):
    from payments.models import CourtAccount

    CourtAccount.objects.create(court=court, iban="SA0380000000608010167519", bank_name="Bank")
    building = Money(2_500_000_000, "SAR")  # 25 million riyals: more than 8 digits of halalas

    payment = deposit(court, make_user(verified=True), amount=building, method=Method.BANK_TRANSFER)

    assert payment.status == PaymentStatus.AWAITING_PAYMENT
    assert is_valid_creditor_reference(payment.bank_reference)
    assert payment.bank_reference.startswith("RF")
    assert "RYC" in payment.bank_reference
    assert not PaymentJob.objects.exists()


def test_finance_confirms_a_bank_transfer_with_an_audited_note(court, finance):
    payment = deposit(court, make_user(verified=True), method=Method.BANK_TRANSFER)

    services.confirm_bank_transfer(
        actor=finance, payment=payment, note="Statement line 14, 3 March"
    )

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.receipt is not None
    assert natural(court, AccountPurpose.COURT_CUSTODY) == DEPOSIT
    record = AuditRecord.objects.get(action="payment.succeeded", object_id=str(payment.pk))
    assert record.actor == finance
    assert record.note == "Statement line 14, 3 March"


def test_a_bank_transfer_confirmation_without_a_note_or_by_another_court_changes_nothing(
    court, other_court, finance
):
    payment = deposit(court, make_user(verified=True), method=Method.BANK_TRANSFER)
    outsider = make_user("FINANCE_STAFF", court=other_court)

    with pytest.raises(services.PaymentRefused) as raised:
        services.confirm_bank_transfer(actor=finance, payment=payment, note=" ok ")
    with pytest.raises(services.PermissionDenied):
        services.confirm_bank_transfer(actor=outsider, payment=payment, note="Statement line 1")

    assert (raised.value.code, raised.value.field) == ("note_required", "note")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AWAITING_PAYMENT
    assert not JournalEntry.objects.exists()


def test_a_deposit_is_refunded_through_a_job_with_its_entry_and_receipt(
    client, court, stripe, proxy
):
    payer = make_user(verified=True)
    payment = paid_by_card(client, court, payer, stripe)

    refund = services.refund_payment(payment=payment, reason="Lot closed; another bidder won")
    work(stripe)
    refund.refresh_from_db()

    assert refund.status in (RefundStatus.SENT, RefundStatus.SUCCEEDED)
    assert refund.receipt.kind == Receipt.Kind.REFUND
    assert natural(court, AccountPurpose.BIDDER_DEPOSITS) == Money(0, "SAR")
    assert natural(court, AccountPurpose.PROVIDER_CLEARING) == Money(0, "SAR")
    refund_call = proxy.posts("/v1/refunds")[0]
    assert refund_call.idempotency_key == f"mazad:refund:{refund.public_id}:create:v1"
    assert f"payment_intent={payment.intent_id}".encode() in refund_call.body


def test_a_failed_refund_puts_the_money_back_and_flags_it_for_finance(client, court, stripe):
    payment = paid_by_card(client, court, make_user(verified=True), stripe)
    refund = services.refund_payment(payment=payment, reason="Not the winner")
    work(stripe)
    refund.refresh_from_db()

    failed = {
        "id": refund.stripe_refund_id,
        "object": "refund",
        "status": "failed",
        "failure_reason": "expired_or_canceled_card",
        "metadata": {"mazad_ref": refund.stripe_reference},
    }
    assert post_event(client, make_event("refund.failed", failed)).status_code == 200
    work(stripe)
    refund.refresh_from_db()
    payment.refresh_from_db()

    assert refund.status == RefundStatus.FAILED
    assert refund.needs_attention
    assert payment.refunded_minor == 0
    assert natural(court, AccountPurpose.BIDDER_DEPOSITS) == DEPOSIT
    assert JournalEntry.objects.filter(reverses__isnull=False).count() == 1


def test_a_dispute_holds_the_distribution_of_the_file(client, court, stripe, proxy):
    from payments import selectors

    payer = make_user(verified=True)
    payment = services.collect_payment(
        payer=payer,
        court=court,
        amount=Money(90_000, "SAR"),
        purpose=Purpose.BALANCE,
        reference="lot:7",
        file_number="RYC-2026-000042",
    )
    work(stripe)
    payment.refresh_from_db()
    proxy.provide_intent(intent_object(payment))  # the payer paid at the provider
    post_event(client, make_event("payment_intent.succeeded", intent_object(payment)))
    work(stripe)

    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "payment_intent": payment.intent_id,
        "reason": "fraudulent",
    }
    post_event(client, make_event("charge.dispute.created", dispute))
    work(stripe)

    assert selectors.has_distribution_hold(court=court, file_number="RYC-2026-000042")
    assert DistributionHold.objects.get().payment == payment
    assert natural(court, AccountPurpose.PROVIDER_CLEARING) == Money(90_000, "SAR")


def test_a_declined_card_lets_the_payer_try_again(court, stripe, proxy):
    import json

    from tests.harness.fault_proxy import Fault

    payer = make_user(verified=True)
    payment = deposit(court, payer)
    work(stripe)
    payment.refresh_from_db()
    declined = json.dumps(
        {
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
            }
        }
    ).encode()
    proxy.script(Fault("status", 402, {"Content-Type": "application/json"}, declined))

    services.confirm_card_payment(
        payer=payer, payment=payment, payment_method="pm_card_chargeDeclined"
    )
    work(stripe)
    payment.refresh_from_db()

    assert payment.status == PaymentStatus.AWAITING_PAYMENT
    assert payment.failure_code == "generic_decline"
    assert (
        PaymentJob.objects.filter(operation="payment_intent.confirm").get().status == JobStatus.DONE
    )
    again = services.confirm_card_payment(
        payer=payer, payment=payment, payment_method="pm_card_visa"
    )
    assert again.confirm_attempts == 2


def test_someone_else_cannot_pay_or_refund_what_is_not_theirs(court):
    payment = deposit(court, make_user(verified=True))
    payment.status, payment.intent_id = PaymentStatus.AWAITING_PAYMENT, "pi_x"
    payment.save()

    with pytest.raises(services.NotFound):
        services.confirm_card_payment(
            payer=make_user(), payment=payment, payment_method="pm_card_visa"
        )
    with pytest.raises(services.InvalidTransition):
        services.refund_payment(payment=payment, reason="not paid yet")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AWAITING_PAYMENT
    assert PaymentJob.objects.count() == 1


def test_a_refused_refund_waits_for_finance_and_posts_once_sent_again(
    client, court, stripe, proxy, finance
):
    import json

    from payments import jobs
    from tests.harness.fault_proxy import Fault

    payment = paid_by_card(client, court, make_user(verified=True), stripe)
    refused = json.dumps(
        {
            "error": {
                "type": "invalid_request_error",
                "code": "charge_disputed",
                "message": "disputed",
            }
        }
    ).encode()
    proxy.script(Fault("status", 400, {"Content-Type": "application/json"}, refused))
    refund = services.refund_payment(payment=payment, reason="Not the winner")

    work(stripe)
    refund.refresh_from_db()
    job = PaymentJob.objects.get(operation="refund.create")
    assert (job.status, refund.status, refund.needs_attention) == (
        JobStatus.NEEDS_ATTENTION,
        RefundStatus.REQUESTED,
        True,
    )
    assert natural(court, AccountPurpose.BIDDER_DEPOSITS) == DEPOSIT

    jobs.retry_job(actor=finance, job=job)
    work(stripe)
    refund.refresh_from_db()

    assert refund.status in (RefundStatus.SENT, RefundStatus.SUCCEEDED)
    assert not refund.needs_attention
    assert natural(court, AccountPurpose.BIDDER_DEPOSITS) == Money(0, "SAR")
    assert {r.idempotency_key for r in proxy.posts("/v1/refunds")} == {job.idempotency_key}
