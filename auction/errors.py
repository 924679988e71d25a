"""The refusals of the auction app: one code each, a translated message with named params."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from auction.bidding.rules import Refusal
from core.errors import DomainError
from core.money import Money

MESSAGES = {
    Refusal.LOT_NOT_OPEN: _("This lot is not open for bidding."),
    Refusal.LOT_CLOSED: _("Bidding on this lot has closed."),
    Refusal.BELOW_MINIMUM: _("The bid must be at least %(minimum)s."),
    Refusal.ALREADY_LEADING: _("You already lead this lot; set an automatic maximum to go higher."),
    Refusal.NOT_REGISTERED: _("Register for this lot before bidding."),
    Refusal.DEPOSIT_NOT_HELD: _("Your deposit for this lot has not been received yet."),
    Refusal.EXCLUDED_PARTY: _("You may not bid on this lot."),
    Refusal.POWER_OF_ATTORNEY_INVALID: _(
        "Your power of attorney for this company is no longer approved or has expired: you "
        "cannot bid for it."
    ),
    Refusal.RATE_LIMITED: _("Too many bids in a short time; wait a moment and try again."),
    Refusal.DUPLICATE: _("This bid was already received."),
    Refusal.INVALID_AMOUNT: _("Enter the amount as a whole number of minor units."),
    Refusal.MAXIMUM_TOO_LOW: _("The maximum must be at least %(minimum)s."),
}


def message_for(code: str, params: dict[str, object]) -> str:
    """The refusal's message in the active language; `<name>_minor` params shown as money."""
    shown: dict[str, object] = dict(params)
    currency = str(params.get("currency", ""))
    for name, value in params.items():
        if name.endswith("_minor") and currency and isinstance(value, int):
            shown[name.removesuffix("_minor")] = Money(value, currency).format()
    template = str(MESSAGES[Refusal(code)])
    return template % shown if "%(" in template else template


class RegistrationRefused(DomainError):
    code = "registration_refused"
    status = 409


class AuctionRuleError(DomainError):
    code = "auction_rule"
    status = 409
