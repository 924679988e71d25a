"""The payment provider down during deposits, refunds and transfers: every job completes once.

One sale from registration to the applicant's transfer, with stripe-mock
stopped while each kind of job is due. The worker's attempts fail, the jobs
wait for their next attempt, and once the provider is back (and the pause
before the next attempt has passed) each completes, with the same key, and
each instruction made one object at the provider.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.faults import invariants
from tests.faults.provider import (
    all_done,
    failed_once,
    jobs,
    let_the_backoff_pass,
    pay_deposits,
    register_by_card,
    wait_until,
)
from tests.faults.sale import accepted_count, clients_for, db_now, joined, live_sale, wait_for
from tests.harness.aio import run

pytestmark = [pytest.mark.faults, pytest.mark.servers]

BIDDERS = 3


def provider_outage(stack, court, operation: str, count: int, cause) -> None:
    """Stop stripe-mock, `cause` the jobs, see them fail, start it, see them done once."""
    stack.stripe.kill()
    cause()
    wait_until(failed_once(operation, court, count), timeout=30, what=f"{operation} to fail")
    stack.stripe.start()
    let_the_backoff_pass(court)
    wait_until(all_done(operation, court, count), timeout=30, what=f"{operation} to complete")
    for job in jobs(operation, court):
        assert job.attempts >= 2, job
        assert stack.proxy.keys().count(job.idempotency_key) >= 2, "retried with the same key"


def test_deposits_refunds_and_transfers_wait_out_a_provider_outage_and_complete_once(
    on_stack, chance
):
    from aftersale import services as aftersale
    from aftersale.models import Disbursement, Distribution, Sale
    from auction.models import Lot, Registration
    from enforcement.models import Party
    from payments import services as payments
    from payments.models import Method, Payment, Refund
    from tests.conftest import make_user

    stack = on_stack
    sale = live_sale(stack, bidders=0)
    lot, court = sale.lot, sale.court
    registrations: list = []

    # Deposits: the PaymentIntents are made while the provider is down.
    provider_outage(
        stack,
        court,
        "payment_intent.create",
        BIDDERS,
        lambda: registrations.extend(register_by_card(stack, sale, lot, BIDDERS)),
    )
    deposits = pay_deposits(stack, registrations)
    wait_until(
        lambda: Registration.objects.filter(lot=lot, deposit_status="HELD").count() == BIDDERS,
        timeout=20,
        what="the deposits to be held",
    )

    # The live sale.
    bidders, watchers = clients_for(stack, sale, lot, watchers=1, seed=chance.randrange(10**6))

    async def bidding():
        for client in bidders + watchers:
            client.start(bid=True)
        await joined(bidders + watchers)
        await wait_for(lambda: accepted_count(bidders) >= 6, timeout=30, what="bids")
        await asyncio.gather(*(client.settle() for client in bidders + watchers))
        await asyncio.gather(*(client.stop() for client in bidders + watchers))

    run(bidding)
    report = invariants.check_clients(lot.pk, bidders + watchers)
    assert not report.violations, report.violations

    # Refunds: the lot closes (the clock) while the provider is down.
    def close_now():
        now = db_now()  # time moves on: the lot's end comes now
        Lot.objects.filter(pk=lot.pk).update(ends_at=now, original_ends_at=now)

    provider_outage(stack, court, "refund.create", BIDDERS - 1, close_now)
    assert Refund.objects.filter(payment__in=deposits).count() == BIDDERS - 1
    assert set(Refund.objects.filter(payment__in=deposits).values_list("status", flat=True)) == {
        "SUCCEEDED"
    }

    # Transfers: the buyer pays the balance, finance approves, the provider is down.
    won = Sale.objects.get(lot=lot)
    finance, checker = (make_user("FINANCE_STAFF", court=court) for _ in range(2))
    # The applicant's connected account exists already, so approval sends the transfer.
    Party.objects.filter(file_roles__file=won.file, file_roles__role="APPLICANT").update(
        payment_account_id="acct_1ApplicantTest"
    )
    balance = aftersale.start_balance_payment(
        buyer=won.buyer, sale_id=won.pk, method=Method.BANK_TRANSFER
    )
    payments.confirm_bank_transfer(actor=finance, payment=balance, note="Statement line 7")
    distribution = Distribution.objects.get(file=won.file)
    items = list(distribution.disbursements.order_by("pk"))
    for item in items:
        aftersale.prepare_disbursement(actor=finance, disbursement_id=item.pk, note="Checked")

    def approve_all():
        for item in items:
            aftersale.approve_disbursement(actor=checker, disbursement_id=item.pk)

    provider_outage(stack, court, "transfer.create", len(items), approve_all)
    assert set(
        Disbursement.objects.filter(distribution=distribution).values_list("status", flat=True)
    ) == {"SENT"}
    assert all(p.intent_id for p in Payment.objects.filter(pk__in=[d.pk for d in deposits]))
    print(report.counts, len(stack.proxy.created_ids()))
