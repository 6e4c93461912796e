"""Common problems in the admin: editable but for their status, publication and milestones'
ticks (services that write the timeline and check the texts); links read-only; the
timeline append-only."""

from django.contrib import admin

from liaison.admin import BoundedLookupsMixin

from .models import (
    CommonProblem,
    CommonProblemEvent,
    CommonProblemLink,
    PolicyMeasure,
    PolicyMilestone,
)


class LinkInline(admin.TabularInline):
    model = CommonProblemLink
    extra = 0
    fields = ["problem", "linked_by", "linked_at", "cosigned_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class MeasureInline(admin.StackedInline):
    model = PolicyMeasure
    extra = 0
    fields = ["title", "issuing_body", "document_number", "issued_on", "url", "departments"]
    filter_horizontal = ["departments"]


class MilestoneInline(admin.TabularInline):
    model = PolicyMilestone
    extra = 0
    fields = ["title", "due_date", "done_date"]
    # Ticked only through policy.services.milestone_done, which writes the timeline event.
    readonly_fields = ["done_date"]


@admin.register(CommonProblem)
class CommonProblemAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    list_display = ["title", "lead_department", "category", "status", "published"]
    list_filter = ["status", "published"]
    search_fields = ["title", "published_title"]
    # The status and the publication change only through policy.services and
    # policy.publishing, which write the timeline event (and warn when a published text
    # names an enterprise); an edit here would do neither.
    readonly_fields = [
        "status",
        "published",
        "published_title",
        "published_text",
        "published_at",
        "created_by",
        "created_at",
        "updated_at",
        "version",
    ]
    inlines = [LinkInline, MeasureInline, MilestoneInline]


@admin.register(CommonProblemEvent)
class CommonProblemEventAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    """Append-only, like problem events: viewable, never changed or deleted."""

    list_display = ["common_problem", "kind", "actor", "at"]
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
