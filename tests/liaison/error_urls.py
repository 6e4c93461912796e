"""The site's URLs plus views that fail on purpose, for the error-page tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import path

from liaison.urls import handler500
from liaison.urls import urlpatterns as site_urlpatterns


def refuse(request):
    raise PermissionDenied


def bad_request(request):
    raise SuspiciousOperation("a test of the 400 page")


def crash(request):
    raise RuntimeError("a test of the 500 page: secret internals")


def lose_the_database(request):
    raise OperationalError("server closed the connection unexpectedly")


def touch_the_session(request):
    # Saved by SessionMiddleware after the view: outside the view's exception handling.
    request.session["touched"] = True
    return HttpResponse("ok")


urlpatterns = [
    path("test-errors/403/", refuse),
    path("test-errors/400/", bad_request),
    path("test-errors/500/", crash),
    path("test-errors/database/", lose_the_database),
    path("test-errors/session/", touch_the_session),
    *site_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
