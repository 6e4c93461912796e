"""Admin for face-to-face meetings: for looking up, not for changing.

Meetings are planned, held and closed on the meeting pages, through meetings.services:
marking one held starts its problems' clocks, which an admin edit would skip.
"""

from django.contrib import admin

from liaison.admin import BoundedLookupsMixin

from .models import Invitation, Meeting


class InvitationInline(admin.TabularInline):
    model = Invitation
    fields = ("enterprise", "invited_at", "reply", "replied_at", "attended")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    list_display = ("__str__", "starts_at", "venue", "status", "held_at", "closed_at")
    list_filter = ("status", "year")
    search_fields = ("theme", "venue")
    date_hierarchy = "starts_at"
    inlines = [InvitationInline]
    readonly_fields = [f.name for f in Meeting._meta.fields] + [
        "presiding_leaders",
        "departments",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
