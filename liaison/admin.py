"""Admin for organisations, profiles and the working-day calendar, usable by the office."""

import json

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import BadRequest, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import permissions
from .forms import AdminLoginForm
from .models import CalendarDay, CalendarYear, Department, Enterprise, Profile, Role
from .personal_data import is_anonymised, personal_data_anonymise, personal_data_export
from .services import profile_set_role
from .twofactor import signals as two_factor_signals
from .twofactor.services import two_factor_remove
from .validators import normalise_credit_code

User = get_user_model()

admin.site.site_header = _("Liaison administration")
admin.site.login_form = AdminLoginForm
# Django's login page with the challenge's row when the form has one (liaison.forms).
admin.site.login_template = "admin/liaison_login.html"
admin.site.site_title = _("Liaison")
admin.site.index_title = _("Organisations, people and calendar")
# is_staff alone is not enough: a user whose role changed away from office keeps it
# until someone notices, so the role decides.
admin.site.has_permission = lambda request: permissions.can_use_admin(request.user)


class BoundedChangeList(ChangeList):
    """A date-hierarchy year, month or day too large for a date (?created_at__year=
    99999999999999999999) is a bad lookup like any other: Django turns the ValueError of a
    date out of range into "incorrect lookup" (the list again, with ?e=1), but lets the
    OverflowError of a number too large for one through as a 500."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error


class BoundedLookupsMixin:
    """For every ModelAdmin of the project: bad lookups and selections are refused, not 500s.

    (A NUL character anywhere in a URL is refused before the admin sees it, by
    liaison.middleware.NulCharacterMiddleware: PostgreSQL cannot store or compare it.)
    """

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList

    def response_action(self, request, queryset):
        # The ids of the ticked rows go straight into a filter: one that is not an id
        # would be a ValueError there.
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            try:
                self.model._meta.pk.to_python(value)
            except ValidationError:
                raise BadRequest("not an id among the selected rows") from None
        return super().response_action(request, queryset)


# Staff access, superuser status, groups and permissions follow the role
# (profile_set_role); only a superuser may set them by hand or hand out the admin role.
ROLE_DRIVEN_USER_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def role_choices_for(request, db_field):
    choices = db_field.get_choices()
    if request.user.is_superuser:
        return choices
    return [(value, label) for value, label in choices if value != Role.ADMIN]


@admin.register(Department)
class DepartmentAdmin(BoundedLookupsMixin, admin.ModelAdmin):
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


class EnterpriseAdminForm(forms.ModelForm):
    # No Meta: the admin supplies the model and fields.

    def clean_credit_code(self):
        # Before the model's unique and format checks, which compare the stored (capital) form.
        return normalise_credit_code(self.cleaned_data["credit_code"])


@admin.register(Enterprise)
class EnterpriseAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    form = EnterpriseAdminForm
    list_display = ("name", "credit_code", "industry", "town", "contact_person", "contact_phone")
    list_filter = ("town", "industry")
    search_fields = ("name", "credit_code", "contact_person")
    list_select_related = ("town",)


def profile_save_through_service(profile) -> Profile:
    """Save an admin-edited profile so that the user's groups and staff access follow its role."""
    return profile_set_role(
        user=profile.user,
        role=profile.role,
        enterprise=profile.enterprise,
        department=profile.department,
        title=profile.title,
        phone=profile.phone,
        email_notifications=profile.email_notifications,
    )


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fk_name = "user"
    extra = 0
    min_num = 0
    max_num = 1

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = role_choices_for(request, db_field)
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Profile)
class ProfileAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    list_display = ("user", "role", "enterprise", "department", "title", "phone")
    list_filter = ("role", "department")
    search_fields = ("user__username", "user__first_name", "user__last_name", "enterprise__name")
    list_select_related = ("user", "enterprise", "department")
    autocomplete_fields = ("enterprise",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.exclude(role=Role.ADMIN).exclude(user__is_superuser=True)

    def get_readonly_fields(self, request, obj=None):
        # Moving a profile to another user would leave the first user's access behind.
        return ("user",) if obj is not None else ()

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = role_choices_for(request, db_field)
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = User.objects.filter(is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.pk = profile_save_through_service(obj).pk


admin.site.unregister(User)

# django-otp's device admins would let an administrator give someone a device whose key
# they know; the users' "Reset two-factor sign-in" action is the admin's only device change.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


@admin.register(User)
class UserAdmin(BoundedLookupsMixin, BaseUserAdmin):
    inlines = (ProfileInline,)
    list_display = ("username", "first_name", "last_name", "email", "profile_role", "is_active")
    list_select_related = ("profile",)
    list_filter = ("profile__role", "is_active", "is_staff")
    actions = ("export_personal_data", "anonymise_personal_data", "reset_two_factor")

    @admin.action(
        description=_("Reset two-factor sign-in (they enrol again at their next sign-in)"),
        permissions=["change"],
    )
    def reset_two_factor(self, request, queryset):
        """A lost or replaced phone: the user's app and recovery codes are removed. A
        session that passed the second step with them stops being verified at once."""
        reset = 0
        for user in queryset:
            if two_factor_remove(user=user):
                reset += 1
                two_factor_signals.send(request, user, two_factor_signals.RESET, "admin reset")
                self.log_change(request, user, [{"changed": {"fields": ["two-factor sign-in"]}}])
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in reset for %(count)d user.",
                "Two-factor sign-in reset for %(count)d users.",
                reset,
            )
            % {"count": reset},
            messages.SUCCESS,
        )

    @admin.display(description=_("role"), ordering="profile__role")
    def profile_role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "-"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (
                name,
                {**opts, "fields": [f for f in opts["fields"] if f not in ROLE_DRIVEN_USER_FIELDS]},
            )
            for name, opts in fieldsets
        ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        profile = Profile.objects.filter(user=form.instance).first()
        if profile is not None:
            profile_save_through_service(profile)

    # --- a person's data on request (liaison.personal_data) ---------------------------

    @admin.action(description=_("Export personal data"))
    def export_personal_data(self, request, queryset):
        """Everything held about one person, as a JSON file; the export is logged."""
        if queryset.count() != 1:
            self.message_user(
                request, gettext("Choose one person to export their data."), messages.WARNING
            )
            return None
        user = queryset.get()
        data = personal_data_export(user=user)
        self.log_change(request, user, gettext("Exported the person's data."))
        content = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(content, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(
            True, f"personal-data-{user.pk}.json"
        )
        return response

    @admin.action(description=_("Anonymise (at the person's request)"))
    def anonymise_personal_data(self, request, queryset):
        """A confirmation page first (as for deleting); then each person is anonymised
        and the admin's log says who did it."""
        queryset = queryset.order_by("pk")
        if request.user.pk in {user.pk for user in queryset}:
            self.message_user(
                request, gettext("You cannot anonymise your own account."), messages.ERROR
            )
            return None
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": gettext("Anonymise"),
                "opts": self.model._meta,
                "queryset": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "media": self.media,
            }
            return TemplateResponse(request, "admin/liaison/anonymise_confirmation.html", context)
        done = 0
        for user in queryset:
            if is_anonymised(user):
                continue
            personal_data_anonymise(user=user)
            user.refresh_from_db()
            self.log_change(request, user, gettext("Anonymised at the person's request."))
            done += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d person anonymised; their records are kept.",
                "%(count)d people anonymised; their records are kept.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )
        return None


