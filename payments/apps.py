"""Payments: the Stripe-compatible API client, ledger, deposits, balances, transfers, receipts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from payments import operations  # noqa: F401 - registers the payment jobs' operations
