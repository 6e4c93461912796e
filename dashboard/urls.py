"""The home page, the dashboard and the notification settings; included at the root."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/notifications/", views.notification_settings, name="notification_settings"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/export.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
    path("", include("dashboard.bulletin.urls")),
    path("dashboard/assessment/", include("dashboard.assessment.urls")),
]
