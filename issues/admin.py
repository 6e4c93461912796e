"""Admin for problems: categories are edited here; problems and their timeline are read-only.

Status changes only through issues.workflow, and events are append-only, so the
admin offers no way to change either.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from liaison.admin import BoundedLookupsMixin

from .models import Attachment, CallBack, Category, ExtensionRequest, Problem, ProblemEvent


@admin.register(Category)
class CategoryAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    list_display = ("name_zh", "name_en", "default_lead_department", "display_order", "is_active")
    list_editable = ("display_order", "is_active")
    list_select_related = ("default_lead_department",)
    search_fields = ("name_zh", "name_en")


class ReadOnlyAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = ProblemEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "from_status", "to_status", "is_public", "text")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "enterprise", "status", "lead_department", "due_at")
    list_filter = ("status", "channel", "category", "lead_department")
    search_fields = ("reference", "title", "enterprise__name")
    list_select_related = ("enterprise", "lead_department")
    date_hierarchy = "created_at"
    inlines = (EventInline,)


@admin.register(ProblemEvent)
class ProblemEventAdmin(ReadOnlyAdmin):
    list_display = ("problem", "kind", "actor", "created_at", "is_public")
    list_filter = ("kind", "is_public")
    list_select_related = ("problem", "actor")
    search_fields = ("problem__reference",)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "problem", "size", "content_type", "uploaded_at")
    list_select_related = ("problem",)


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ("problem", "days", "decision", "requested_at", "decided_at")
    list_filter = ("decision",)
    list_select_related = ("problem",)


@admin.register(CallBack)
class CallBackAdmin(ReadOnlyAdmin):
    """Call-backs are recorded and reviewed through issues.workflow only."""

    list_display = ("problem", "called_by", "called_at", "outcome", "satisfaction", "review")
    list_filter = ("outcome", "satisfaction", "review", "is_check")
    list_select_related = ("problem", "called_by")
    search_fields = ("problem__reference",)


admin.site.empty_value_display = _("(none)")
