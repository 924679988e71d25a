"""The payment jobs of disbursements: connected accounts, transfers and payouts.

Registered with payments core's job runner; each runs through the worker with
the same idempotency key on every retry. A refusal that is a business answer
(an invalid destination, a closed account) puts the disbursement back in the
queue with the provider's reason; an insufficient provider balance waits for a
person (finance tops the balance up and sends the job again with the same key).
"""

from __future__ import annotations

from aftersale.services import disbursements
from payments.client import StripeClient, StripeError, StripeObject
from payments.jobs import Operation, register
from payments.models import PaymentJob

WAIT_FOR_A_PERSON = ("balance_insufficient", "insufficient_funds")


def _create_account(client: StripeClient, job: PaymentJob) -> StripeObject:
    return client.create_account(job.params, idempotency_key=job.idempotency_key)


def _account_created(job: PaymentJob, account: StripeObject) -> None:
    disbursements.account_created(disbursements.find_for_job(job.subject_id), str(account["id"]))


def _create_transfer(client: StripeClient, job: PaymentJob) -> StripeObject:
    return client.create_transfer(job.params, idempotency_key=job.idempotency_key)


def _create_payout(client: StripeClient, job: PaymentJob) -> StripeObject:
    return client.create_payout(job.params, idempotency_key=job.idempotency_key)


def _sent(job: PaymentJob, answer: StripeObject) -> None:
    item = disbursements.find_for_job(job.subject_id)
    if answer.get("status") in ("failed", "canceled"):
        disbursements.returned(item, str(answer.get("failure_message") or answer.get("status")))
        return
    disbursements.sent(item, str(answer["id"]))


def _refused(job: PaymentJob, error: StripeError) -> bool:
    """A refusal the provider means: back to the queue with its reason, unless a person must act."""
    if error.code in WAIT_FOR_A_PERSON:
        return False
    if error.status not in (400, 402, 404):
        return False
    disbursements.returned(
        disbursements.find_for_job(job.subject_id), error.message or error.code or error.error_type
    )
    return True


register(
    "connect_account.create",
    Operation(call=_create_account, succeeded=_account_created, refused=_refused),
)
register("transfer.create", Operation(call=_create_transfer, succeeded=_sent, refused=_refused))
register("payout.create", Operation(call=_create_payout, succeeded=_sent, refused=_refused))
