"""Enforcement of two-factor sign-in: a signed-in user who must pass the second step and
has not is sent to it from every page (refused under /api/), except the few a person
needs to get there or away."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import views as core_views
from . import policy

# The sign-in and sign-out pages, the second step and enrolment themselves, the language
# switch, and what monitoring and browsers fetch without a person (static files are
# served before any view, by WhiteNoise).
EXEMPT_VIEW_NAMES = frozenset(
    {
        "login",
        "logout",
        "two_factor_verify",
        "two_factor_enrol",
        "set_language",
        "healthz",
        "readyz",
        "favicon",
        "admin:logout",
    }
)


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware (request.user.is_verified) and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name in EXEMPT_VIEW_NAMES:
            return None
        if not policy.second_step_due(request):
            return None
        if core_views.is_api_request(request):
            # A browser session of an official calling the API; API keys have no session.
            return JsonResponse(
                {
                    "detail": _(
                        "Finish signing in first: enter the code from your authenticator app."
                    ),
                    "code": "two_factor_required",
                },
                status=403,
            )
        if request.headers.get("HX-Request"):
            # A fragment (the bell's badge): the whole page goes to the second step and
            # then back to the page the fragment was part of.
            going_to = _same_site_path(request, request.headers.get("HX-Current-URL", ""))
            response = HttpResponse(status=204)
            response["HX-Redirect"] = _second_step_url(going_to)
            return response
        going_to = request.get_full_path() if request.method == "GET" else reverse("home")
        return redirect(_second_step_url(going_to))


def _second_step_url(going_to: str) -> str:
    return f"{reverse('two_factor_verify')}?{urlencode({'next': going_to})}"


def _same_site_path(request, url: str) -> str:
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.get_host():
        return reverse("home")
    return urlunsplit(("", "", parts.path or reverse("home"), parts.query, ""))
