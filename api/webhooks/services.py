"""Every write to webhook subscriptions and deliveries: the office's pages and a client's
own API (/api/v1/webhooks/) call these."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext as _

from ..models import (
    WEBHOOK_URL_MAX_LENGTH,
    ApiClient,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
    new_webhook_secret,
)
from . import sending

State = WebhookDelivery.State


def validate_webhook_url(url: str) -> str:
    """An absolute https:// URL (http:// where LIAISON_WEBHOOKS_ALLOW_HTTP), bounded, with no
    user name or password in it; returned stripped. Raises ValidationError."""
    url = (url or "").strip()
    if len(url) > WEBHOOK_URL_MAX_LENGTH:
        raise ValidationError(
            _("The URL is too long (at most %(max)d characters).") % {"max": WEBHOOK_URL_MAX_LENGTH}
        )
    schemes = ["https", "http"] if settings.LIAISON_WEBHOOKS_ALLOW_HTTP else ["https"]
    try:
        URLValidator(schemes=schemes)(url)
    except ValidationError:
        if urlsplit(url).scheme == "http":
            raise ValidationError(_("The URL must start with https://.")) from None
        raise ValidationError(_("Enter a whole URL, e.g. https://example.gov.cn/hooks.")) from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationError(_("Leave the user name and password out of the URL."))
    if parts.fragment:
        raise ValidationError(_("Leave the “#…” part out of the URL."))
    url = _ascii(parts)
    if len(url) > WEBHOOK_URL_MAX_LENGTH:
        raise ValidationError(
            _("The URL is too long (at most %(max)d characters).") % {"max": WEBHOOK_URL_MAX_LENGTH}
        )
    return url


def _ascii(parts) -> str:
    """The URL as it goes on the wire: a Chinese host name in IDNA (例子.中国 →
    xn--fsqu00a.xn--fiqs8s), a Chinese path or query percent-encoded."""
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(_("Enter a whole URL, e.g. https://example.gov.cn/hooks.")) from None
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, iri_to_uri(parts.path), iri_to_uri(parts.query), ""))


def validate_event_types(event_types) -> list[str]:
    chosen = sorted(set(event_types or []))
    if not chosen:
        raise ValidationError(_("Choose at least one event."))
    unknown = [kind for kind in chosen if kind not in WebhookEvent.values]
    if unknown:
        raise ValidationError(_("Unknown event: %(event)s.") % {"event": ", ".join(unknown)})
    return chosen


def _check_url_free(client: ApiClient, url: str, exclude: int | None = None) -> None:
    taken = WebhookSubscription.objects.filter(client=client, url=url).exclude(pk=exclude or 0)
    if taken.exists():
        raise ValidationError(_("This client has a subscription for this URL already."))


@transaction.atomic
def subscription_create(
    *, client: ApiClient, url: str, event_types: list[str]
) -> WebhookSubscription:
    url = validate_webhook_url(url)
    event_types = validate_event_types(event_types)
    _check_url_free(client, url)
    return WebhookSubscription.objects.create(
        client=client, url=url, event_types=event_types, secret=new_webhook_secret()
    )


@transaction.atomic
def subscription_update(
    *, subscription_id: int, url: str | None = None, event_types: list[str] | None = None
) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    fields = []
    if url is not None:
        subscription.url = validate_webhook_url(url)
        _check_url_free(subscription.client, subscription.url, exclude=subscription.pk)
        fields.append("url")
    if event_types is not None:
        subscription.event_types = validate_event_types(event_types)
        fields.append("event_types")
    if fields:
        subscription.save(update_fields=fields)
    return subscription


@transaction.atomic
def subscription_rotate_secret(*, subscription_id: int) -> WebhookSubscription:
    """A new signing secret, used from the next attempt on (the old one stops at once)."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    subscription.secret = new_webhook_secret()
    subscription.save(update_fields=["secret"])
    return subscription


@transaction.atomic
def subscription_enable(*, subscription_id: int) -> bool:
    """Enable a disabled subscription; its waiting deliveries go out at once. False if it
    was enabled."""
    now = timezone.now()
    changed = WebhookSubscription.objects.filter(
        pk=subscription_id, disabled_at__isnull=False
    ).update(disabled_at=None, disabled_reason="", consecutive_failures=0)
    if not changed:
        return False
    waiting = list(
        WebhookDelivery.objects.filter(
            subscription_id=subscription_id, state__in=[State.PENDING, State.SENDING]
        ).values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=waiting, state=State.PENDING).update(
        next_attempt_at=now + sending.requeue_after()
    )
    transaction.on_commit(lambda: sending.enqueue([(str(pk), subscription_id) for pk in waiting]))
    return True


@transaction.atomic
def subscription_disable(*, subscription_id: int, reason: str) -> bool:
    """Stop sending to a subscription (the office's or the client's choice)."""
    return bool(
        WebhookSubscription.objects.filter(pk=subscription_id, disabled_at__isnull=True).update(
            disabled_at=timezone.now(), disabled_reason=reason[:300]
        )
    )


@transaction.atomic
def subscription_delete(*, subscription_id: int) -> None:
    """Remove a subscription and its deliveries' log."""
    WebhookSubscription.objects.filter(pk=subscription_id).delete()


@transaction.atomic
def delivery_send_again(*, delivery_id) -> bool:
    """A delivered or failed delivery goes out again, with the same delivery id (a receiver
    that had it already recognises it), after a fresh round of attempts. False if it is
    still waiting to be sent."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.filter(
        pk=delivery_id, state__in=[State.DELIVERED, State.FAILED]
    )
    changed = delivery.update(
        state=State.PENDING, attempts=0, next_attempt_at=now + sending.requeue_after()
    )
    if not changed:
        return False
    subscription_id = (
        WebhookDelivery.objects.filter(pk=delivery_id).values_list("subscription_id", flat=True)
    ).first()
    transaction.on_commit(lambda: sending.enqueue([(str(delivery_id), subscription_id)]))
    return True
