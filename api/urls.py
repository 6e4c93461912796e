"""/api/: the REST API v1, its OpenAPI schema and its documentation page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views, views_directory, views_figures, views_problems, views_webhooks

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("problems", views_problems.ProblemViewSet, basename="problem")
router.register("enterprises", views_directory.EnterpriseViewSet, basename="enterprise")
router.register("departments", views_directory.DepartmentViewSet, basename="department")
router.register("meetings", views_directory.MeetingViewSet, basename="meeting")
router.register("webhooks", views_webhooks.WebhookSubscriptionViewSet, basename="webhook")

v1 = [
    path("me/", views.me, name="me"),
    path("figures/", views_figures.figures, name="figures"),
    path("calendar/working-day/", views_figures.working_day, name="calendar-working-day"),
    path("calendar/deadline/", views_figures.deadline, name="calendar-deadline"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its start-up script at docs/?script= rather than inline, which the
    # Content-Security-Policy would refuse; the page's template: templates/api/swagger_ui.html.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
]
