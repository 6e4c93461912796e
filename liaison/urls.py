from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

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
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("problems/", include("issues.urls")),
    path("meetings/", include("meetings.urls")),
    path("tasks/", include("keytasks.urls")),
    path("api/", include("api.urls")),
    path("integrations/", include("api.urls_office")),
    # The audit trail, for the office (audit app).
    path("audit/", include("audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
