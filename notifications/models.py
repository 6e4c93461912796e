"""The outbox: one message to one person on one channel."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """The outbox: one message to one person on one channel, written with its event.

    In-app messages are delivered by being written. An e-mail or SMS is pending until a
    delivery task claims it (`sending`, for a lease) and sends it; a failed attempt
    makes it pending again with a later `next_attempt_at`, the last one `failed`. The
    row, not the broker, holds the retry schedule: a periodic task hands every row
    whose time has come to a worker, so nothing waits on a message Redis may lose.
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In the app")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent")

    # The sweep writes tens of thousands of rows at once: no single-column index on the
    # foreign keys, whose lookups the composite indexes below already serve.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=30)
    event = models.ForeignKey(
        # Rows about a problem's event name it (issues sits above: a reference, not an import).
        "issues.ProblemEvent",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,
    )
    problem = models.ForeignKey(
        "issues.Problem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,
    )
    # For messages not tied to one event (the daily digest): once per key and person.
    dedupe_key = models.CharField(max_length=60, blank=True, default="")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    body_html = models.TextField(blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Pending: when the periodic requeue hands the row to a worker (its backoff ended, or
    # the task queued with it has not started by then). Sending: when the claim lapses
    # (the worker died mid-send) and the row is due again. None once it is settled.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "channel"],
                condition=Q(event__isnull=False),
                name="notification_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["recipient", "channel", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_key",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["in_app", "email", "sms"]),
                name="notification_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sending", "sent", "failed", "skipped"]),
                name="notification_state_valid",
            ),
            # Nothing waits without a time at which the requeue takes it up again.
            models.CheckConstraint(
                condition=~Q(state__in=["pending", "sending"]) | Q(next_attempt_at__isnull=False),
                name="notification_unsettled_has_next_attempt",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_inbox",
                condition=Q(channel="in_app"),
            ),
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=Q(channel="in_app", read_at__isnull=True),
            ),
            # The requeue's rows (pending or being sent, by due time) and the outbox page's.
            models.Index(
                fields=["next_attempt_at"],
                name="notification_unsettled",
                condition=Q(state__in=["pending", "sending"]),
            ),
            models.Index(
                fields=["created_at"],
                name="notification_failed",
                condition=Q(state="failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.channel} {self.subject}"
