from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin[AuditRecord]):
    """Read-only: audit records are never edited or deleted."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "court"]
    list_filter = ["action", "court"]
    search_fields = ["actor_label", "object_id", "action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
