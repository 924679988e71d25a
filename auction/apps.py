"""Auctions, lots, registrations, bids, the bidding rules, its consumers and the clock."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuctionConfig(AppConfig):
    name = "auction"
    verbose_name = _("Auctions")

    def ready(self) -> None:
        from auction import events, page_versions
        from auction.services import receipts, registration
        from core import receipts as core_receipts
        from core.live import hub
        from core.models import Receipt
        from enforcement import hooks
        from payments import listeners
        from payments.events import PaidFor

        listeners.on_payment_received(PaidFor.REGISTRATION_DEPOSIT)(registration.on_deposit_paid)
        hub.pace_topics(events.is_lot_topic)
        hooks.on_party_joining(registration.revoke_for_party)
        page_versions.connect()
        core_receipts.sign_kind_with(Receipt.Kind.BID, receipts.signed_document_of)
