"""The audit trail in the admin: read only, for everyone (the office searches it at /audit/)."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin

from liaison.admin import BoundedLookupsMixin

from .models import AccessEvent


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdminMixin, BoundedLookupsMixin, admin.ModelAdmin):
    list_display = ("at", "username", "role", "action", "object_type", "object_label", "ip_address")
    list_filter = ("action", "role")
    search_fields = ("username", "object_label", "object_id")
    date_hierarchy = "at"
    actions = None


# django-auditlog's own admin lets a cascade delete its entries; ours refuses any delete.
admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class ChangeEntryAdmin(ReadOnlyAdminMixin, BoundedLookupsMixin, LogEntryAdmin):
    actions = None
