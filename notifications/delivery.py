"""Delivery: queue, claim, send (e-mail, SMS backends), settle, retry on the row's schedule.

The row holds its own schedule: `next_attempt_at`, when `requeue_pending` (a beat task)
hands it to a worker again if nothing has sent it by then (the broker was down, or lost
the task), and after a failed attempt when the next one is due (a backoff of hours, not
Celery retries held in the broker). `deliver` claims the row before sending (pending →
sending, with a lease), so two deliveries of one row never both send it; only a worker
killed mid-send leaves a message that is sent again, with the same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Notification
from .rendering import html_of, site_url
from .sms.gateway import SmsError, SmsMessage, SmsRefused

logger = logging.getLogger(__name__)

EMAIL = Notification.Channel.EMAIL
SMS = Notification.Channel.SMS

# Delivery: the retry delays, the lease and the requeue's timing are settings
# (LIAISON_OUTBOX_*), read when used so that tests can shorten them.
REQUEUE_BATCH = 500
# When sending works again, messages that failed for good are sent again if they were
# written less than this long ago (older ones have lost their point, or been dealt with).
RESEND_FAILED_WITHIN = dt.timedelta(days=1)


def enqueue(notification_ids: Sequence[int]) -> int:
    """Queue a delivery task per id; return how many were queued. Never raises.

    Called after commit, often still inside a web request: with the broker down it
    must fail fast. The connection therefore does not retry (kombu would spend ~6 s
    per call), the first failure stops the loop, and the rows stay pending for
    `requeue_pending` to queue once the broker is back.
    """
    from .tasks import deliver_notification

    app = deliver_notification.app
    options = {**(app.conf.broker_transport_options or {}), "max_retries": 0}
    queued = 0
    try:
        with app.connection_for_write(transport_options=options) as connection:
            for pk in notification_ids:
                deliver_notification.apply_async((pk,), connection=connection, retry=False)
                queued += 1
    except Exception as error:
        logger.warning(
            "could not queue %d notification(s), left pending for the requeue task: %s",
            len(notification_ids) - queued,
            error,
        )
    return queued


def retry_delays() -> list[dt.timedelta]:
    """The pause after each failed attempt in turn (LIAISON_OUTBOX_RETRY_DELAYS)."""
    return [dt.timedelta(seconds=s) for s in settings.LIAISON_OUTBOX_RETRY_DELAYS]


def max_attempts() -> int:
    """Attempts before a message is failed: the first and one after each delay."""
    return len(settings.LIAISON_OUTBOX_RETRY_DELAYS) + 1


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LIAISON_OUTBOX_LEASE_SECONDS)


def requeue_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LIAISON_OUTBOX_REQUEUE_AFTER_SECONDS)


def _claimable(now: dt.datetime) -> Q:
    """Rows a delivery may take: waiting, or being sent by a worker whose lease ran out."""
    return Q(state=Notification.State.PENDING) | Q(
        state=Notification.State.SENDING, next_attempt_at__lte=now
    )


def deliver(notification_id: int) -> str:
    """Claim one e-mail or SMS, send it and settle it; return its state.

    The claim is one conditional UPDATE (pending → sending, attempts + 1, leased until
    now + LIAISON_OUTBOX_LEASE_SECONDS): of two deliveries of one row, only one sends.
    What it writes afterwards repeats the claim (sending, this attempt), so a delivery
    whose lease ran out never overwrites the one that took over from it. A failed
    attempt makes the row pending again, due after the next of LIAISON_OUTBOX_RETRY_DELAYS
    (the requeue hands it over then); the last one, or an error that retrying cannot
    mend (the server refused the address or the message), marks it failed, for the
    office to see. A sent message tells the outbox that sending works again.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(_claimable(now), pk=notification_id).update(
        state=Notification.State.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + lease(),
    )
    notification = (
        Notification.objects.select_related("recipient", "recipient__profile")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return "missing"
    if not claimed:
        return notification.state
    mine = Notification.objects.filter(
        pk=notification.pk, state=Notification.State.SENDING, attempts=notification.attempts
    )
    if notification.attempts > max_attempts():
        # Every attempt was cut short (its worker killed mid-send): stop trying.
        mine.update(
            state=Notification.State.FAILED,
            next_attempt_at=None,
            last_error=f"interrupted {notification.attempts - 1} times while sending",
        )
        return Notification.State.FAILED
    try:
        if notification.channel == EMAIL:
            _send_email(notification)
        elif notification.channel == SMS:
            _send_sms(notification)
        # In-app rows are written as sent; a pending one has nothing to send.
    except _Skip as reason:
        mine.update(state=Notification.State.SKIPPED, next_attempt_at=None, last_error=str(reason))
        return Notification.State.SKIPPED
    except Exception as error:
        return _attempt_failed(notification, mine, error)
    mine.update(
        state=Notification.State.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    _resend_failed(notification.channel, now)
    return Notification.State.SENT


def _attempt_failed(notification: Notification, mine, error: Exception) -> str:
    # A gateway's answer is kept as it gave it: provider, code, message, request id.
    message = (str(error) if isinstance(error, SmsError) else f"{type(error).__name__}: {error}")[
        :2000
    ]
    attempt = notification.attempts
    if attempt >= max_attempts() or _cannot_succeed(error):
        mine.update(state=Notification.State.FAILED, next_attempt_at=None, last_error=message)
        logger.error("notification %s failed for good: %s", notification.pk, message)
        return Notification.State.FAILED
    delay = retry_delays()[attempt - 1]
    mine.update(
        state=Notification.State.PENDING,
        next_attempt_at=timezone.now() + delay,
        last_error=message,
    )
    logger.warning(
        "notification %s: attempt %s failed (%s); next in %s",
        notification.pk,
        attempt,
        message,
        delay,
    )
    return Notification.State.PENDING


def _cannot_succeed(error: Exception) -> bool:
    """The mail server refused this message for good (5xx for its recipient or content), or
    the SMS gateway did (bad number, template, signature, credentials): sending it again
    cannot help. A refused sender, a login or a connection failure is the mail server's
    or our configuration's trouble, and passes; so does a gateway's "not now"."""
    if isinstance(error, SmsRefused):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _resend_failed(channel: str, now: dt.datetime) -> int:
    """Sending works (again): messages of this channel that failed for good after all their
    attempts, written within RESEND_FAILED_WITHIN, start a new round (one indexed UPDATE;
    nothing to do is the usual case). Refused messages stay failed."""
    return Notification.objects.filter(
        state=Notification.State.FAILED,
        channel=channel,
        created_at__gte=now - RESEND_FAILED_WITHIN,
        attempts__gte=max_attempts(),
    ).update(state=Notification.State.PENDING, attempts=0, next_attempt_at=now)


def message_id(notification: Notification) -> str:
    """The e-mail's Message-ID, the same at every attempt: a message sent twice (its worker
    was killed after the server took it) is one message to the recipient's mail client."""
    seed = f"{notification.pk}|{notification.created_at.isoformat()}|{notification.recipient_id}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:12]
    domain = urlsplit(site_url()).hostname or "localhost"
    return f"<outbox-{notification.pk}-{digest}@{domain}>"


class _Skip(Exception):
    """Nothing to send to (the address or phone was removed since the row was written)."""


def _send_email(notification: Notification) -> None:
    address = notification.recipient.email
    if not address or not notification.recipient.is_active:
        raise _Skip("no e-mail address")
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        to=[address],
        headers={"Auto-Submitted": "auto-generated", "Message-ID": message_id(notification)},
    )
    html = notification.body_html or html_of(notification)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


class LoggingSmsBackend:
    """The default SMS backend: writes the message to the log (no SMS gateway configured)."""

    def send(self, message: SmsMessage) -> None:
        logger.info("SMS to %s: %s", message.phone, message.text)


def sms_backend():
    """The SMS backend named by LIAISON_SMS_BACKEND: a class whose send(SmsMessage) returns
    when the message is sent and raises otherwise (notifications.sms.gateway's SmsRetryLater
    or SmsRefused for a gateway's answer). A gateway backend missing a setting raises
    ImproperlyConfigured here, naming it: the attempt fails and is tried again."""
    path = getattr(settings, "LIAISON_SMS_BACKEND", "notifications.delivery.LoggingSmsBackend")
    return import_string(path)()


def _send_sms(notification: Notification) -> None:
    profile = getattr(notification.recipient, "profile", None)
    phone = profile.phone if profile is not None else ""
    if not phone or not notification.recipient.is_active:
        raise _Skip("no phone number")
    url = notification.url
    sms_backend().send(
        SmsMessage(
            outbox_id=notification.pk,
            phone=phone,
            kind=notification.kind,
            text=notification.body,
            subject=notification.subject,
            link=site_url() + url if url.startswith("/") else url,
        )
    )


def requeue_pending(*, now: dt.datetime | None = None, batch: int = REQUEUE_BATCH) -> int:
    """Hand every e-mail and SMS whose time has come to a worker; return how many were queued.

    Due: waiting past its `next_attempt_at` (its backoff ended, or the task queued with
    it never started: the broker was down or lost it), or being sent past its lease (the
    worker died mid-send). The oldest first, `batch` at a time; each is due again
    LIAISON_OUTBOX_REQUEUE_AFTER_SECONDS later in case this hand-over is lost too.
    """
    now = now or timezone.now()
    due = Q(state__in=[Notification.State.PENDING, Notification.State.SENDING]) & Q(
        next_attempt_at__lte=now
    )
    ids = list(
        Notification.objects.filter(due)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:batch]
    )
    if not ids:
        return 0
    Notification.objects.filter(due, pk__in=ids).update(
        state=Notification.State.PENDING, next_attempt_at=now + requeue_after()
    )
    return enqueue(ids)
