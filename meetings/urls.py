"""Meetings URLs, each part owned by its own views module."""

from . import consultation_views, coordination_views, list_views, views

app_name = "meetings"

urlpatterns = [
    *views.urlpatterns,
    *coordination_views.urlpatterns,
    *consultation_views.urlpatterns,
    *list_views.urlpatterns,
]
