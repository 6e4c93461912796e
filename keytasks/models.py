"""Leader-led key tasks (重点难点工作): the year's difficult tasks, tracked to the end.

A key task is led by one district leader, answered for by a lead department and
supporting departments, and broken into milestones. Departments append progress
reports (never edited, like problem events). The status moves with the reports and
the milestones: the first report starts a task (on track), an overdue milestone flags
it at risk or behind (keytasks.deadlines), the office or its leader marks it done.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.models import Department
from liaison.validators import FIRST_DATE, LAST_DATE, validate_date_window

# How long the texts of key tasks may be (characters; titles are 200): far more than anyone
# writes. The models check them (and so the admin), and the forms (keytasks.forms).
DESCRIPTION_MAX_LENGTH = 5000  # a task's description
TARGET_MAX_LENGTH = 2000  # what "done" means
EVIDENCE_MAX_LENGTH = 2000  # a milestone's evidence
REPORT_MAX_LENGTH = 5000  # a progress report


class KeyTask(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        ON_TRACK = "on_track", _("On track")
        AT_RISK = "at_risk", _("At risk")
        BEHIND = "behind", _("Behind")
        DONE = "done", _("Done")

    year = models.PositiveSmallIntegerField(
        _("year"),
        validators=[MinValueValidator(FIRST_DATE.year), MaxValueValidator(LAST_DATE.year)],
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("description"), blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    target = models.TextField(
        _("target"),
        help_text=_("What “done” means."),
        validators=[MaxLengthValidator(TARGET_MAX_LENGTH)],
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leading district leader"),
        on_delete=models.PROTECT,
        related_name="key_tasks",
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        related_name="led_key_tasks",
    )
    supporting_departments = models.ManyToManyField(
        Department,
        verbose_name=_("supporting departments"),
        related_name="supported_key_tasks",
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED
    )
    # The percent of the latest progress report (0 before any).
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    problems = models.ManyToManyField(
        "issues.Problem", verbose_name=_("problems"), related_name="key_tasks", blank=True
    )
    coordination_meetings = models.ManyToManyField(
        "meetings.CoordinationMeeting",
        verbose_name=_("coordination meetings"),
        related_name="key_tasks",
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # Bumped by every change a person makes: a form carries the version it was rendered with.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("key task")
        verbose_name_plural = _("key tasks")
        ordering = ["-year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="keytask_number_per_year"),
            models.CheckConstraint(condition=Q(number__gte=1), name="keytask_number_positive"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="keytask_percent_max_100"),
            models.CheckConstraint(
                condition=Q(status="done", done_at__isnull=False) | ~Q(status="done"),
                name="keytask_done_has_time",
            ),
        ]
        indexes = [models.Index(fields=["leader", "year"], name="keytask_leader_year")]

    def __str__(self) -> str:
        return f"{self.year}-{self.number:02d} {self.title}"


class Milestone(models.Model):
    task = models.ForeignKey(
        KeyTask, verbose_name=_("key task"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("milestone"), max_length=200)
    due_date = models.DateField(_("due date"), validators=[validate_date_window])
    done_date = models.DateField(
        _("done on"), null=True, blank=True, validators=[validate_date_window]
    )
    evidence = models.TextField(
        _("evidence"), blank=True, validators=[MaxLengthValidator(EVIDENCE_MAX_LENGTH)]
    )
    # Who marked it done, and when: a second person ticking it is told, not let overwrite.
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_recorded_at = models.DateTimeField(_("marked done at"), null=True, blank=True)
    # Set by the sweep (keytasks.deadlines) when the milestone passed its due date undone
    # (the task at risk), and when it stayed undone long enough to put the task behind.
    flagged_at = models.DateTimeField(null=True, blank=True)
    behind_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_date", "id"]
        indexes = [
            # Exactly the milestones the sweep may still act on.
            models.Index(
                fields=["due_date"],
                condition=Q(done_date__isnull=True, behind_at__isnull=True),
                name="milestone_sweep_due",
            ),
            models.Index(fields=["task", "due_date"], name="milestone_task_due"),
        ]

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    """One department's progress report on a key task. Append-only."""

    task = models.ForeignKey(
        KeyTask, verbose_name=_("key task"), on_delete=models.CASCADE, related_name="reports"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    text = models.TextField(_("progress"), validators=[MaxLengthValidator(REPORT_MAX_LENGTH)])
    percent = models.PositiveSmallIntegerField(_("progress (%)"))

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["reported_at", "id"]
        indexes = [models.Index(fields=["task", "reported_at"], name="report_task_time")]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="report_percent_max_100")
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.reported_at:%Y-%m-%d} {self.percent}%"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Progress reports are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Progress reports are append-only")


class ReportAttachment(models.Model):
    """A file sent with a progress report; checked and stored like problem attachments."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=80, unique=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Report attachments are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Report attachments are append-only")
