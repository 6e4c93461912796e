"""Admin for the service side: for looking up, not for changing.

Commissioners are assigned on the commissioners page and visits recorded on the visit
pages, through service.services: they tell the commissioner, lock against double
submissions and raise problems through the workflow, which an admin edit would skip.
The audit trail (service.apps: audit.changes.track) records every change.
"""

from django.contrib import admin

from liaison.admin import BoundedLookupsMixin

from .models import CommissionerAssignment, Visit, VisitProblem


class _ReadOnly(BoundedLookupsMixin, admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CommissionerAssignment)
class CommissionerAssignmentAdmin(_ReadOnly):
    list_display = (
        "enterprise",
        "commissioner",
        "active",
        "assigned_at",
        "assigned_by",
        "ended_at",
    )
    list_filter = ("active", "enterprise__town")
    search_fields = (
        "enterprise__name",
        "enterprise__credit_code",
        "commissioner__username",
        "commissioner__last_name",
        "commissioner__first_name",
    )
    list_select_related = ("enterprise", "commissioner", "assigned_by")
    date_hierarchy = "assigned_at"
    readonly_fields = [f.name for f in CommissionerAssignment._meta.fields]


class VisitProblemInline(admin.TabularInline):
    model = VisitProblem
    fields = ("problem",)
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(_ReadOnly):
    list_display = (
        "visited_on",
        "enterprise",
        "status",
        "purpose",
        "department",
        "leader",
        "follow_up_on",
        "created_by",
    )
    list_filter = ("status", "visited_on", "department", "enterprise__town")
    search_fields = ("enterprise__name", "enterprise__credit_code", "purpose", "findings")
    list_select_related = ("enterprise", "department", "leader", "created_by")
    date_hierarchy = "visited_on"
    inlines = [VisitProblemInline]
    readonly_fields = [f.name for f in Visit._meta.fields] + ["officials"]


@admin.register(VisitProblem)
class VisitProblemAdmin(_ReadOnly):
    list_display = ("problem", "visit")
    search_fields = ("problem__reference", "problem__title", "visit__enterprise__name")
    list_select_related = ("problem", "visit", "visit__enterprise")
    readonly_fields = ("visit", "problem")
