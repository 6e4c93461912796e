"""API clients: another system's key to Liaison's REST API (issue 14).

A client acts as a service account of its own (`user`): a user with a Profile whose role
and department or enterprise are the client's binding, and no password. Every request a
client makes goes through the same selectors and workflow checks as that user would in
the browser, so the API can never see or do more than the web pages allow. Its `scopes`
narrow further what it may call.

The key is shown once when the office creates the client; only its SHA-256 is stored
(the key is 32 random bytes, so a slow hash adds nothing). `prefix` finds the row.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.models import Department, Enterprise

KEY_PREFIX = "lia"


class Binding(models.TextChoices):
    DISTRICT = "district", _("The whole district (as the liaison office)")
    DEPARTMENT = "department", _("One department (as its staff)")
    ENTERPRISE = "enterprise", _("One enterprise (as its user)")


class Scope(models.TextChoices):
    PROBLEMS_READ = "problems:read", _("Read problems and their timelines")
    PROBLEMS_WRITE = "problems:write", _("Submit problems (on an enterprise's behalf)")
    PROBLEMS_HANDLE = (
        "problems:handle",
        _("Handle problems: acknowledge, progress, answer, request an extension"),
    )
    ENTERPRISES_READ = "enterprises:read", _("Read enterprises")
    ENTERPRISES_WRITE = "enterprises:write", _("Create and update enterprises")
    MEETINGS_READ = "meetings:read", _("Read meetings")
    FIGURES_READ = "figures:read", _("Read the dashboard's figures")
    WEBHOOKS = "webhooks", _("Receive webhooks")


class ApiClientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiClient(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.CharField(
        _("contact"),
        max_length=200,
        help_text=_("Who runs the other system: a name and a phone number or e-mail."),
    )
    binding = models.CharField(_("acts for"), max_length=12, choices=Binding.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_clients",
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_clients",
    )
    scopes = models.JSONField(_("scopes"), default=list)
    rate_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=120,
        help_text=_("Beyond this the client is told to wait (HTTP 429 with Retry-After)."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(binding=Binding.DISTRICT, department__isnull=True, enterprise__isnull=True)
                    | Q(
                        binding=Binding.DEPARTMENT,
                        department__isnull=False,
                        enterprise__isnull=True,
                    )
                    | Q(
                        binding=Binding.ENTERPRISE,
                        department__isnull=True,
                        enterprise__isnull=False,
                    )
                ),
                name="apiclient_binding_matches",
            ),
            models.CheckConstraint(
                condition=Q(rate_per_minute__gte=1, rate_per_minute__lte=6000),
                name="apiclient_rate_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    @property
    def receives_webhooks(self) -> bool:
        return self.has_scope(Scope.WEBHOOKS)

    def scope_labels(self) -> list[str]:
        labels = dict(Scope.choices)
        return [str(labels.get(scope, scope)) for scope in self.scopes or []]


def new_key() -> tuple[str, str, str]:
    """(the whole key, its prefix, its hash): `lia_<prefix>_<secret>`."""
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def prefix_of(key: str) -> str | None:
    """The key's prefix (hex digits, as new_key makes them), or None: anything else (a NUL
    byte, which PostgreSQL refuses in a query's text, or other stray characters) names no
    client and never reaches the database."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not 0 < len(parts[1]) <= 16:
        return None
    if not all(c in "0123456789abcdef" for c in parts[1]):
        return None
    return parts[1]


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a client sent with a create, and what it created.

    The same key again from the same client answers with the same object instead of
    creating another; the same key with a different body is refused (HTTP 409).
    """

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    object_type = models.CharField(max_length=30)
    object_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotencykey_once"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"


# --- webhooks ------------------------------------------------------------------------------


class WebhookEvent(models.TextChoices):
    """The problem events a client may subscribe to (issue 14 §2), named as sent."""

    DISPATCHED = "problem.dispatched", _("Problem dispatched")
    ACKNOWLEDGED = "problem.acknowledged", _("Problem acknowledged")
    RESOLVED = "problem.resolved", _("Problem answered")
    CLOSED = "problem.closed", _("Problem concluded")
    REOPENED = "problem.reopened", _("Problem reopened")
    ESCALATED = "problem.escalated", _("Problem escalated")
    EXTENSION_DECIDED = "problem.extension_decided", _("Extension decided")
    MEETING_HELD = "problem.meeting_held", _("Face-to-face meeting held (the clock starts)")


WEBHOOK_URL_MAX_LENGTH = 500


class WebhookSubscription(models.Model):
    """A client's URL and the events it is sent there, signed with `secret`.

    Disabled (`disabled_at`) when a delivery failed for good after all its attempts; the
    office is told and may enable it again. Events recorded while it is disabled are not
    sent to it.
    """

    client = models.ForeignKey(
        ApiClient,
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    url = models.URLField(_("URL"), max_length=WEBHOOK_URL_MAX_LENGTH)
    event_types = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=80, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    # Attempts that failed since the last success (any delivery of this subscription).
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["client", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "url"], name="webhooksubscription_url_once")
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.url}"

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def event_labels(self) -> list[str]:
        labels = dict(WebhookEvent.choices)
        return [str(labels.get(kind, kind)) for kind in self.event_types or []]


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookDelivery(models.Model):
    """The webhooks' outbox: one event for one subscription, written with the event.

    `id` is the delivery id the receiver deduplicates on (X-Liaison-Delivery), the same at
    every attempt. `body` is the JSON sent, fixed when the event was recorded. As in the
    e-mail outbox (notifications.Notification), the row holds its own schedule: pending
    until a worker claims it (sending, for a lease), delivered, or failed after its last
    attempt; `next_attempt_at` is when the periodic requeue hands it over again.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        # Served by the unique (subscription, event) constraint's index.
        db_index=False,
    )
    event = models.ForeignKey(
        # issues sits below api: a reference by name, as the notifications outbox does.
        "issues.ProblemEvent",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    body = models.TextField()
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Never doubled: one delivery per event and subscription (ON CONFLICT DO NOTHING).
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhookdelivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sending", "delivered", "failed"]),
                name="webhookdelivery_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["pending", "sending"]) | Q(next_attempt_at__isnull=False),
                name="webhookdelivery_unsettled_has_next_attempt",
            ),
        ]
        indexes = [
            # The requeue's queue: only the rows still to send, by due time.
            models.Index(
                fields=["next_attempt_at"],
                name="webhookdelivery_unsettled",
                condition=Q(state__in=["pending", "sending"]),
            ),
            # The office's log: newest first, per subscription, per state.
            models.Index(fields=["-created_at"], name="webhookdelivery_created"),
            models.Index(
                fields=["-created_at"],
                name="webhookdelivery_failed",
                condition=Q(state="failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One try of a delivery: when, what the receiver answered (code, the start of its
    body) or what went wrong, and how long it took. The office's log shows them."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", db_index=False
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("time"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response = models.CharField(_("response"), max_length=1000, blank=True)
    error = models.CharField(_("error"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number", "pk"]
        indexes = [models.Index(fields=["delivery", "number"], name="webhookattempt_delivery")]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
