from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import Passkey, User
from accounts.organisations import Agency, Court


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]  # stubs require AbstractUser
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "court", "agency", "identity_status", "is_active"]
    list_filter = ["role", "court", "identity_status", "is_active"]
    search_fields = ["email", "full_name", "id_number"]
    # Roles, courts and administrator rights change only on the audited staff page
    # (accounts:roles, through services.assign_role), never here.
    readonly_fields = [
        "role",
        "court",
        "agency",
        "is_staff",
        "is_superuser",
        "identity_status",
        "identity_reviewed_by",
        "identity_reviewed_at",
        "identity_submitted_at",
        "last_login",
        "date_joined",
    ]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Person"),
            {
                "fields": (
                    "full_name",
                    "id_kind",
                    "id_country",
                    "id_number",
                    "phone",
                    "preferred_language",
                )
            },
        ),
        (
            _("Role"),
            {"fields": ("role", "court", "agency", "is_active", "is_staff", "is_superuser")},
        ),
        (
            _("Identity verification"),
            {
                "fields": (
                    "identity_status",
                    "identity_submitted_at",
                    "identity_reviewed_by",
                    "identity_reviewed_at",
                    "identity_rejection_reason",
                )
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "full_name",
                    "id_kind",
                    "id_country",
                    "id_number",
                    "phone",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin[Passkey]):
    """Passkeys are listed for the record; they are removed on the roles page, audited."""

    list_display = ["user", "name", "created_at", "last_used_at"]
    search_fields = ["user__email", "name"]
    fields = ["user", "name", "sign_count", "transports", "created_at", "last_used_at"]
    readonly_fields = ["user", "name", "sign_count", "transports", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin[Court]):
    list_display = ["code", "name_en", "name_ar", "city", "currency", "time_zone"]
    search_fields = ["code", "name_en", "name_ar", "city"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ["code", "kind", "country", "name_en", "name_ar", "email"]
    list_filter = ["kind", "country"]
    search_fields = ["code", "name_en", "name_ar"]
