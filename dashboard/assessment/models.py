"""The assessment's data: the year's weighting schemes (versions kept), frozen months, their
rows (one per lead department) and the log of freezes and recalculations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# The indicators a scheme weighs, in the order the pages show them: (key, label).
INDICATORS = (
    ("acknowledged", _("Acknowledged within 1 working day")),
    ("on_time", _("Concluded on time")),
    ("satisfaction_self", _("Satisfaction (enterprise's own evaluation)")),
    ("satisfaction_callback", _("Satisfaction (call-back)")),
    ("reopen", _("Not reopened")),
    ("overdue", _("Not overdue")),
    ("extension", _("Without extension")),
)
INDICATOR_KEYS = tuple(key for key, _label in INDICATORS)
# The weights used while the office has saved no scheme for a year (percent, sum 100).
DEFAULT_WEIGHTS = {
    "acknowledged": 15,
    "on_time": 30,
    "satisfaction_self": 20,
    "satisfaction_callback": 10,
    "reopen": 10,
    "overdue": 10,
    "extension": 5,
}


def weight_field(label):
    return models.PositiveSmallIntegerField(label, default=0)


class AssessmentScheme(models.Model):
    """The weights of a year's assessment (percent of the score each indicator carries).

    Never edited: saving new weights adds the next version; a month is scored with the
    year's latest version when it is frozen or recalculated, and keeps its number.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveIntegerField(_("version"))
    w_acknowledged = weight_field(_("Acknowledged within 1 working day"))
    w_on_time = weight_field(_("Concluded on time"))
    w_satisfaction_self = weight_field(_("Satisfaction (enterprise's own evaluation)"))
    w_satisfaction_callback = weight_field(_("Satisfaction (call-back)"))
    w_reopen = weight_field(_("Not reopened"))
    w_overdue = weight_field(_("Not overdue"))
    w_extension = weight_field(_("Without extension"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved at"))

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="assessmentscheme_version"),
            # The weights sum to 100 (percent); services.scheme_create says so in words.
            models.CheckConstraint(
                condition=Q(
                    w_acknowledged=100
                    - F("w_on_time")
                    - F("w_satisfaction_self")
                    - F("w_satisfaction_callback")
                    - F("w_reopen")
                    - F("w_overdue")
                    - F("w_extension")
                ),
                name="assessmentscheme_weights_sum_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"

    @property
    def weights(self) -> dict[str, int]:
        return {key: getattr(self, f"w_{key}") for key in INDICATOR_KEYS}


class AssessmentMonth(models.Model):
    """A frozen month: its rows were computed at `computed_at` and stay as they are until
    the office recalculates them (explicitly, logged)."""

    month = models.DateField(_("month"), unique=True)
    scheme = models.ForeignKey(
        AssessmentScheme,
        verbose_name=_("scheme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The weights applied (the scheme's, or the defaults when the year had none).
    weights = models.JSONField(default=dict)
    computed_at = models.DateTimeField(_("figures as of"))
    frozen_at = models.DateTimeField(_("frozen at"))
    recalculated_at = models.DateTimeField(_("recalculated at"), null=True, blank=True)
    recalculated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recalculated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("frozen assessment month")
        verbose_name_plural = _("frozen assessment months")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="assessmentmonth_first_day")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class AssessmentCounts(models.Model):
    """The counts kept for one lead department and month (figures.COUNT_NAMES)."""

    accepted = models.PositiveIntegerField(default=0)
    acknowledge_due = models.PositiveIntegerField(default=0)
    acknowledged_in_time = models.PositiveIntegerField(default=0)
    concluded = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    evaluated_self = models.PositiveIntegerField(default=0)
    satisfied_self = models.PositiveIntegerField(default=0)
    evaluated_callback = models.PositiveIntegerField(default=0)
    satisfied_callback = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    extended = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class AssessmentRow(AssessmentCounts):
    """One lead department's counts, score and rank in a frozen month (problems received
    that month, as issues.metrics counts them)."""

    assessment = models.ForeignKey(AssessmentMonth, on_delete=models.CASCADE, related_name="rows")
    department = models.ForeignKey(
        "liaison.Department",
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("assessment row")
        verbose_name_plural = _("assessment rows")
        ordering = ["rank", "department_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "department"], name="assessmentrow_one_per_department"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessment} {self.department_id}: {self.score}"


class AssessmentLog(models.Model):
    """Append-only: each freeze and recalculation of a month, by whom, with which scheme."""

    class Kind(models.TextChoices):
        FROZEN = "frozen", _("Frozen")
        RECALCULATED = "recalculated", _("Recalculated")

    month = models.DateField(_("month"))
    kind = models.CharField(_("action"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"))
    scheme_version = models.PositiveIntegerField(null=True, blank=True)
    # Rows whose score or rank changed with a recalculation.
    changed_rows = models.PositiveIntegerField(default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("assessment log entry")
        verbose_name_plural = _("assessment log entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["month", "at"], name="assessmentlog_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Assessment log entries are append-only")
        super().save(*args, **kwargs)


class ProvisionalMonth(models.Model):
    """A month not frozen yet (this month; the last one until its freezing day), counted
    ahead of time so that its ranking page reads rows instead of counting every problem
    on every view. Derived data: replaced by each refresh (the beat task every
    LIAISON_ASSESSMENT_REFRESH_SECONDS), never published and never edited; freezing counts
    the month afresh and leaves this alone. Scores are not kept: the page weighs the
    counts with the year's latest scheme."""

    month = models.DateField(_("month"), unique=True)
    computed_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("provisional assessment month")
        verbose_name_plural = _("provisional assessment months")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="provisionalmonth_first_day")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} @ {self.computed_at:%Y-%m-%d %H:%M}"


class ProvisionalRow(AssessmentCounts):
    """One lead department's counts in a provisional month (ProvisionalMonth)."""

    snapshot = models.ForeignKey(ProvisionalMonth, on_delete=models.CASCADE, related_name="rows")
    # A department deleted meanwhile takes its provisional row with it (the next refresh
    # would drop it anyway); frozen rows protect theirs.
    department = models.ForeignKey(
        "liaison.Department",
        verbose_name=_("lead department"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        verbose_name = _("provisional assessment row")
        verbose_name_plural = _("provisional assessment rows")
        ordering = ["department_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "department"], name="provisionalrow_one_per_department"
            )
        ]

    def __str__(self) -> str:
        return f"{self.snapshot} {self.department_id}"
