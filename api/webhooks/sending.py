"""Sending webhooks: queue, claim, POST (signed), settle, retry on the row's schedule.

As the e-mail outbox (notifications.delivery): the row holds its schedule, a beat task
(`requeue_pending`) hands every due row to a worker, so a task Redis lost or never took
strands nothing. `deliver` claims the row (pending → sending, with a lease) before it
posts, so two deliveries of one row never both send it; only a worker killed mid-send
makes the receiver see a delivery twice, with the same X-Liaison-Delivery id.

A failed attempt is due again after the next of LIAISON_WEBHOOKS_RETRY_DELAYS; the last
one fails the delivery for good and disables its subscription, and the office is told.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from liaison.models import Role
from notifications import api as outbox

from ..models import Scope, WebhookAttempt, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

State = WebhookDelivery.State
# Deliveries per task: a task posts them one after the other (each waits at most the
# timeout), so that 30,000 deliveries of a sweep are 1,500 broker messages, not 30,000.
BATCH = 20
REQUEUE_BATCH = 1000
# What is kept of the receiver's answer in the log.
RESPONSE_EXCERPT = 1000
USER_AGENT = "Liaison-Webhooks/1"


def retry_delays() -> list[dt.timedelta]:
    return [dt.timedelta(seconds=s) for s in settings.LIAISON_WEBHOOKS_RETRY_DELAYS]


def max_attempts() -> int:
    return len(settings.LIAISON_WEBHOOKS_RETRY_DELAYS) + 1


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LIAISON_WEBHOOKS_LEASE_SECONDS)


def requeue_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LIAISON_WEBHOOKS_REQUEUE_AFTER_SECONDS)


# --- signing ------------------------------------------------------------------------------


def signature(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """`v1=` and the hex HMAC-SHA256, keyed with the secret, of "<timestamp>.<body>"."""
    if isinstance(body, str):
        body = body.encode()
    message = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(delivery: WebhookDelivery, secret: str, timestamp: int, body: bytes) -> dict:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Liaison-Delivery": str(delivery.pk),
        "X-Liaison-Event": delivery.event_type,
        "X-Liaison-Timestamp": str(timestamp),
        "X-Liaison-Signature": signature(secret, timestamp, body),
    }


# --- queueing -----------------------------------------------------------------------------


def enqueue(deliveries: Sequence[tuple[str, int]]) -> int:
    """Queue tasks for (delivery id, subscription id) pairs, BATCH a task, a subscription's
    together; return how many deliveries were queued. Never raises: with the broker down
    the rows stay pending for `requeue_pending` (as notifications.delivery.enqueue)."""
    from ..tasks import deliver_webhooks

    ordered = [pk for pk, _subscription in sorted(deliveries, key=lambda d: (d[1], d[0]))]
    app = deliver_webhooks.app
    options = {**(app.conf.broker_transport_options or {}), "max_retries": 0}
    queued = 0
    try:
        with app.connection_for_write(transport_options=options) as connection:
            for start in range(0, len(ordered), BATCH):
                chunk = ordered[start : start + BATCH]
                deliver_webhooks.apply_async((chunk,), connection=connection, retry=False)
                queued += len(chunk)
    except Exception as error:
        logger.warning(
            "could not queue %d webhook deliveries, left pending for the requeue task: %s",
            len(ordered) - queued,
            error,
        )
    return queued


def requeue_pending(*, now: dt.datetime | None = None, batch: int = REQUEUE_BATCH) -> int:
    """Hand every delivery whose time has come to the workers; return how many.

    Due: pending past its `next_attempt_at` (its backoff ended, or the task queued with it
    never ran), or being sent past its lease (the worker died). Not those of a disabled
    subscription: they wait until the office enables it again.
    """
    now = now or timezone.now()
    due = Q(state__in=[State.PENDING, State.SENDING], next_attempt_at__lte=now)
    rows = list(
        WebhookDelivery.objects.filter(due, subscription__disabled_at__isnull=True)
        .order_by("next_attempt_at")
        .values_list("pk", "subscription_id")[:batch]
    )
    if not rows:
        return 0
    WebhookDelivery.objects.filter(due, pk__in=[pk for pk, _s in rows]).update(
        state=State.PENDING, next_attempt_at=now + requeue_after()
    )
    return enqueue([(str(pk), subscription_id) for pk, subscription_id in rows])


# --- sending ------------------------------------------------------------------------------


@dataclass
class Answer:
    status_code: int | None = None
    response: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not an address to follow (it could point anywhere)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, request_headers: dict) -> Answer:
    """POST once, with the timeout; what the receiver answered, or what went wrong."""
    started = time.monotonic()
    request = urllib.request.Request(url, data=body, headers=request_headers, method="POST")
    answer = Answer()
    try:
        with _opener.open(request, timeout=settings.LIAISON_WEBHOOKS_TIMEOUT) as response:
            answer.status_code = response.status
            answer.response = _excerpt(response)
    except urllib.error.HTTPError as error:
        answer.status_code = error.code
        answer.response = _excerpt(error)
        answer.error = f"HTTP {error.code} {error.reason}"[:RESPONSE_EXCERPT]
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, socket.timeout | TimeoutError):
            text = f"timed out after {settings.LIAISON_WEBHOOKS_TIMEOUT:g} s"
        else:
            text = f"{type(reason).__name__}: {reason}"
        answer.error = text[:RESPONSE_EXCERPT]
    answer.duration_ms = int((time.monotonic() - started) * 1000)
    return answer


def _excerpt(response) -> str:
    try:
        return response.read(RESPONSE_EXCERPT).decode("utf-8", "replace")
    except Exception:
        return ""


def url_allowed(url: str) -> bool:
    scheme = urlsplit(url).scheme
    return scheme == "https" or (scheme == "http" and settings.LIAISON_WEBHOOKS_ALLOW_HTTP)


def deliver_batch(delivery_ids: Iterable[str]) -> dict[str, int]:
    """Deliver each in turn; count their states. After a subscription's receiver failed,
    its other deliveries in the batch wait with that one instead of each waiting out the
    timeout against a receiver that is down."""
    counts: dict[str, int] = {}
    failing: dict[int, dt.datetime] = {}
    for pk in delivery_ids:
        state = deliver(pk, failing=failing)
        counts[state] = counts.get(state, 0) + 1
    return counts


def _claimable(now: dt.datetime) -> Q:
    return Q(state=State.PENDING) | Q(state=State.SENDING, next_attempt_at__lte=now)


def deliver(delivery_id: str, *, failing: dict[int, dt.datetime] | None = None) -> str:
    """Claim one delivery, POST it signed, settle it; return its state.

    `failing`: subscriptions whose receiver failed earlier in this batch, and when they
    are due again; a delivery of one of them is postponed to then, without an attempt.
    """
    now = timezone.now()
    failing = {} if failing is None else failing
    subscription_id = (
        WebhookDelivery.objects.filter(pk=delivery_id).values_list("subscription_id", flat=True)
    ).first()
    if subscription_id is None:
        return "missing"
    if subscription_id in failing:
        WebhookDelivery.objects.filter(pk=delivery_id, state=State.PENDING).update(
            next_attempt_at=failing[subscription_id]
        )
        return State.PENDING
    claimed = WebhookDelivery.objects.filter(
        _claimable(now), pk=delivery_id, subscription__disabled_at__isnull=True
    ).update(state=State.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + lease())
    delivery = (
        WebhookDelivery.objects.select_related("subscription__client")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return "missing"
    if not claimed:
        return delivery.state
    mine = WebhookDelivery.objects.filter(
        pk=delivery.pk, state=State.SENDING, attempts=delivery.attempts
    )
    subscription = delivery.subscription
    client = subscription.client
    if delivery.attempts > max_attempts():
        # Every attempt was cut short (its worker killed mid-send): stop trying.
        answer = Answer(error=f"interrupted {delivery.attempts - 1} times while sending")
        return _settle_failed(delivery, mine, answer, now, final=True)
    if not client.is_active or not client.has_scope(Scope.WEBHOOKS):
        answer = Answer(error="the client was revoked or may no longer receive webhooks")
        mine.update(state=State.FAILED, next_attempt_at=None, last_error=answer.error)
        return State.FAILED
    if not url_allowed(subscription.url):
        answer = Answer(error="plain http:// is not allowed (LIAISON_WEBHOOKS_ALLOW_HTTP)")
        _record_attempt(delivery, now, answer)
        return _settle_failed(delivery, mine, answer, now, final=True)
    body = delivery.body.encode()
    timestamp = int(time.time())
    answer = post(subscription.url, body, headers(delivery, subscription.secret, timestamp, body))
    _record_attempt(delivery, now, answer)
    if answer.ok:
        mine.update(
            state=State.DELIVERED,
            delivered_at=timezone.now(),
            next_attempt_at=None,
            last_status_code=answer.status_code,
            last_error="",
        )
        if subscription.consecutive_failures or _stale(subscription.last_success_at, now):
            WebhookSubscription.objects.filter(pk=subscription.pk).update(
                consecutive_failures=0, last_success_at=now
            )
        return State.DELIVERED
    state = _settle_failed(delivery, mine, answer, now, final=delivery.attempts >= max_attempts())
    if state == State.PENDING:
        failing[subscription.pk] = now + retry_delays()[delivery.attempts - 1]
    return state


def _stale(moment: dt.datetime | None, now: dt.datetime) -> bool:
    """The subscription's last success is written at most once a minute, not per delivery."""
    return moment is None or now - moment > dt.timedelta(minutes=1)


