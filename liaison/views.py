"""Core pages: login and logout, a health check, the icon, the browser's reports of
Content-Security-Policy violations, and the error pages Django does not render itself
(500 or 503, CSRF failure)."""

import json
import logging
import sys

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import readiness
from .forms import LoginForm, PasswordChangeForm
from .sessions import not_user_activity
from .twofactor.views import step_after_password

logger = logging.getLogger(__name__)

# The database is out of reach (a restart, a failover, a dropped connection): the
# request is answered 503 with this Retry-After rather than a 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


class LoginView(auth_views.LoginView):
    """The password step. A user with an authenticator app goes on to the second step;
    one whose role requires an app and has none, to enrolment (liaison.twofactor)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        after = step_after_password(self.request, form.get_user(), self.get_success_url())
        return HttpResponseRedirect(after) if after else response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, with the old password checked as a sign-in is (liaison.forms)."""

    template_name = "registration/password_change.html"
    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), confirming it on the login page it returns to."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # The session is flushed by now; the message travels in the messages cookie.
        messages.success(request, _("You have logged out."))
        return response


@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("healthz: the database does not answer: %s", error)
        response = HttpResponse("database unavailable", content_type="text/plain", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@never_cache
def readyz(request):
    """Ready to serve: the database, the broker, a worker and what the apps registered
    (liaison.readiness) all pass. 200 or 503, with each check's result in JSON; no login,
    never cached. For monitoring and the compose health check, not for users."""
    result = readiness.run_checks()
    status = 200 if result["status"] == "ok" else 503
    response = JsonResponse(result, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the static file.

    A temporary redirect kept for a day, not a permanent one: the static file's name
    carries a hash of its content, which changes when the icon does.
    """
    return HttpResponseRedirect(static("favicon.ico"))


# A violation report is a few hundred bytes; a larger body is refused unread (413, by
# liaison.middleware.RequestSizeLimitMiddleware, which reads request_body_limit).
CSP_REPORT_MAX_BYTES = 16 * 1024
# Of one report: at most this many violations logged, each value cut to this length.
CSP_REPORT_MAX_VIOLATIONS = 10
CSP_REPORT_MAX_VALUE = 300
# The fields logged, as report-uri names them and as the Reporting API does.
CSP_REPORT_FIELDS = {
    "document": ("document-uri", "documentURL"),
    "directive": ("effective-directive", "effectiveDirective", "violated-directive"),
    "blocked": ("blocked-uri", "blockedURL"),
    "source": ("source-file", "sourceFile"),
    "line": ("line-number", "lineNumber"),
    "sample": ("script-sample", "sample"),
}


def _csp_violations(report) -> list[dict]:
    """The violations of a report: {"csp-report": {...}} (report-uri) or a list of
    {"type": "csp-violation", "body": {...}} (the Reporting API)."""
    if isinstance(report, dict) and isinstance(report.get("csp-report"), dict):
        bodies = [report["csp-report"]]
    elif isinstance(report, list):
        bodies = [item.get("body") for item in report if isinstance(item, dict)]
    else:
        bodies = []
    violations = []
    for body in bodies[:CSP_REPORT_MAX_VIOLATIONS]:
        if not isinstance(body, dict):
            continue
        violation = {}
        for name, keys in CSP_REPORT_FIELDS.items():
            value = next((body[key] for key in keys if key in body), "")
            violation[name] = str(value)[:CSP_REPORT_MAX_VALUE]
        violations.append(violation)
    return violations


@csrf_exempt
@require_POST
@not_user_activity
def csp_report(request):
    """report-uri of the Content-Security-Policy (settings.CONTENT_SECURITY_POLICY): each
    violation the browser reports is logged as a warning, for the operators to look at.

    Anyone may send one (no login, no CSRF token: the browser sends it on its own), so it
    stores nothing and does the same small work for every report: a bounded body, a
    bounded number of values of bounded length, logged with their control characters
    escaped. A body that is not a report is a 400; never a 500.
    """
    try:
        report = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, OSError):
        return HttpResponse(status=400)
    violations = _csp_violations(report)
    if not violations:
        return HttpResponse(status=400)
    for violation in violations:
        logger.warning(
            "CSP violation: %(directive)r blocked %(blocked)r on %(document)r "
            "(%(source)r line %(line)r, sample %(sample)r)",
            violation,
        )
    return HttpResponse(status=204)


csp_report.request_body_limit = CSP_REPORT_MAX_BYTES


# --- Error pages -------------------------------------------------------------------------


# The REST API (the api app, mounted at /api/) answers in JSON, its errors included.
API_PREFIX = "/api/"


def is_api_request(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def service_unavailable(request, error=None):
    """503 "try again in a few seconds", in the request's language, when the database is
    out of reach. Rendered without the request: the user and the session are in the
    database, and no context processor may touch it."""
    logger.warning(
        "database unavailable, answered 503: %s %s: %s", request.method, request.path, error
    )
    if is_api_request(request):
        response = JsonResponse(
            {
                "detail": _("The service is briefly unavailable. Try again in a few seconds."),
                "code": "unavailable",
            },
            status=503,
        )
    else:
        content = loader.get_template("503.html").render({"retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def page_not_found(request, exception=None):
    """handler404: under /api/, JSON like the API's own 404s (a path its routes do not
    match, such as an id longer than the route allows, never reaches DRF); elsewhere
    Django's page (templates/404.html)."""
    if is_api_request(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: a 503 when what went wrong is the database being out of reach
    (raised anywhere, a middleware's session save included), else Django's own 500
    view, which renders templates/500.html without the request."""
    error = sys.exception()
    if isinstance(error, DATABASE_UNAVAILABLE):
        return service_unavailable(request, error)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form posted with an expired or missing token, most often a
    page left open too long or a login or logout in another tab since it was opened.
    CsrfViewMiddleware has logged the reason; the user reads what to do instead."""
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    return render(request, "403_csrf.html", {"back": back}, status=403)
