"""The admin site for enforcement records: reading and searching; changes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from enforcement.models import (
    AgencyAnswer,
    AgencyApplication,
    AgencyEndpoint,
    AgencyLetter,
    ApiToken,
    EnforcementFile,
    EnforcementRequest,
    Party,
    SeizedAsset,
    SeizureOrder,
    WebhookDelivery,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Records whose every change must be audited: the admin only shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EnforcementFile)
class EnforcementFileAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "court",
        "status",
        "claim_minor",
        "currency",
        "assigned_to",
        "opened_at",
    ]
    list_filter = ["court", "status"]
    search_fields = ["number", "instrument_reference"]


@admin.register(Party)
class PartyAdmin(ReadOnlyAdmin):
    list_display = ["name_en", "name_ar", "kind", "id_number", "court"]
    list_filter = ["court", "kind"]
    search_fields = ["name_en", "name_ar", "id_number"]


@admin.register(SeizureOrder)
class SeizureOrderAdmin(ReadOnlyAdmin):
    list_display = ["pk", "file", "kind", "agency", "status", "requested_at"]
    list_filter = ["kind", "status"]


@admin.register(SeizedAsset)
class SeizedAssetAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "status", "file", "court", "registered_at"]
    list_filter = ["court", "kind", "status"]
    search_fields = ["title", "vin", "plate", "deed_number"]


@admin.register(AgencyLetter)
class AgencyLetterAdmin(ReadOnlyAdmin):
    list_display = ["number", "agency", "subject_kind", "status", "due_on", "sent_at"]
    list_filter = ["status", "subject_kind", "agency"]
    search_fields = ["number", "subject"]


@admin.register(EnforcementRequest)
class EnforcementRequestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "court", "submitted_by", "status", "submitted_at"]
    list_filter = ["court", "status"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]


@admin.register(AgencyAnswer)
class AgencyAnswerAdmin(ReadOnlyAdmin):
    list_display = ["letter", "order", "agency", "kind", "amount_minor", "answered_at"]
    list_filter = ["kind"]
    search_fields = ["letter__number", "reference"]


@admin.register(AgencyApplication)
class AgencyApplicationAdmin(ReadOnlyAdmin):
    """Registered with `manage.py register_agency_system` (the secret is shown once there)."""

    list_display = ["agency", "application", "scopes", "created_at"]


@admin.register(AgencyEndpoint)
class AgencyEndpointAdmin(ReadOnlyAdmin):
    list_display = ["agency", "url", "active"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["delivery_id", "agency", "event", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event"]
    search_fields = ["delivery_id", "letter__number"]
