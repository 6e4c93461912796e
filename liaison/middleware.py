"""Middleware of the core app: each request's id and log line; requests refused before
anything reads them (bodies by their declared size, 413; URLs with a NUL character, 400),
and a database out of reach answered with 503.

Django spools a multipart body to disk as it parses it, and only then can a form say a
file is too big: a 60 MB body was read in full to be refused. Here the Content-Length
header is compared with the view's limit before the CSRF check (the first reader of
request.POST) or the view can touch the body:

- a view that takes files (`accepts_uploads`) may receive its files plus the form's fields;
- any other view DATA_UPLOAD_MAX_MEMORY_SIZE, Django's own bound on a form's fields.

A body sent without a length (Transfer-Encoding: chunked) is refused too (411): Django
would read none of it and the form would silently arrive empty. The reverse proxy in
front refuses bodies above the largest limit itself.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from . import logs, permissions, views
from .privacy import mask_personal_data

# The fields and the multipart framing around the files of an upload form.
UPLOAD_FORM_OVERHEAD = 1024 * 1024


def accepts_uploads(*, max_files: int, max_file_size: int):
    """Decorator: the view takes up to `max_files` files of `max_file_size` bytes each.

    The largest such limit (a problem's 10 files of 20 MB: 201 MB) is what the reverse
    proxy must let through (client_max_body_size).
    """
    limit = max_files * max_file_size + UPLOAD_FORM_OVERHEAD

    def decorator(view):
        view.request_body_limit = limit
        return view

    return decorator


def _declared_length(meta) -> int:
    try:
        return max(int(meta.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # Django reads no body then either


class RequestSizeLimitMiddleware:
    """Early in MIDDLEWARE: before CsrfViewMiddleware, whose process_view reads the form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        meta = request.META
        if "HTTP_TRANSFER_ENCODING" in meta and not meta.get("CONTENT_LENGTH"):
            return _refused(
                request,
                411,
                _("Your browser sent the form without saying how long it is. Send it again."),
            )
        limit = getattr(view_func, "request_body_limit", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        length = _declared_length(meta)
        if length > limit:
            return _refused(
                request,
                413,
                _(
                    "What you sent (%(size)s) is more than this page accepts (%(limit)s). "
                    "If you attached files, attach fewer or smaller ones and try again."
                )
                % {"size": filesizeformat(length), "limit": filesizeformat(limit)},
            )
        return None


def _refused(request, status: int, message: str):
    if views.is_api_request(request):
        return JsonResponse({"detail": message, "code": "too_large"}, status=status)
    return render(request, "liaison/request_refused.html", {"message": message}, status=status)


class NulCharacterMiddleware:
    """A NUL character in the path or the query string is a bad request (400).

    PostgreSQL cannot hold one in a text value: a lookup with it (?status__exact=%00 in
    the admin, /problems/%00/) was a 500. Forms refuse it at their fields themselves
    (Django's CharField), with a message, so form data is left to them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            if views.is_api_request(request):
                return JsonResponse(
                    {"detail": _("The address holds a NUL character."), "code": "invalid"},
                    status=400,
                )
            raise BadRequest("NUL character in the URL")
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A view that finds the database out of reach (a PostgreSQL restart, a dropped
    connection) answers 503 with Retry-After, in the user's language, not a bare 500.

    Errors raised outside the view (a middleware saving the session) reach handler500,
    liaison.views.server_error, which answers the same way.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, views.DATABASE_UNAVAILABLE):
            return views.service_unavailable(request, exception)
        return None


request_logger = logging.getLogger("liaison.requests")


def _role_if_loaded(user) -> str | None:
    """The user's role if the profile was read already (no query for the log line)."""
    if user is None:
        return None
    if type(user).profile.is_cached(user):
        return permissions.role_of(user)
    return None


def path_for_log(request) -> str:
    """The path (a credit code in it masked), and the query's parameter names without
    their values: a search or a filter can hold a name or a phone number."""
    path = mask_personal_data(request.path)
    if request.META.get("QUERY_STRING"):
        try:
            names = sorted(set(request.GET.keys()))
        except Exception:  # noqa: BLE001 - more fields than Django reads: refused (400)
            return f"{path}?…"
        path += "?" + "&".join(f"{name[:40]}=…" for name in names[:20])
    return path


class RequestLogMiddleware:
    """First in MIDDLEWARE: gives the request an id (X-Request-ID, in and out), holds it
    with the user for every log line written meanwhile (liaison.logs), and logs one line
    when the response is ready: method, path, status, duration, user id, role, id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        request_id = logs.request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        request_token = logs.request_id_var.set(request_id)
        current_token = logs.current_request_var.set(request)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            try:
                _log_request(request, response, duration_ms)
            except Exception:  # noqa: BLE001 - the log line never costs the user the page
                request_logger.warning("the request's log line failed", exc_info=True)
            return response
        finally:
            logs.current_request_var.reset(current_token)
            logs.request_id_var.reset(request_token)


def _log_request(request, response, duration_ms: float) -> None:
    user = logs.user_already_loaded(request)
    path = path_for_log(request)
    request_logger.info(
        "%s %s %s %sms",
        request.method,
        path,
        response.status_code,
        duration_ms,
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": user.pk if user is not None else None,
            "role": _role_if_loaded(user),
        },
    )
