"""What is attached to a problem while it is handled: files, extension requests and
call-backs (one pending extension request per problem, enforced by the database)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .events import ProblemEvent
from .problem import Problem
from .vocabulary import Satisfaction


class Attachment(models.Model):
    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="attachments"
    )
    event = models.ForeignKey(
        ProblemEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=80, unique=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    is_public = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["problem", "uploaded_at"], name="attachment_problem")]

    def __str__(self) -> str:
        return self.original_name


class ExtensionRequest(models.Model):
    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="extensions"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.TextField(_("reason"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=10), name="extension_days_range"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["pending", "approved", "denied"]),
                name="extension_decision_valid",
            ),
            models.UniqueConstraint(
                fields=["problem"],
                condition=Q(decision="pending"),
                name="extension_one_pending_per_problem",
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                name="extension_pending",
                condition=Q(decision="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} +{self.days}"


class CallBack(models.Model):
    """The office's telephone call-back (回访) to the enterprise about an answered problem.

    On a problem answered and not yet evaluated, a reached call-back records the
    enterprise's evaluation (issues.workflow.callback_record); on a problem already
    evaluated (the queue's sample) it is a check: what was said is kept, the enterprise's
    own evaluation is not changed. An unsatisfied evaluation waits for the office's review.
    """

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NOT_REACHED = "not_reached", _("Not reached")

    class Review(models.TextChoices):
        NONE = "", _("No review needed")
        PENDING = "pending", _("Awaiting review")
        REOPENED = "reopened", _("Reopened")
        CLOSED = "closed", _("Closed with a reason")

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="callbacks"
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    called_at = models.DateTimeField(_("called at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=15, choices=Satisfaction.choices, blank=True
    )
    said = models.TextField(_("what was said"), blank=True)
    # A call-back on a problem the enterprise had already evaluated (the queue's sample).
    is_check = models.BooleanField(_("check of an evaluation"), default=False)
    review = models.CharField(
        _("review"), max_length=10, choices=Review.choices, blank=True, default=""
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.TextField(_("review reason"), blank=True)

    class Meta:
        verbose_name = _("call-back")
        verbose_name_plural = _("call-backs")
        ordering = ["-called_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["reached", "not_reached"]), name="callback_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(review__in=["", "pending", "reopened", "closed"]),
                name="callback_review_valid",
            ),
            # Not reached: nothing was evaluated.
            models.CheckConstraint(
                condition=Q(outcome="reached") | Q(satisfaction=""),
                name="callback_not_reached_no_satisfaction",
            ),
            models.CheckConstraint(
                condition=~Q(review="closed") | ~Q(review_reason=""),
                name="callback_closed_has_reason",
            ),
            # One unsatisfied call-back waiting for review per problem.
            models.UniqueConstraint(
                fields=["problem"],
                condition=Q(review="pending"),
                name="callback_one_pending_review",
            ),
        ]
        indexes = [
            models.Index(fields=["problem", "-called_at"], name="callback_problem"),
            models.Index(
                fields=["called_at"], name="callback_pending", condition=Q(review="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.outcome} {self.called_at:%Y-%m-%d}"
