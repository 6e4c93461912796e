"""The dashboard's summary: counts by month and filter keys, and when they were refreshed."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class _Counts(models.Model):
    """The counts a summary row holds (the figures of dashboard.figures.COUNT_NAMES)."""

    # Every problem of the row, merged ones too: whether a group has any problem once
    # rows are subtracted (dashboard.cells.period_parts); not a figure shown.
    problems = models.PositiveIntegerField(default=0)
    # The counts of issues.metrics.totals() and dashboard.figures.ESCALATED_NOW.
    received = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    concluded = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    evaluated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    evaluated_by_callback = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    # Enterprises affected (issues.metrics.AFFECTED): a merged group counts once above,
    # once per enterprise here.
    affected = models.PositiveIntegerField(default=0)
    # Handling time (issues.metrics.handling_time): answered problems and their working
    # days summed; signed, as a problem answered before its clock started counts negative.
    handling_count = models.PositiveIntegerField(default=0)
    handling_days = models.IntegerField(default=0)

    class Meta:
        abstract = True


class _CellCounts(_Counts):
    """The filter keys and counts a summary cell holds, whatever its period (a month, a day).

    The keys are plain integers with 0 for "none" (not foreign keys with NULL), so that the
    unique constraints hold on every database; a cell is deleted and rebuilt with its
    month, never edited.
    """

    lead_department_id = models.PositiveIntegerField(default=0)
    category_id = models.PositiveIntegerField()
    # The enterprise's town or street when the cell was built.
    town_id = models.PositiveIntegerField(default=0)
    meeting_id = models.PositiveIntegerField(default=0)
    # The dashboard's leader filter is the responsible leader (issues.filters): so is the key.
    responsible_leader_id = models.PositiveIntegerField(default=0)
    # The problem's appeal type (issues.models.AppealType, 诉求类型): figures by type.
    appeal_type = models.CharField(max_length=12, default="request")

    class Meta:
        abstract = True


_KEY_FIELDS = [
    "lead_department_id",
    "category_id",
    "town_id",
    "meeting_id",
    "responsible_leader_id",
    "appeal_type",
]


class DashboardCell(_CellCounts):
    """The dashboard's counts for one month received and one combination of its filter keys.

    Derived data, rebuilt by dashboard.summary.dashboard_refresh: the dashboard sums these
    rows instead of a year of problems.
    """

    month = models.DateField(_("month received"))

    class Meta:
        verbose_name = _("dashboard cell")
        verbose_name_plural = _("dashboard cells")
        constraints = [
            models.UniqueConstraint(
                fields=["month", *_KEY_FIELDS], name="dashboardcell_one_per_key"
            )
        ]
        indexes = [
            # A department head's dashboard and the department filter.
            models.Index(fields=["lead_department_id", "month"], name="dashboardcell_department"),
            # The other single-key filters: each reads only its key's cells, not every cell
            # of the period (the unique constraint's index starts with the month). None on
            # appeal_type: four values, a quarter of the cells each, a scan reads as fast.
            models.Index(fields=["category_id", "month"], name="dashboardcell_category"),
            models.Index(fields=["town_id", "month"], name="dashboardcell_town"),
            models.Index(fields=["meeting_id", "month"], name="dashboardcell_meeting"),
            models.Index(fields=["responsible_leader_id", "month"], name="dashboardcell_leader"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.lead_department_id}/{self.category_id}: {self.received}"


class DashboardDayCell(_CellCounts):
    """The same counts for one day received: the days of a period's partial months.

    Built with its month's DashboardCell rows (whose counts are the sums of these) from the
    same read, so a month's cells minus some of its day cells are the other days exactly.
    """

    day = models.DateField(_("day received"))
    month = models.DateField(_("month received"))

    class Meta:
        verbose_name = _("dashboard day cell")
        verbose_name_plural = _("dashboard day cells")
        constraints = [
            models.UniqueConstraint(
                fields=["day", *_KEY_FIELDS], name="dashboarddaycell_one_per_key"
            )
        ]
        # The unique constraint's index (day first) serves every read and delete, which
        # are by days; no other index, so that writing a month's day cells stays cheap.

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.lead_department_id}/{self.category_id}: {self.received}"


class DashboardTotal(_Counts):
    """The dashboard's counts by one dimension alone, for a day or a month: what the page
    shows when no filter is chosen, a few dozen rows a day instead of the cells.

    `dimension` is the index of the dimension in dashboard.cells' CELL_DIMENSIONS and
    `key` its value as text (an id, "0" for none, an appeal type, or the month). Rebuilt
    with the cells (dashboard.summary), from the same read.

    `scope` is "" for every problem, or one filter ("column=value", a key column of the
    cells with a value other than none): the same totals of that filter's problems alone,
    so that a page with one filter (a department head's page) reads a few dozen rows a
    day too, not its filter's cells (nearly every cell for the appeal type "request").
    """

    month = models.DateField(_("month received"))
    # None: the month's totals; else one day's.
    day = models.DateField(_("day received"), null=True, blank=True)
    scope = models.CharField(max_length=40, default="")
    dimension = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=12)

    class Meta:
        verbose_name = _("dashboard total")
        verbose_name_plural = _("dashboard totals")
        indexes = [
            # The refresh's deletes: a month's totals, or some of its days'.
            models.Index(fields=["month", "day"], name="dashboardtotal_month"),
            # The page's reads: one scope's month totals (day IS NULL) or days.
            models.Index(fields=["scope", "day", "month"], name="dashboardtotal_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.day or self.month} {self.dimension}={self.key}: {self.received}"


class DashboardRefresh(models.Model):
    """One row: when the dashboard cells were last brought up to date, and last rebuilt."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    # The "now" the cells' overdue counts were computed at; changes after it are pending.
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    full_at = models.DateTimeField(_("last full rebuild"), null=True, blank=True)

    class Meta:
        verbose_name = _("dashboard refresh")
        verbose_name_plural = _("dashboard refreshes")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="dashboardrefresh_singleton")]

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M}" if self.refreshed_at else "-"


# The monthly bulletin's models live in their own module (dashboard.bulletin).
from .assessment.models import (  # noqa: E402,F401  (the assessment's models, in its package)
    AssessmentLog,
    AssessmentMonth,
    AssessmentRow,
    AssessmentScheme,
    ProvisionalMonth,
    ProvisionalRow,
)
from .bulletin.models import Bulletin, BulletinThresholds  # noqa: E402, F401
