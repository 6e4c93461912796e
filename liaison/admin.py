"""Admin for organisations, profiles and the working-day calendar, usable by the office."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import CalendarDay, CalendarYear, Department, Enterprise, Profile

User = get_user_model()

admin.site.site_header = _("Liaison administration")
admin.site.site_title = _("Liaison")
admin.site.index_title = _("Organisations, people and calendar")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "short_name",
        "kind",
        "head_name",
        "head_phone",
        "office_phone",
        "supervising_leader",
        "is_active",
        "display_order",
    )
    list_filter = ("kind", "is_active", "supervising_leader")
    list_editable = ("display_order", "is_active")
    search_fields = ("name", "short_name", "head_name")
    list_select_related = ("supervising_leader",)
    autocomplete_fields = ()


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "industry", "town", "contact_person", "contact_phone")
    list_filter = ("town", "industry")
    search_fields = ("name", "credit_code", "contact_person")
    list_select_related = ("town",)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fk_name = "user"
    extra = 0
    min_num = 0
    max_num = 1


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "enterprise", "department", "title", "phone")
    list_filter = ("role", "department")
    search_fields = ("user__username", "user__first_name", "user__last_name", "enterprise__name")
    list_select_related = ("user", "enterprise", "department")
    autocomplete_fields = ("enterprise",)


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = (ProfileInline,)
    list_display = ("username", "first_name", "last_name", "email", "profile_role", "is_active")
    list_select_related = ("profile",)
    list_filter = ("profile__role", "is_active", "is_staff")

    @admin.display(description=_("role"), ordering="profile__role")
    def profile_role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "-"


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "source")
    list_filter = ("kind", "source")
    date_hierarchy = "date"
    search_fields = ("name",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        from django.utils.dateformat import format as date_format

        return date_format(obj.date, "l")


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "confirmed", "source")
    list_editable = ("confirmed",)
