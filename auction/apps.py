"""Auctions, lots, registrations, bids, the bidding engine, its consumers and the clock."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuctionConfig(AppConfig):
    name = "auction"
    verbose_name = _("Auctions")
