"""Service URLs (views.urlpatterns)."""

from .views import urlpatterns

app_name = "service"

__all__ = ["app_name", "urlpatterns"]
