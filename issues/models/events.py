"""One entry of a problem's timeline: append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from .problem import Problem
from .vocabulary import EventKind, Status

# The kinds' labels (lazy: translated when read), built once. Django's get_FOO_display
# builds this dict again at every call: with ~50 kinds, a problem page's timeline spent
# ~8% of the page's CPU on it.
_KIND_LABELS = dict(EventKind.choices)


class ProblemEvent(models.Model):
    """One entry of a problem's timeline. Append-only: never edited, never deleted."""

    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem"),
        on_delete=models.CASCADE,
        related_name="events",
        # Served by a composite index that starts with this column (Meta.indexes).
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=24, choices=EventKind.choices)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    text = models.TextField(_("text"), blank=True)
    is_public = models.BooleanField(_("visible to the enterprise"), default=True)
    data = models.JSONField(default=dict, blank=True)
    # Set on events that must happen at most once (warnings, escalations, reminders):
    # the unique constraint is the backstop behind the sweep's conditional claims.
    dedupe_key = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["problem", "created_at"], name="event_problem_created"),
            # A problem's first acknowledgement (issues.metrics.with_acknowledged_at, a
            # subquery per problem when the assessment counts a month): read from the index
            # alone, without visiting the problem's other events.
            models.Index(
                fields=["problem", "created_at"],
                name="event_acknowledged",
                condition=Q(kind=EventKind.ACKNOWLEDGED),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="event_once_per_dedupe_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Problem events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Problem events are append-only")

    def get_kind_display(self) -> str:
        """The kind's label, as Django's get_kind_display gives it (the value if unknown)."""
        return force_str(_KIND_LABELS.get(self.kind, self.kind), strings_only=True)
