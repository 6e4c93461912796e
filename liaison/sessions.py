"""Sessions that end: after a while without activity (officials sooner than enterprise
users) and after an absolute lifetime, with a message saying why; and a request that
finds itself signed out is sent to the login page in a way that keeps the user's place.

The session holds three stamps, written at login (the user_logged_in signal):
when the user signed in, when they were last active, and whether the idle limit is the
officials' or the enterprise users' (so that no request reads the profile for it).
The last-activity stamp is written at most once a minute, not on every request.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext

from .models import Role
from .permissions import role_of

SIGNED_IN_AT = "liaison_signed_in_at"
ACTIVE_AT = "liaison_active_at"
IDLE_KIND = "liaison_idle_kind"
# The last-activity stamp is rewritten when it is older than this: a session is saved at
# most once a minute by activity, and an idle limit is kept to within a minute.
ACTIVITY_RESOLUTION_SECONDS = 60


def not_user_activity(view):
    """Decorator: a request to this view does not keep the session alive (the bell's
    polling, the browser's CSP reports): the idle limit still ends it."""
    view.is_user_activity = False
    return view


def _idle_kind(user) -> str:
    return "enterprise" if role_of(user) == Role.ENTERPRISE else "official"


def idle_minutes(kind: str) -> int:
    if kind == "enterprise":
        return settings.LIAISON_SESSION_IDLE_MINUTES_ENTERPRISE
    return settings.LIAISON_SESSION_IDLE_MINUTES_OFFICIALS


@receiver(user_logged_in)
def stamp_session(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[ACTIVE_AT] = now
    request.session[IDLE_KIND] = _idle_kind(user)


def _expiry_message(session, now: int) -> str | None:
    """Why this session has ended, or None if it has not."""
    max_seconds = settings.LIAISON_SESSION_MAX_HOURS * 3600
    if now - session[SIGNED_IN_AT] >= max_seconds:
        hours = settings.LIAISON_SESSION_MAX_HOURS
        return ngettext(
            "You were signed out: a session lasts at most %(hours)d hour. Sign in again to go on.",
            "You were signed out: a session lasts at most %(hours)d hours. Sign in again to go on.",
            hours,
        ) % {"hours": hours}
    minutes = idle_minutes(session[IDLE_KIND])
    if now - session[ACTIVE_AT] >= minutes * 60:
        return ngettext(
            "You were signed out after %(minutes)d minute without activity. Sign in again "
            "to go on.",
            "You were signed out after %(minutes)d minutes without activity. Sign in again "
            "to go on.",
            minutes,
        ) % {"minutes": minutes}
    return None


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _same_site_path(request, url: str) -> str | None:
    """`url`'s path and query if it is a page of this site, else None. (The login view
    checks its "next" again before it follows it.)"""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.get_host():
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not url_has_allowed_host_and_scheme(path, allowed_hosts={request.get_host()}):
        return None
    return path if path.startswith("/") else None


def _login_url_back_to(path: str | None) -> str:
    """The login page, with "next" as login_required writes it (slashes left as they are)."""
    login_url = resolve_url(settings.LOGIN_URL)
    if not path:
        return login_url
    return f"{login_url}?{urlencode({REDIRECT_FIELD_NAME: path}, safe='/')}"


class SessionTimeoutMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware.

    In process_view (the view is known, so the bell's polling can be told apart): a
    session past its idle limit or its lifetime is ended, the user is told why, and the
    request goes on signed out (a page that needs a login sends them to it).

    On the way out, a redirect to the login page is adjusted for what asked:
    - an htmx request (the bell) gets HX-Redirect, so that the whole page goes to the
      login page instead of the login form being swapped into the bell;
    - a form posted while signed out comes back, after the login, to the page the form
      was on (its Referer), not to the URL it was posted to, which may take only POST.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _is_htmx(request) and getattr(request, "liaison_session_ended", False):
            # The bell's polling found the session over: the page goes to the login page,
            # where the message says why (the user's typing is kept: static/js/drafts.js).
            return self._htmx_to_login(request)
        if response.status_code in (301, 302, 303, 307, 308):
            response = self._adjust_login_redirect(request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        session = getattr(request, "session", None)
        try:
            if session is None or SESSION_KEY not in session:
                return None
        except (OperationalError, InterfaceError):
            # The database is out of reach: the session cannot be read, so there is
            # nothing to check; the view meets the outage as it would have (a 503).
            return None
        now = int(time.time())
        if any(stamp not in session for stamp in (SIGNED_IN_AT, ACTIVE_AT, IDLE_KIND)):
            # Signed in before these stamps existed: the limits count from now.
            session[SIGNED_IN_AT] = session.get(SIGNED_IN_AT, now)
            session[IDLE_KIND] = _idle_kind(request.user)
            session[ACTIVE_AT] = now
            return None
        message = _expiry_message(session, now)
        if message is not None:
            logout(request)
            messages.info(request, message)
            request.liaison_session_ended = True
            return None
        if getattr(view_func, "is_user_activity", True):
            if now - session.get(ACTIVE_AT, 0) >= ACTIVITY_RESOLUTION_SECONDS:
                session[ACTIVE_AT] = now
        return None

    def _adjust_login_redirect(self, request, response):
        """Only login_required's redirect (to the login page with "next"), not the logout's."""
        location = urlsplit(response.get("Location", ""))
        login_url = resolve_url(settings.LOGIN_URL)
        if location.path != login_url or REDIRECT_FIELD_NAME not in parse_qs(location.query):
            return response
        if _is_htmx(request):
            return self._htmx_to_login(request)
        if request.method == "POST":
            back = _same_site_path(request, request.headers.get("Referer", ""))
            if back:
                response["Location"] = _login_url_back_to(back)
        return response

    def _htmx_to_login(self, request):
        """The whole page to the login page, and back to it after the login. The message
        saying why (the messages cookie) is added to this response on the way out."""
        back = _same_site_path(request, request.headers.get("HX-Current-URL", ""))
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _login_url_back_to(back)
        return response
