"""Auctions, lots, registrations, bids, the bidding rules, its consumers and the clock."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuctionConfig(AppConfig):
    name = "auction"
    verbose_name = _("Auctions")

    def ready(self) -> None:
        from auction.services import registration
        from payments import listeners

        listeners.on_payment_received(registration.on_payment_received)
