"""Key tasks in the admin: tasks and milestones editable but for what the services keep
(a task's status, a milestone's tick); progress reports read-only."""

from django.contrib import admin

from liaison.admin import BoundedLookupsMixin

from .models import KeyTask, Milestone, ProgressReport


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["title", "due_date", "done_date", "evidence"]
    # Ticked only through keytasks.services.milestone_tick, which records who ticked it and
    # when and moves the task's status; ticked here, the task would stay behind for good.
    readonly_fields = ["done_date", "evidence"]


class ProgressReportInline(admin.TabularInline):
    model = ProgressReport
    extra = 0
    fields = ["reported_at", "department", "reported_by", "percent", "text"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(KeyTask)
class KeyTaskAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    list_display = ["year", "number", "title", "leader", "lead_department", "status"]
    list_filter = ["year", "status"]
    search_fields = ["title"]
    autocomplete_fields = ["problems"]
    filter_horizontal = ["supporting_departments", "coordination_meetings"]
    readonly_fields = ["status", "percent", "done_at", "created_at", "updated_at", "version"]
    inlines = [MilestoneInline, ProgressReportInline]


@admin.register(ProgressReport)
class ProgressReportAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    """Append-only, like problem events: viewable, never changed or deleted."""

    list_display = ["task", "department", "reported_at", "percent"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
