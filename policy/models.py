"""Common problems (共性问题, 举一反三): a problem many enterprises share, answered by policy.

The office groups enterprises' problems into a common problem with a lead department and
a responsible leader, and tracks the policy response: measures and policy documents
(PolicyMeasure), milestones, and the status, each change on the common problem's
timeline (CommonProblemEvent, append-only). Published, it is shown to every enterprise
user under its published title and text only, never naming an enterprise; an
enterprise that says "this concerns us too" raises a problem of its own, linked here.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.models import Department, Enterprise
from liaison.validators import validate_date_window

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
PUBLISHED_TEXT_MAX_LENGTH = 5000
NOTE_MAX_LENGTH = 2000
URL_MAX_LENGTH = 500


class CommonProblem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("Policy in progress")
        ADDRESSED = "addressed", _("Addressed by policy")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(
        _("description"), validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    category = models.ForeignKey(
        "issues.Category",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="common_problems",
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        related_name="led_common_problems",
    )
    responsible_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible district leader"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="common_problems",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    problems = models.ManyToManyField(
        "issues.Problem",
        verbose_name=_("problems"),
        through="CommonProblemLink",
        related_name="common_problems",
        blank=True,
    )
    # What enterprises see once published: never an enterprise's name (the office is
    # warned when the text contains one).
    published = models.BooleanField(_("published"), default=False)
    published_title = models.CharField(
        _("published title"), max_length=TITLE_MAX_LENGTH, blank=True
    )
    published_text = models.TextField(
        _("published text"),
        blank=True,
        validators=[MaxLengthValidator(PUBLISHED_TEXT_MAX_LENGTH)],
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # Bumped by every change a person makes: a form carries the version it was rendered with.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("common problem")
        verbose_name_plural = _("common problems")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "in_progress", "addressed", "closed"]),
                name="policy_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(published=False)
                | (Q(published_at__isnull=False) & ~Q(published_title="")),
                name="policy_published_has_title_and_time",
            ),
        ]
        indexes = [
            models.Index(fields=["published", "-published_at"], name="policy_published"),
            models.Index(fields=["lead_department", "status"], name="policy_lead_status"),
        ]

    def __str__(self) -> str:
        return self.title


class CommonProblemLink(models.Model):
    """A problem grouped into a common problem: who linked it and when.

    `cosigned_by` is set when an enterprise said "this concerns us too" (the problem is
    the one that raised for it): once per enterprise and common problem.
    """

    common_problem = models.ForeignKey(
        CommonProblem, on_delete=models.CASCADE, related_name="links"
    )
    problem = models.ForeignKey(
        "issues.Problem", on_delete=models.PROTECT, related_name="common_problem_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    cosigned_by = models.ForeignKey(
        Enterprise,
        verbose_name=_("co-signed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("linked problem")
        verbose_name_plural = _("linked problems")
        ordering = ["linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["common_problem", "problem"], name="policy_link_once"),
            models.UniqueConstraint(
                fields=["common_problem", "cosigned_by"],
                condition=Q(cosigned_by__isnull=False),
                name="policy_cosign_once_per_enterprise",
            ),
        ]
        indexes = [models.Index(fields=["problem"], name="policy_link_problem")]

    def __str__(self) -> str:
        return f"{self.common_problem_id} ← {self.problem_id}"


class PolicyMeasure(models.Model):
    """A measure or policy document answering the common problem: a link or a file."""

    common_problem = models.ForeignKey(
        CommonProblem,
        verbose_name=_("common problem"),
        on_delete=models.CASCADE,
        related_name="measures",
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    issuing_body = models.CharField(_("issuing body"), max_length=200)
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"), validators=[validate_date_window])
    url = models.URLField(
        _("link"),
        max_length=URL_MAX_LENGTH,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    # A file, checked and stored like problem attachments (issues.attachments).
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    stored_name = models.CharField(max_length=80, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments involved"),
        related_name="policy_measures",
        blank=True,
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("policy measure")
        verbose_name_plural = _("policy measures")
        ordering = ["issued_on", "pk"]

    def __str__(self) -> str:
        return self.title


class PolicyMilestone(models.Model):
    common_problem = models.ForeignKey(
        CommonProblem,
        verbose_name=_("common problem"),
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    title = models.CharField(_("milestone"), max_length=TITLE_MAX_LENGTH)
    due_date = models.DateField(_("due date"), validators=[validate_date_window])
    done_date = models.DateField(
        _("done on"), null=True, blank=True, validators=[validate_date_window]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("policy milestone")
        verbose_name_plural = _("policy milestones")
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title


class CommonProblemEvent(models.Model):
    """The common problem's timeline: append-only."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        LINKED = "linked", _("Problem linked")
        UNLINKED = "unlinked", _("Problem unlinked")
        COSIGNED = "cosigned", _("An enterprise said it concerns it too")
        MEASURE = "measure", _("Measure added")
        MILESTONE = "milestone", _("Milestone added")
        MILESTONE_DONE = "milestone_done", _("Milestone done")
        PUBLISHED = "published", _("Published to enterprises")
        UNPUBLISHED = "unpublished", _("Withdrawn from enterprises")
        EDITED = "edited", _("Edited")

    common_problem = models.ForeignKey(
        CommonProblem, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("what"), max_length=16, choices=Kind.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("common problem event")
        verbose_name_plural = _("common problem events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["common_problem", "at"], name="policy_event_time")]

    def __str__(self) -> str:
        return f"{self.common_problem_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Common problem events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Common problem events are append-only")

    def get_from_status_display(self) -> str:
        return CommonProblem.Status(self.from_status).label if self.from_status else ""

    def get_to_status_display(self) -> str:
        return CommonProblem.Status(self.to_status).label if self.to_status else ""
