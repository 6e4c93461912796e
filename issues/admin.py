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


class MergedInline(admin.TabularInline):
    """The problems of other enterprises merged into this one (并单): read-only, as merges
    are made and undone through issues.workflow.merging only."""

    model = Problem
    fk_name = "merged_into"
    verbose_name = _("merged problem")
    verbose_name_plural = _("merged problems")
    extra = 0
    can_delete = False
    fields = ("reference", "enterprise", "status", "satisfaction", "merged_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MergedFilter(admin.SimpleListFilter):
    title = _("merge")
    parameter_name = "merge"

    def lookups(self, request, model_admin):
        return (("main", _("Main problems")), ("merged", _("Merged into another")))

    def queryset(self, request, queryset):
        if self.value() == "main":
            return queryset.filter(merged_problems__isnull=False).distinct()
        if self.value() == "merged":
            return queryset.filter(merged_into__isnull=False)
        return queryset


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "title",
        "enterprise",
        "status",
        "lead_department",
        "due_at",
        "merged_into",
    )
    list_filter = ("status", MergedFilter, "channel", "category", "lead_department")
    search_fields = ("reference", "title", "enterprise__name")
    list_select_related = ("enterprise", "lead_department", "merged_into")
    date_hierarchy = "created_at"
    inlines = (MergedInline, EventInline)


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
