"""Pure payment rules: which methods can carry an amount, payment references, key names."""

from __future__ import annotations

import secrets
import string

from core.money import Money, UnpayableByCard, stripe_amount

CARD = "CARD"
BANK_TRANSFER = "BANK_TRANSFER"
_REFERENCE_ALPHABET = string.ascii_uppercase + string.digits


def card_refusal(amount: Money) -> str | None:
    """Why a card cannot carry `amount` ("card_maximum", "card_amount_digits"), or None."""
    try:
        stripe_amount(amount, for_card=True)
    except UnpayableByCard as error:
        return "card_maximum" if "maximum" in str(error) else "card_amount_digits"
    return None


def methods_for(amount: Money) -> list[str]:
    """The methods offered for `amount`: card and bank transfer, or bank transfer alone."""
    return [BANK_TRANSFER] if card_refusal(amount) else [CARD, BANK_TRANSFER]


def _digits(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text))


def creditor_reference(body: str) -> str:
    """An ISO 11649 structured creditor reference ("RF" + 2 check digits + `body`).

    Banks carry it unchanged and can check it, so a mistyped reference is
    caught before it is matched to the wrong payment.
    """
    body = body.upper()
    if not body or len(body) > 21 or any(char not in _REFERENCE_ALPHABET for char in body):
        raise ValueError("a creditor reference body is 1 to 21 letters or digits")
    check = 98 - _digits(body + "RF00") % 97
    return f"RF{check:02d}{body}"


def is_valid_creditor_reference(reference: str) -> bool:
    text = reference.replace(" ", "").upper()
    if not (text.startswith("RF") and 5 <= len(text) <= 25):
        return False
    if any(char not in _REFERENCE_ALPHABET for char in text):
        return False
    return _digits(text[4:] + text[:4]) % 97 == 1


def new_bank_reference(court_code: str) -> str:
    """A fresh creditor reference naming the court, e.g. RF42RYC7K2M9Q4TX."""
    body = court_code + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))
    return creditor_reference(body)


# -- the order of an object's states -------------------------------------------------------------
#
# Provider events arrive late, twice, or in any order. Each object's state
# only moves up this order, so whatever the order of arrival the final state
# is that of the latest fact: a refund that failed after it succeeded ends
# FAILED; a success is never undone by an earlier failure arriving late.
# States of equal rank (a card declined, then tried again) may follow each other.

PAYMENT_ORDER = {
    "PREPARING": 0,
    "AWAITING_PAYMENT": 1,
    "PROCESSING": 1,
    "CANCELED": 2,
    "SUCCEEDED": 3,  # money that arrived is recorded, even for a payment canceled meanwhile
}
REFUND_ORDER = {"REQUESTED": 0, "AWAITING_BANK": 0, "SENT": 1, "SUCCEEDED": 2, "FAILED": 3}
# The provider's refund statuses, as our refund states.
PROVIDER_REFUND_STATES = {
    "pending": "SENT",
    "requires_action": "SENT",
    "succeeded": "SUCCEEDED",
    "failed": "FAILED",
    "canceled": "FAILED",
}


def payment_advances(current: str, new: str) -> bool:
    """Whether a payment in `current` may move to `new` (attempts may repeat; finals stay)."""
    if PAYMENT_ORDER[new] == PAYMENT_ORDER[current] == PAYMENT_ORDER["AWAITING_PAYMENT"]:
        return True
    return PAYMENT_ORDER[new] > PAYMENT_ORDER[current]


def refund_advances(current: str, new: str) -> bool:
    """Whether a refund in `current` may move to `new`: strictly up the order."""
    return REFUND_ORDER[new] > REFUND_ORDER[current]