def _record_attempt(delivery: WebhookDelivery, now: dt.datetime, answer: Answer) -> None:
    WebhookAttempt.objects.create(
        delivery_id=delivery.pk,
        number=delivery.attempts,
        started_at=now,
        duration_ms=answer.duration_ms,
        status_code=answer.status_code,
        response=answer.response[:RESPONSE_EXCERPT],
        error=answer.error[:RESPONSE_EXCERPT],
    )


def _settle_failed(delivery, mine, answer: Answer, now: dt.datetime, *, final: bool) -> str:
    error = answer.error or f"HTTP {answer.status_code}"
    WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    if not final:
        delay = retry_delays()[delivery.attempts - 1]
        mine.update(
            state=State.PENDING,
            next_attempt_at=now + delay,
            last_status_code=answer.status_code,
            last_error=error,
        )
        logger.warning(
            "webhook %s: attempt %s failed (%s); next in %s",
            delivery.pk,
            delivery.attempts,
            error,
            delay,
        )
        return State.PENDING
    mine.update(
        state=State.FAILED,
        next_attempt_at=None,
        last_status_code=answer.status_code,
        last_error=error,
    )
    logger.error("webhook %s failed for good: %s", delivery.pk, error)
    disable_after_failure(delivery.subscription_id, delivery, now)
    return State.FAILED


