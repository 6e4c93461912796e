"""Helpers every app's views share: role-checked pages, pagination, "next" links and
refused forms' errors as messages."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme

PAGE_SIZE = 25


def page_of(request, queryset):
    paginator = Paginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def safe_next(request, fallback: str) -> str:
    """The "next" page the form names if it is on this site, else `fallback`."""
    back = request.POST.get("next", "")
    # Only a page of this site: "//host/" and "/\host/" start with a slash too.
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return fallback


def form_errors_to_messages(request, form) -> None:
    """A refused action form's errors as messages on the page it redirects back to."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def role_required(predicate):
    """Only users for whom `predicate(user)` holds; for others the page does not exist (404)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not predicate(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
