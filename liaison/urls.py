from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .twofactor import views as two_factor

# Django's own 400 and 403 views render templates/400.html and 403.html; the 404 view
# templates/404.html, or JSON under /api/ (liaison.views.page_not_found).
handler404 = "liaison.views.page_not_found"
handler500 = "liaison.views.server_error"

urlpatterns = [
    # The home page of each role, the dashboard and the notification settings.
    path("", include("dashboard.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("csp-report", views.csp_report, name="csp_report"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/two-factor/", two_factor.manage, name="two_factor"),
    path("accounts/two-factor/verify/", two_factor.verify, name="two_factor_verify"),
    path("accounts/two-factor/enrol/", two_factor.enrol, name="two_factor_enrol"),
    path(
        "accounts/two-factor/recovery-codes/",
        two_factor.recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("accounts/two-factor/remove/", two_factor.remove, name="two_factor_remove"),
    path("accounts/two-factor/district/", two_factor.district, name="two_factor_district"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done.html"
        ),
        name="password_change_done",
    ),
    # The challenge's pictures (django-simple-captcha), shown after many failed sign-ins.
    path("accounts/challenge/", include("captcha.urls")),
    path("problems/", include("issues.urls")),
    path("meetings/", include("meetings.urls")),
    path("tasks/", include("keytasks.urls")),
    path("service/", include("service.urls")),
    path("policy/", include("policy.urls")),
    path("api/", include("api.urls")),
    path("integrations/", include("api.urls_office")),
    # The audit trail, for the office (audit app).
    path("audit/", include("audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
