"""The audit trail in the admin: read only, for everyone (the office searches it at /audit/)."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin

from liaison.admin import BoundedLookupsMixin, EnterpriseAdmin
from liaison.models import Enterprise

from .models import AccessEvent, Action
from .services import access_record


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


# An enterprise's details, opened in the admin, are a read of its contacts like any other.
admin.site.unregister(Enterprise)


@admin.register(Enterprise)
class AuditedEnterpriseAdmin(EnterpriseAdmin):
    def get_object(self, request, object_id, from_field=None):
        enterprise = super().get_object(request, object_id, from_field)
        if enterprise is not None and request.method == "GET":
            access_record(request, Action.VIEWED_ENTERPRISE, obj=enterprise)
        return enterprise
