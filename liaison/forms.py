"""Forms of the core app: the login form with throttling of failed attempts."""

from __future__ import annotations

import hashlib
import logging

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# After this many failed logins for one user name from one address (or many more
# from one address for any name), further attempts are refused for a while.
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 30
LOCKOUT_SECONDS = 15 * 60

# Failures are counted in the shared cache (Redis). While it is down, logging in must
# still work: they are counted in this process instead, so throttling goes on, per process.
_fallback_counts = LocMemCache("liaison-login-failures", {})


def _counts(operation: str, *args):
    """Call the shared cache, or this process's fallback if the cache is down."""
    try:
        return getattr(cache, operation)(*args)
    except ValueError:  # incr of a key that expired: not an outage
        raise
    except Exception as error:
        logger.warning("login throttling counts in this process: the cache failed (%r)", error)
        return getattr(_fallback_counts, operation)(*args)


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"liaison:login-failures:{kind}:{digest}"


def client_address(request) -> str:
    """The client's address; behind N trusted proxies (LIAISON_TRUSTED_PROXIES), the
    address the nearest trusted proxy saw, from X-Forwarded-For."""
    if request is None:
        return "unknown"
    proxies = getattr(settings, "LIAISON_TRUSTED_PROXIES", 0)
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or "unknown"


class ThrottledLoginMixin:
    """Refuse further attempts after repeated failures (the site's and the admin's login)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed attempts. Wait %(minutes)d minutes and try again, or ask the "
            "liaison office to reset your password."
        ),
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        address = client_address(self.request)
        keys = [_key("user", f"{username}|{address}"), _key("address", address)]
        limits = [MAX_FAILURES_PER_USERNAME, MAX_FAILURES_PER_ADDRESS]
        counts = _counts("get_many", keys)
        if any(counts.get(key, 0) >= limit for key, limit in zip(keys, limits, strict=True)):
            # A refused attempt is a failed sign-in too (the audit trail records it);
            # authenticate(), which would send this, is not called.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": username},
                request=self.request,
                throttled=True,
            )
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": LOCKOUT_SECONDS // 60},
            )
        try:
            return super().clean()
        except ValidationError:
            for key in keys:
                if _counts("add", key, 1, LOCKOUT_SECONDS) is False:
                    try:
                        _counts("incr", key)
                    except ValueError:  # expired between add and incr
                        _counts("set", key, 1, LOCKOUT_SECONDS)
            raise

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        address = client_address(self.request)
        username = (self.cleaned_data.get("username") or "").strip().lower()
        _counts("delete", _key("user", f"{username}|{address}"))


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The site's login form."""

    error_messages = ThrottledLoginMixin.error_messages


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form, throttled like the site's (staff accounts matter most)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": ThrottledLoginMixin.error_messages["throttled"],
    }


class HtmlDateInput(forms.DateInput):
    """A browser date picker. Its value is always ISO (YYYY-MM-DD), whatever the language:
    a localized value such as 2026/11/30 would leave the picker empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