def disable_after_failure(subscription_id: int, delivery, now: dt.datetime) -> bool:
    """Disable the subscription (once) and tell the office; False if it was disabled."""
    reason = _("A delivery failed %(attempts)d times in a row.") % {"attempts": delivery.attempts}
    with translation.override(settings.LANGUAGE_CODE):
        reason = str(reason)
    changed = WebhookSubscription.objects.filter(
        pk=subscription_id, disabled_at__isnull=True
    ).update(disabled_at=now, disabled_reason=reason[:300])
    if changed:
        tell_office_disabled(subscription_id, now)
    return bool(changed)


def tell_office_disabled(subscription_id: int, now: dt.datetime) -> int:
    """In the app and by e-mail, to the office, in each one's language."""
    subscription = WebhookSubscription.objects.select_related("client").get(pk=subscription_id)
    office = (
        get_user_model()
        .objects.filter(is_active=True, profile__role=Role.OFFICE)
        .values_list("pk", flat=True)
    )
    people = outbox.people(office)
    url = reverse("integrations:subscription_detail", args=[subscription.pk])
    messages = []
    for person in people.values():
        with translation.override(person.language):
            subject = _("Webhooks to %(client)s are disabled") % {"client": subscription.client}
            text = _(
                "Liaison could not deliver webhooks to %(client)s at %(url)s: the receiver "
                "failed every attempt for hours, so its subscription is disabled and new "
                "events are not sent to it. When the other system works again, enable the "
                "subscription on its page and send the failed deliveries again from the log."
            ) % {"client": subscription.client, "url": subscription.url}
        messages.append(
            outbox.DirectMessage(
                recipient_id=person.pk,
                kind="webhook_disabled",
                dedupe_key=f"webhook-disabled:{subscription.pk}:{int(now.timestamp())}",
                subject=subject,
                text=f"{text}\n\n{outbox.site_url()}{url}",
                in_app=text,
                url=url,
            )
        )
    return outbox.write_direct(messages)
