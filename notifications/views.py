"""The bell, the in-app notifications page and the office's outbox page.

Mounted under the problems' pages (/problems/notifications/...) by issues/urls.py, with
the names they have always had (issues:notifications, issues:outbox, ...).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from liaison import permissions
from liaison.pages import form_errors_to_messages, page_of, role_required, safe_next
from liaison.sessions import not_user_activity

from . import inbox as outbox
from .forms import OutboxSendAgainForm
from .models import Notification


@login_required
@require_GET
def notification_list(request):
    """The user's in-app notifications, newest first, unread ones marked."""
    return render(
        request,
        "notifications/notifications.html",
        {
            "page": page_of(request, outbox.inbox(request.user)),
            "querystring": "",
            "unread_count": outbox.unread_count(request.user),
        },
    )


@require_GET
@not_user_activity
def notification_badge(request):
    """The bell's unread count, loaded by htmx so that pages do not pay for it.

    Its polling every minute is not the user's activity: a page left open still reaches
    the idle limit, and then this request sends the page to the login page (HX-Redirect,
    liaison.sessions). Signed out in another way (another tab): 286 tells htmx to stop
    polling, instead of a redirect that would paste the login page into the bell.
    """
    if not request.user.is_authenticated:
        return HttpResponse(status=286)
    return render(
        request,
        "notifications/includes/notification_badge.html",
        {"unread_count": outbox.unread_count(request.user)},
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one notification read; with "open", go on to the page it is about."""
    url = (
        Notification.objects.filter(pk=pk, recipient=request.user, channel="in_app")
        .values_list("url", flat=True)
        .first()
    )
    if url is None:
        raise Http404
    outbox.mark_read(user=request.user, notification_id=pk)
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    if request.POST.get("open") and url and safe:
        return HttpResponseRedirect(url)
    return HttpResponseRedirect(safe_next(request, reverse("issues:notifications")))


@login_required
@require_POST
def notification_read_all(request):
    count = outbox.mark_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return HttpResponseRedirect(safe_next(request, reverse("issues:notifications")))


OUTBOX_STATES = {"failed": [Notification.State.FAILED], "pending": outbox.UNSETTLED}


@role_required(permissions.is_office)
@require_GET
def notification_outbox(request):
    """E-mails and SMS that failed or are still waiting: the office checks delivery here."""
    show = request.GET.get("show", "failed")
    if show not in OUTBOX_STATES:
        show = "failed"
    undelivered = outbox.undelivered()
    return render(
        request,
        "notifications/notification_outbox.html",
        {
            "page": page_of(request, undelivered.filter(state__in=OUTBOX_STATES[show])),
            "show": show,
            "failed_count": undelivered.filter(state=Notification.State.FAILED).count(),
            "pending_count": undelivered.filter(state__in=outbox.UNSETTLED).count(),
            "now": timezone.now(),
            "querystring": f"show={show}",
        },
    )


@role_required(permissions.is_office)
@require_POST
def notification_retry(request, pk: int):
    if outbox.outbox_send_again(notification_ids=[pk]):
        messages.success(request, _("The message will be sent again."))
    else:
        messages.info(request, _("This message is no longer waiting to be sent again."))
    return HttpResponseRedirect(safe_next(request, reverse("issues:outbox")))


@role_required(permissions.is_office)
@require_POST
def notification_send_again(request):
    """The selected messages, or every failed one, sent again at once."""
    form = OutboxSendAgainForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return HttpResponseRedirect(safe_next(request, reverse("issues:outbox")))
    if form.cleaned_data["all_failed"]:
        count = outbox.outbox_send_again()
    else:
        count = outbox.outbox_send_again(notification_ids=[n.pk for n in form.cleaned_data["ids"]])
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d message will be sent again.",
                "%(count)d messages will be sent again.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("None of these messages is waiting to be sent again."))
    return HttpResponseRedirect(safe_next(request, reverse("issues:outbox")))
