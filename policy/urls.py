"""Common-problem URLs (views.urlpatterns)."""

from .views import urlpatterns

app_name = "policy"

__all__ = ["app_name", "urlpatterns"]
