"""The payment records in the admin site: court accounts editable; money records read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from payments.models import (
    CourtAccount,
    JournalEntry,
    LedgerAccount,
    Payment,
    PaymentJob,
    Refund,
    WebhookEvent,
)


@admin.register(CourtAccount)
class CourtAccountAdmin(admin.ModelAdmin[CourtAccount]):
    list_display = ("court", "iban", "bank_name", "stripe_account")


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Money records change only through the services, which audit every change."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "court",
        "payer",
        "purpose",
        "method",
        "amount_minor",
        "currency",
        "status",
    )
    list_filter = ("status", "method", "purpose", "court")
    search_fields = ("public_id", "intent_id", "bank_reference", "reference")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "payment", "amount_minor", "currency", "status", "needs_attention")


@admin.register(PaymentJob)
class PaymentJobAdmin(ReadOnlyAdmin):
    list_display = ("idempotency_key", "operation", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "operation")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "status", "received_at")
    list_filter = ("status", "type")


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("court", "purpose", "kind", "file_number", "currency")


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("pk", "court", "posted_at", "memo", "reference_type", "reference_id")
