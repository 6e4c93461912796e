"""In-app reads (the bell, the list), the office's outbox page, and each user's choices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from liaison.models import Profile

from .delivery import requeue_pending
from .models import Notification

IN_APP = Notification.Channel.IN_APP


def inbox(user):
    """The user's in-app notifications, newest first."""
    return Notification.objects.filter(recipient=user, channel=IN_APP).select_related("problem")


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, channel=IN_APP, read_at=None).count()


def mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread in-app notification of `user` as read."""
    unread = Notification.objects.filter(recipient=user, channel=IN_APP, read_at=None)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


UNSETTLED = (Notification.State.PENDING, Notification.State.SENDING)


def undelivered():
    """E-mails and SMS that failed, wait or are being sent: the office's outbox page."""
    return (
        Notification.objects.filter(state__in=[Notification.State.FAILED, *UNSETTLED])
        .exclude(channel=IN_APP)
        .select_related("recipient", "problem")
        .order_by("-created_at", "-id")
    )


def outbox_send_again(
    *, notification_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> int:
    """The office sends messages again now; return how many.

    The given ones if they failed, still wait (e.g. stuck in their backoff) or were cut
    short while being sent; without ids, every failed one. Each starts a new round of
    attempts. After the commit the requeue hands the first REQUEUE_BATCH to the workers,
    its next runs the rest. A message being sent at this moment is left alone.
    """
    now = now or timezone.now()
    rows = Notification.objects.exclude(channel=IN_APP)
    if notification_ids is None:
        rows = rows.filter(state=Notification.State.FAILED)
    else:
        rows = rows.filter(pk__in=list(notification_ids)).filter(
            Q(state__in=[Notification.State.FAILED, Notification.State.PENDING])
            | Q(state=Notification.State.SENDING, next_attempt_at__lte=now)
        )
    changed = rows.update(
        state=Notification.State.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )
    if changed:
        transaction.on_commit(requeue_pending)
    return changed


def preferences_set(*, user, email_notifications: bool, language: str) -> None:
    """The user's choices: e-mail on or off, and the language of e-mails and in-app texts."""
    Profile.objects.filter(user=user).update(
        email_notifications=email_notifications, language=language
    )
