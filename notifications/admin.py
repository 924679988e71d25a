"""The outbox in the admin, read-only: what waits, what was sent, what was given up and why."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Delivery, Notice


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnly, admin.ModelAdmin[Notice]):
    list_display = ["key", "kind", "user", "email", "phone", "language", "created_at"]
    list_filter = ["kind", "language"]
    search_fields = ["key", "email", "phone"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly, admin.ModelAdmin[Delivery]):
    list_display = ["notice", "channel", "status", "attempts", "due_at", "sent_at", "last_error"]
    list_filter = ["status", "channel"]
    search_fields = ["notice__key", "provider_reference"]
