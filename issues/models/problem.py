"""A problem raised by an enterprise, its category and its reference numbers.

Only `issues.workflow` writes `Problem.status`; the database enforces the invariants
that must hold whatever code runs (valid states, a dispatched problem has a lead
department and a deadline, ...).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from liaison.models import Department, Enterprise

from .vocabulary import (
    ACCEPTED_STATUSES,
    CONCLUDED_STATUSES,
    DEFAULT_APPEAL_TYPE,
    OPEN_STATUSES,
    UNFINISHED_STATUSES,
    AppealType,
    Channel,
    EvaluationSource,
    Satisfaction,
    Status,
)


class Category(models.Model):
    name_zh = models.CharField(_("name (Chinese)"), max_length=50, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    default_lead_department = models.ForeignKey(
        Department,
        verbose_name=_("default lead department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="default_for_categories",
    )
    display_order = models.PositiveIntegerField(_("display order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["display_order", "name_zh"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = get_language() or "zh-hans"
        return self.name_zh if language.startswith("zh") else (self.name_en or self.name_zh)


# The problem's district leader (DESIGN.md §5), for a set of problems: the responsible
# leader if the office named one, else the lead department's supervising leader (a user
# id, or NULL). `Problem.district_leader` is the same rule for one loaded problem.
DISTRICT_LEADER = Coalesce("responsible_leader", "lead_department__supervising_leader")
# What to select_related so that `Problem.district_leader` costs no query.
DISTRICT_LEADER_RELATIONS = ("responsible_leader", "lead_department__supervising_leader")


class ReferenceCounter(models.Model):
    """The last reference number handed out per year; locked while a problem is numbered."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Problem(models.Model):
    reference = models.CharField(_("reference"), max_length=12, unique=True)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="problems",
        # Served by a composite index that starts with this column (Meta.indexes).
        db_index=False,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="submitted_problems",
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    # The other system's own number for the problem (API clients; issue 14): one problem
    # per reference per submitter, so sending the same appeal again creates nothing.
    external_reference = models.CharField(
        _("external reference"), max_length=64, blank=True, default=""
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    # The office's classification (DESIGN.md §1, 诉求类型): chosen at triage, changeable
    # later (an internal timeline event); the submission's own choice until then.
    appeal_type = models.CharField(
        _("appeal type"),
        max_length=12,
        choices=AppealType.choices,
        default=DEFAULT_APPEAL_TYPE,
    )
    # What the enterprise (or whoever registered the problem) suggested; blank: none.
    suggested_appeal_type = models.CharField(
        _("suggested appeal type"),
        max_length=12,
        choices=AppealType.choices,
        blank=True,
        default="",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="problems",
        # Served by a composite index that starts with this column (Meta.indexes).
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_problems",
        # Served by a composite index that starts with this column (Meta.indexes).
        db_index=False,
    )
    co_departments = models.ManyToManyField(
        Department,
        verbose_name=_("co-departments"),
        blank=True,
        related_name="co_problems",
    )
    responsible_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible district leader"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsible_problems",
        # Served by a composite index that starts with this column (Meta.indexes).
        db_index=False,
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_problems",
    )
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # Bumped by every transition: a form carries the version it was rendered with,
    # so an action from a stale page is refused instead of applied to a changed problem.
    version = models.PositiveIntegerField(default=1)
    # One key per rendered submit form: a double-submitted form creates one problem.
    # Unique per enterprise (Meta.constraints): another enterprise's key says nothing here.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)

    # Deadlines (DESIGN.md §5), stored so that lists and the sweep use indexes.
    clock_started_at = models.DateTimeField(_("clock started at"), null=True, blank=True)
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    original_due_at = models.DateTimeField(_("original deadline"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warning from"), null=True, blank=True)
    deadline_provisional = models.BooleanField(_("provisional deadline"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # Bumped whenever due_at moves (dispatch, approved extension, reopening, calendar
    # edit): warnings and escalations are keyed on it, so each happens once per deadline.
    deadline_version = models.PositiveIntegerField(default=0)
    # The revision of the working-day calendar (liaison.models.CalendarRevision) the
    # stored times below were computed with: the sweep acts only on problems of the
    # revision in force; the others are recomputed first (issues.deadlines).
    calendar_revision = models.PositiveIntegerField(default=0)
    # The deadline sweep's stored times (DESIGN.md §5), each with a partial index.
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalate_again_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    autoclose_at = models.DateTimeField(null=True, blank=True)

    first_resolved_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    last_resolved_at = models.DateTimeField(_("last answered at"), null=True, blank=True)
    # The deadline in force when the problem was first answered: "on time" compares to it.
    first_resolved_due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=15, choices=Satisfaction.choices, blank=True
    )
    # How `satisfaction` was obtained: the enterprise itself, the office's call-back (回访),
    # or nobody (auto-closed). Blank until then. The satisfaction figures count by it.
    evaluation_source = models.CharField(
        _("evaluation obtained"),
        max_length=10,
        choices=EvaluationSource.choices,
        blank=True,
        default="",
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    rejection_reason = models.TextField(_("reason not accepted"), blank=True)
    # The face-to-face meeting the problem was raised for (DESIGN.md §6): dispatched
    # before the meeting is held, its clock starts on the meeting's date.
    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("face-to-face meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
        # Served by a composite index that starts with this column (Meta.indexes).
        db_index=False,
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )

    # Merging shared problems (并单, issues.workflow.merging): this problem is handled as
    # part of `merged_into`, the main problem of another enterprise. It keeps its own
    # reference, enterprise and evaluation; its status, lead department and deadline
    # mirror the main problem's, which alone is swept, escalated and counted (DESIGN.md
    # §4, §7). Never a chain: a main problem is never merged itself.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_problems",
    )
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="problem_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="problem_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(appeal_type__in=AppealType.values),
                name="problem_appeal_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(suggested_appeal_type__in=[*AppealType.values, ""]),
                name="problem_suggested_appeal_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__in=[*Satisfaction.values, ""]),
                name="problem_satisfaction_valid",
            ),
            models.CheckConstraint(
                condition=Q(reference__regex=r"^[0-9]{4}-[0-9]{5}$"),
                name="problem_reference_format",
            ),
            # Accepted problems always have a lead department and a deadline, except one
            # dispatched for a face-to-face meeting not yet held: its clock waits.
            models.CheckConstraint(
                condition=~Q(status__in=ACCEPTED_STATUSES)
                | Q(
                    lead_department__isnull=False,
                    due_at__isnull=False,
                    original_due_at__isnull=False,
                )
                | Q(
                    status=Status.DISPATCHED,
                    lead_department__isnull=False,
                    meeting__isnull=False,
                    clock_started_at__isnull=True,
                    due_at__isnull=True,
                ),
                name="problem_accepted_has_lead_and_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=CONCLUDED_STATUSES)
                | Q(first_resolved_at__isnull=False, last_resolved_at__isnull=False),
                name="problem_concluded_has_resolved_at",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False),
                name="problem_closed_has_closed_at",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.REJECTED) | ~Q(rejection_reason=""),
                name="problem_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__lte=2), name="problem_escalation_level_range"
            ),
            models.UniqueConstraint(
                fields=["enterprise", "submission_key"], name="problem_form_key_per_enterprise"
            ),
            models.UniqueConstraint(
                fields=["submitted_by", "external_reference"],
                condition=~Q(external_reference=""),
                name="problem_external_reference_once",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | ~Q(duplicate_of=F("pk")),
                name="problem_not_duplicate_of_itself",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | ~Q(merged_into=F("pk")),
                name="problem_not_merged_into_itself",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True, merged_at__isnull=True)
                | Q(merged_into__isnull=False, merged_at__isnull=False),
                name="problem_merged_has_time",
            ),
        ]
        indexes = [
            # Open problems by deadline: department lists and the deadline sweep.
            models.Index(
                fields=["due_at"],
                name="problem_open_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # The sweep's work queues (issues.deadlines): each partial index holds exactly
            # the rows a rule may still act on, so a sweep with nothing new reads nothing.
            models.Index(
                fields=["warn_at"],
                name="problem_open_unwarned",
                condition=Q(status__in=OPEN_STATUSES, warned_at__isnull=True),
            ),
            models.Index(
                fields=["due_at"],
                name="problem_open_unescalated",
                condition=Q(status__in=OPEN_STATUSES, escalated_at__isnull=True),
            ),
            models.Index(
                fields=["lead_department", "status", "due_at"], name="problem_dept_status_due"
            ),
            # The office's list narrowed to a department and a status, newest first: read
            # in order and stopped after a page, not sorted (issue 18).
            models.Index(
                fields=["lead_department", "status", "-created_at", "-id"],
                name="problem_dept_status_created",
            ),
            # Triage's two lists and their counts (the office's home page too): each
            # partial index holds exactly its rows, oldest first, so a page and a capped
            # count read a bounded part of it whatever the number of problems.
            models.Index(
                fields=["created_at", "id"],
                name="problem_triage_new",
                condition=Q(status=Status.SUBMITTED, clock_started_at__isnull=True),
            ),
            models.Index(
                fields=["created_at", "id"],
                name="problem_triage_returned",
                condition=Q(status=Status.SUBMITTED, clock_started_at__isnull=False),
            ),
            # Escalated open problems, most overdue first: the escalations list, the
            # leaders' "needs a leader" panel and their home page's count.
            models.Index(
                fields=["due_at", "id"],
                name="problem_open_escalated",
                condition=Q(status__in=OPEN_STATUSES, escalation_level__gte=1),
            ),
            # The same by date received, with the deadline: the planner reads a short
            # period's escalated problems here for the dashboard's "needs a leader" panel
            # (a week; the exception due before received), index-only once vacuumed
            # (issue 18).
            models.Index(
                fields=["created_at", "due_at", "id"],
                name="problem_open_escalated_created",
                condition=Q(
                    status__in=OPEN_STATUSES, escalation_level__gte=1, merged_into__isnull=True
                ),
            ),
            # The escalated open problems due before they were received, or with no
            # deadline: an exception (a meeting's clock started before the problem was
            # recorded), which the dashboard's "needs a leader" panel reads apart from its
            # walk of problem_open_escalated from the period's first day (issue 18).
            models.Index(
                fields=["created_at", "id"],
                name="problem_escalated_due_early",
                condition=Q(
                    status__in=OPEN_STATUSES, escalation_level__gte=1, merged_into__isnull=True
                )
                & (Q(due_at__isnull=True) | Q(due_at__lt=F("created_at"))),
            ),
            # The same by lead department: a district leader's own escalations through the
            # departments they supervise (home page), without reading every department's.
            models.Index(
                fields=["lead_department", "escalation_level"],
                name="problem_open_escalated_dept",
                condition=Q(status__in=OPEN_STATUSES, escalation_level__gte=1),
            ),
            # Open problems without a named leader, by lead department and deadline: the
            # district leader's own open and overdue problems through the departments
            # they supervise (home page), read up to the count's cap.
            models.Index(
                fields=["lead_department", "due_at"],
                name="problem_open_unnamed_dept",
                condition=Q(status__in=OPEN_STATUSES, responsible_leader__isnull=True),
            ),
            # Open problems not merged into another, by lead department, status and
            # deadline: the department's desk (its inbox and in-progress tabs in order)
            # and its counts, the overdue one included, read exactly their rows up to the
            # cap, where the overdue count combined the department's index with two of
            # every unfinished problem (issue 18).
            models.Index(
                fields=["lead_department", "status", "due_at"],
                name="problem_open_unmerged_dept",
                condition=Q(status__in=OPEN_STATUSES, merged_into__isnull=True),
            ),
            # The same without a named leader: a district leader's own overdue problems
            # through the departments they supervise (home page), which otherwise combined
            # indexes of every open and every unfinished problem (issue 18).
            models.Index(
                fields=["lead_department", "due_at"],
                name="problem_open_unnamed_unmerged",
                condition=Q(
                    status__in=OPEN_STATUSES,
                    responsible_leader__isnull=True,
                    merged_into__isnull=True,
                ),
            ),
            models.Index(fields=["enterprise", "-created_at"], name="problem_enterprise_created"),
            # An enterprise's problems by status: its home page's counts read its open and
            # concluded problems only, up to the cap (issue 18).
            models.Index(fields=["enterprise", "status"], name="problem_enterprise_status"),
            models.Index(fields=["status", "-created_at"], name="problem_status_created"),
            models.Index(fields=["-created_at", "-id"], name="problem_created"),
            # What changed since the dashboard summary was last refreshed (dashboard.figures).
            models.Index(fields=["updated_at"], name="problem_updated"),
            models.Index(fields=["responsible_leader", "status"], name="problem_leader_status"),
            models.Index(fields=["category", "status"], name="problem_category_status"),
            models.Index(fields=["meeting", "status"], name="problem_meeting_status"),
            models.Index(
                fields=["escalate_again_at"],
                name="problem_open_escalate_again",
                condition=Q(status__in=OPEN_STATUSES, escalate_again_at__isnull=False),
            ),
            models.Index(
                fields=["remind_at"],
                name="problem_submitted_remind",
                condition=Q(status=Status.SUBMITTED, reminded_at__isnull=True),
            ),
            models.Index(
                fields=["autoclose_at"],
                name="problem_resolved_autoclose",
                condition=Q(status=Status.RESOLVED),
            ),
            # Problems with times still ahead, by calendar revision: after a calendar edit
            # the recompute finds those of an older revision without reading the others.
            models.Index(
                fields=["calendar_revision"],
                name="problem_unfinished_calendar",
                condition=Q(status__in=UNFINISHED_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def awaits_callback_review(self) -> bool:
        """Answered, evaluated "unsatisfied" by the office's call-back, waiting for the
        office's review (issues.workflow.callbacks): the auto-close was stopped."""
        return (
            self.status == Status.RESOLVED
            and self.evaluation_source == EvaluationSource.CALLBACK
            and self.satisfaction == Satisfaction.UNSATISFIED
            and self.autoclose_at is None
        )

    @property
    def is_merged(self) -> bool:
        """Handled as part of another enterprise's main problem (并单)."""
        return self.merged_into_id is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_concluded(self) -> bool:
        return self.status in CONCLUDED_STATUSES

    @property
    def district_leader(self):
        """The leader an escalation goes to (DESIGN.md §5), or None; see DISTRICT_LEADER.

        Load the problem with DISTRICT_LEADER_RELATIONS (select_related) to spare the
        queries.
        """
        if self.responsible_leader_id is not None:
            return self.responsible_leader
        if self.lead_department_id is not None:
            return self.lead_department.supervising_leader
        return None

    @property
    def district_leader_is_responsible(self) -> bool:
        """Whether the district leader was named for this problem (not the department's)."""
        return self.responsible_leader_id is not None
