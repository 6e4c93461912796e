from django.contrib import admin

from .models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Read-only here: clients are registered and revoked on the office's page
    (/integrations/clients/), which shows the key once."""

    list_display = ("name", "binding", "department", "enterprise", "last_used_at", "revoked_at")
    list_filter = ("binding",)
    search_fields = ("name", "contact")
    readonly_fields = ("user", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