@admin.register(CalendarDay)
class CalendarDayAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "source")
    list_filter = ("kind", "source")
    date_hierarchy = "date"
    search_fields = ("name",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        from django.utils.dateformat import format as date_format

        return date_format(obj.date, "l")


@admin.register(CalendarYear)
class CalendarYearAdmin(BoundedLookupsMixin, admin.ModelAdmin):
    list_display = ("year", "confirmed", "source")
    list_editable = ("confirmed",)


# Sign-in lock-outs (django-axes): the office sees who is locked out from which address
# and lifts a lock-out by deleting its access attempt; the failures stay in the log.
admin.site.unregister(AccessAttempt)
admin.site.unregister(AccessFailureLog)
admin.site.unregister(AccessLog)  # successful sign-ins are not logged (settings)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(BoundedLookupsMixin, axes_admin.AccessAttemptAdmin):
    # Without axes' expiry records (not used here), whose column has no translatable name.
    fieldsets = (
        (None, {"fields": ("username", "attempt_time", "path_info", "failures_since_start")}),
        (_("Form Data"), {"fields": ("get_data", "post_data")}),
        (_("Meta Data"), {"fields": ("user_agent", "ip_address", "http_accept")}),
    )


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(BoundedLookupsMixin, axes_admin.AccessFailureLogAdmin):
    pass
