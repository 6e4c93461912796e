"""Core pages: login and logout, the home page of each role, a health check."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from issues import notifications

from . import permissions, selectors, workdays
from .forms import LoginForm, NotificationSettingsForm
from .models import Role


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), confirming it on the login page it returns to."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # The session is flushed by now; the message travels in the messages cookie.
        messages.success(request, _("You have logged out."))
        return response


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


HOME_TEMPLATES = {
    Role.ENTERPRISE: "liaison/home_enterprise.html",
    Role.DEPARTMENT_STAFF: "liaison/home_department.html",
    Role.DEPARTMENT_HEAD: "liaison/home_department.html",
    Role.OFFICE: "liaison/home_office.html",
    Role.ADMIN: "liaison/home_office.html",
    Role.LEADER: "liaison/home_leader.html",
    Role.PRINCIPAL: "liaison/home_leader.html",
}


@login_required
@require_GET
def home(request):
    role = permissions.role_of(request.user)
    template = HOME_TEMPLATES.get(role, "liaison/home_none.html")
    context = selectors.home_context(user=request.user, role=role)
    context["can_see_head_phone"] = permissions.can_see_head_phone(request.user)
    if role in (Role.LEADER, Role.PRINCIPAL):
        from meetings.coordination import leader_action_items

        # The action items of the leader's coordination meetings: open, and overdue.
        context["action_items"] = leader_action_items(user=request.user)
        from keytasks.selectors import leader_home_tasks

        # The leader's key tasks of the year, beside the escalations (one query).
        today = workdays.local_date(timezone.now())
        context["key_tasks"] = leader_home_tasks(request.user, today.year, today)
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    """The user's notification choices: e-mail on or off, and the e-mails' language."""
    profile = getattr(request.user, "profile", None)
    if profile is None:  # an administrator without a role has nothing to choose
        return render(request, "liaison/notification_settings.html", {"form": None})
    initial = {"email_notifications": profile.email_notifications, "language": profile.language}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        notifications.preferences_set(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notification_settings")
    return render(
        request,
        "liaison/notification_settings.html",
        {"form": form, "has_email": bool(request.user.email)},
    )
