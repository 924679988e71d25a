from django.contrib import admin

from enforcement.models import Court


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin[Court]):
    list_display = ["code", "name_en", "name_ar", "city", "currency", "time_zone"]
    search_fields = ["code", "name_en", "name_ar", "city"]
