"""The payment jobs' operations: each API call and what its answer means for our records."""

from __future__ import annotations

from payments import emulator, locks, outcomes
from payments.client import CardError, StripeClient, StripeError, StripeObject
from payments.jobs import Operation, register
from payments.models import PaymentJob, RefundStatus

# -- creating the PaymentIntent ----------------------------------------------------------------


def _create_intent(client: StripeClient, job: PaymentJob) -> StripeObject:
    return client.create_payment_intent(job.params, idempotency_key=job.idempotency_key)


def _intent_created(job: PaymentJob, intent: StripeObject) -> None:
    outcomes.intent_created(locks.lock_payment(int(job.subject_id)), str(intent["id"]))


register("payment_intent.create", Operation(call=_create_intent, succeeded=_intent_created))


# -- confirming it with the payer's payment method -----------------------------------------------


def _confirm(client: StripeClient, job: PaymentJob) -> StripeObject:
    return client.confirm_payment_intent(
        job.params["intent"],
        {"payment_method": job.params["payment_method"]},
        idempotency_key=job.idempotency_key,
    )


def _confirm_answered(job: PaymentJob, intent: StripeObject) -> None:
    """A declined attempt comes back with a card_error; success waits for the signed event."""
    error = intent.get("last_payment_error")
    declined = isinstance(error, dict) and error.get("type") == "card_error"
    if intent.get("status") == "requires_payment_method" and declined:
        assert isinstance(error, dict)
        outcomes.payment_failed(
            locks.lock_payment(int(job.subject_id)),
            code=str(error.get("decline_code") or error.get("code") or "card_declined"),
            message=str(error.get("message") or ""),
        )
        return
    emulator.after_confirmation(
        locks.lock_payment(int(job.subject_id)), str(job.params["payment_method"])
    )


def _confirm_refused(job: PaymentJob, error: StripeError) -> bool:
    if not isinstance(error, CardError):
        return False
    outcomes.payment_failed(
        locks.lock_payment(int(job.subject_id)),
        code=error.decline_code or error.code or "card_declined",
        message=error.message,
    )
    return True


register(
    "payment_intent.confirm",
    Operation(call=_confirm, succeeded=_confirm_answered, refused=_confirm_refused),
)


# -- canceling it -----------------------------------------------------------------------------


def _cancel(client: StripeClient, job: PaymentJob) -> StripeObject:
    return client.cancel_payment_intent(
        job.params["intent"], {}, idempotency_key=job.idempotency_key
    )


def _nothing(job: PaymentJob, answer: StripeObject) -> None:
    return None


register("payment_intent.cancel", Operation(call=_cancel, succeeded=_nothing))


# -- refunds ----------------------------------------------------------------------------------


def _refund(client: StripeClient, job: PaymentJob) -> StripeObject:
    return client.create_refund(job.params, idempotency_key=job.idempotency_key)


def _refund_created(job: PaymentJob, refund: StripeObject) -> None:
    locked = locks.lock_refund(int(job.subject_id))
    outcomes.refund_paid(
        locked,
        completed=refund.get("status") == "succeeded",
        stripe_refund_id=str(refund["id"]),
    )
    if refund.get("status") == "failed":
        outcomes.refund_failed(locked, reason=str(refund.get("failure_reason") or "failed"))


def _refund_refused(job: PaymentJob, error: StripeError) -> bool:
    """The provider refused the refund: it stays requested (the money reserved) for a person.

    Finance staff see the job with the error and may send it again with the
    same key; only then, or on the provider's event, is anything posted.
    """
    locked = locks.lock_refund(int(job.subject_id))
    if locked.status == RefundStatus.REQUESTED:
        locked.needs_attention = True
        locked.failure_reason = (error.message or error.error_type)[:200]
        locked.save(update_fields=["needs_attention", "failure_reason"])
    return False


register(
    "refund.create", Operation(call=_refund, succeeded=_refund_created, refused=_refund_refused)
)
