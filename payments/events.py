"""What a payment was for, as a typed event the other apps subscribe to.

A `Payment` stores what it pays as two fields: its `purpose` (a deposit or a
balance) and the caller's `reference` (`deposit:registration:42`,
`sale:<uuid>`, `redemption:file:7`, `instalment:12`). This module is the one place that writes
such a reference (`reference`) and the one place that reads it back
(`received`): the other apps are told a `PaymentReceived(purpose, subject_id)`
and never look at the string. The stored values are unchanged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from payments.models.payment import Purpose

if TYPE_CHECKING:
    from payments.models import Payment


class PaidFor(enum.Enum):
    """What a payment pays; the value is the prefix of the stored reference."""

    REGISTRATION_DEPOSIT = "deposit:registration:"  # subject: the registration's id
    SALE_BALANCE = "sale:"  # subject: the sale's public id
    FILE_REDEMPTION = "redemption:file:"  # subject: the enforcement file's id
    SETTLEMENT_INSTALMENT = "instalment:"  # subject: the settlement instalment's id

    @property
    def stored_purpose(self) -> str:
        """The `Payment.purpose` a payment for this carries."""
        return Purpose.DEPOSIT if self is PaidFor.REGISTRATION_DEPOSIT else Purpose.BALANCE


class UnknownPurpose(ValueError):
    """A payment, an event or a listener names no purpose this module knows."""


@dataclass(frozen=True)
class PaymentReceived:
    """A payment succeeded: `subject_id` names the record of `purpose` it pays."""

    purpose: PaidFor
    subject_id: str
    # The payment, locked by the transaction recording it (its listeners run in that transaction).
    payment: Payment = field(compare=False, repr=False)

    @property
    def subject_pk(self) -> int:
        """`subject_id` as an integer primary key (a registration's, a file's)."""
        return int(self.subject_id)


def reference(purpose: PaidFor, subject_id: object) -> str:
    """The `Payment.reference` stored for a payment of `purpose` for `subject_id`."""
    if not isinstance(purpose, PaidFor):
        raise UnknownPurpose(f"not a purpose of payment: {purpose!r}")
    subject = str(subject_id)
    if not subject:
        raise UnknownPurpose(f"a payment for {purpose.name} needs its subject")
    return f"{purpose.value}{subject}"


def received(payment: Payment) -> PaymentReceived:
    """The event of `payment` having arrived; raises UnknownPurpose if it pays nothing known."""
    for purpose in PaidFor:
        subject = payment.reference.removeprefix(purpose.value)
        if (
            payment.purpose == purpose.stored_purpose
            and subject != payment.reference
            and _valid_subject(purpose, subject)
        ):
            return PaymentReceived(purpose=purpose, subject_id=subject, payment=payment)
    raise UnknownPurpose(
        f"payment {payment.public_id} ({payment.purpose}, {payment.reference!r}) "
        "pays no known purpose"
    )


def _valid_subject(purpose: PaidFor, subject: str) -> bool:
    if purpose is PaidFor.SALE_BALANCE:
        return bool(subject)
    return subject.isdigit()
