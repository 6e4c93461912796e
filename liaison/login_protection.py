"""Login protection around django-axes: the client's address, the challenge an address earns
by failing to sign in under many names, and what a locked-out user is told.

axes records each failed password check (a sign-in, the site's or the admin's, or the old
password of the password change) against the user name and the address together
(AccessAttempt), and refuses that pair for the cool-off once it reaches the limit: someone
else's failures, from the same address under other names, never lock a user out.
"""

from __future__ import annotations

import datetime as dt
import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import ngettext
from ipware.ip import get_client_ip

# The headers that may carry the client's address: with no trusted proxy only the
# connection's own address; behind trusted proxies the address the nearest one saw.
DIRECT = ("REMOTE_ADDR",)
BEHIND_PROXIES = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")


def client_address(request) -> str | None:
    """The client's address (axes' AXES_CLIENT_IP_CALLABLE), resolved by django-ipware.

    LIAISON_TRUSTED_PROXIES (0 by default) says how many reverse proxies in front of the
    app add to X-Forwarded-For. With 0 the header is the client's own words and is ignored.
    With N, the address the nearest trusted proxy saw: the N-th entry from the end of the
    header (ipware counts the proxies inside the header, one fewer than those in front of
    the app); a header with fewer entries than that counts as absent (REMOTE_ADDR is used).
    Read at each request, so that the setting alone decides.
    """
    proxies = settings.LIAISON_TRUSTED_PROXIES
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1 if proxies else None,
        request_header_order=BEHIND_PROXIES if proxies else DIRECT,
        # At least that many entries, not exactly: a proxy that appends passes a forged
        # entry on in front of the real one, which then still counts.
        strict=False,
    )
    return address


def _window_start(request) -> dt.datetime:
    AxesProxyHandler.update_request(request)  # sets request.axes_ip_address and the time
    return request.axes_attempt_time - get_cool_off(request)


def failures_from_address(request) -> int:
    """Failed password checks from the request's address within the cool-off, all names."""
    start = _window_start(request)
    total = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=start
    ).aggregate(failures=Sum("failures_since_start"))["failures"]
    return total or 0


def challenge_required(request) -> bool:
    """Whether a sign-in from this address must answer the challenge before its password
    is checked: after LIAISON_LOGIN_CHALLENGE_AFTER failures from it in the cool-off."""
    return failures_from_address(request) >= settings.LIAISON_LOGIN_CHALLENGE_AFTER


def is_locked_out(request) -> bool:
    """axes refused (or just locked) this user name from this address in this request."""
    return bool(getattr(request, "axes_locked_out", False))


def locked_until(request, username: str) -> dt.datetime:
    """When the lock on this user name from this address ends (its last failure + cool-off)."""
    start = _window_start(request)
    last = AccessAttempt.objects.filter(
        username=username, ip_address=request.axes_ip_address, attempt_time__gte=start
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last or request.axes_attempt_time) + get_cool_off(request)


def _minutes_left(until: dt.datetime) -> int:
    return max(1, math.ceil((until - timezone.now()).total_seconds() / 60))


def locked_out_error(request, username: str) -> ValidationError:
    """The form error a locked-out user sees, in their language: what is locked and until when."""
    until = locked_until(request, username)
    minutes = _minutes_left(until)
    message = ngettext(
        "Too many failed attempts: signing in to this account from your address is locked "
        "until %(time)s (in %(minutes)d minute). Try again then, or ask the liaison office "
        "to reset your password.",
        "Too many failed attempts: signing in to this account from your address is locked "
        "until %(time)s (in %(minutes)d minutes). Try again then, or ask the liaison office "
        "to reset your password.",
        minutes,
    ) % {"time": formats.time_format(timezone.localtime(until), "H:i"), "minutes": minutes}
    return ValidationError(message, code="locked_out")


def lockout_response(request, original_response, credentials):
    """axes' AXES_LOCKOUT_CALLABLE, for a request in which it refused or locked a user.

    The form already said so in the page, in the site's layout: that page is kept, sent
    as 429 Too Many Requests with Retry-After. Anything else (no page, or a redirect)
    gets the site's refusal page with the same words.
    """
    username = (credentials or {}).get("username") or ""
    until = locked_until(request, username)
    if original_response is not None and original_response.status_code == 200:
        response = original_response
        response.status_code = 429
    else:
        response = render(
            request,
            "liaison/request_refused.html",
            {"message": locked_out_error(request, username).messages[0]},
            status=429,
        )
    response["Retry-After"] = str(_minutes_left(until) * 60)
    return response
