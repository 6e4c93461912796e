"""Face-to-face meetings (面对面), their invitations, and coordination meetings (专题协调会).

DESIGN.md §6. A face-to-face meeting has a yearly number (第N期): its place among the
year's meetings by date, renumbered under a row lock (`MeetingCounter`) whenever a
meeting is created or moved. Problems raised for it carry
`Problem.meeting`; their 10-working-day clock starts on the meeting's date when it is
marked held. A coordination meeting is convened by a district leader for one or more
problems; its decisions are action items a department ticks off.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from liaison.models import Department, Enterprise

# How long the texts of meetings may be (characters; themes, subjects and venues are 200):
# far more than anyone writes, far less than what would swamp a page or an e-mail. The
# forms check them (meetings.forms, meetings.coordination_forms).
MINUTES_MAX_LENGTH = 20000  # a meeting's minutes, a coordination meeting's decisions
TASK_MAX_LENGTH = 2000  # an action item's task
NOTE_MAX_LENGTH = 2000  # the note of an action item done
REASON_MAX_LENGTH = 2000  # why a consultation is asked for, or declined


class MeetingCounter(models.Model):
    """A year's meetings: locked while they are numbered; `last_number` is how many there are."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Meeting(models.Model):
    """A face-to-face meeting between district leaders and enterprises."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CLOSED = "closed", _("Closed")

    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("number"))
    theme = models.CharField(_("theme"), max_length=200)
    starts_at = models.DateTimeField(_("date and time"))
    venue = models.CharField(_("venue"), max_length=200)
    presiding_leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("presiding leaders"),
        related_name="presided_meetings",
        blank=True,
    )
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("participating departments"),
        related_name="meetings",
        blank=True,
    )
    enterprises = models.ManyToManyField(
        Enterprise,
        verbose_name=_("invited enterprises"),
        through="Invitation",
        related_name="meetings",
        blank=True,
    )
    minutes = models.TextField(_("minutes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    # Created after its date (补录): the record of a meeting that already took place.
    entered_afterwards = models.BooleanField(_("entered afterwards"), default=False)
    held_at = models.DateTimeField(_("marked held at"), null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # Bumped by every change: a form carries the version it was rendered with.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("face-to-face meeting")
        verbose_name_plural = _("face-to-face meetings")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="meeting_number_per_year"),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "held", "closed"]),
                name="meeting_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="planned") | Q(held_at__isnull=False),
                name="meeting_held_has_held_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="meeting_closed_has_closed_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="meeting_status_starts")]

    def __str__(self) -> str:
        # 2026年第6期 … in Chinese: the way the programme numbers its meetings.
        return gettext("%(year)s No. %(number)s %(theme)s") % {
            "year": self.year,
            "number": self.number,
            "theme": self.theme,
        }

    @property
    def local_date(self) -> dt.date:
        return timezone.localtime(self.starts_at).date()


class Invitation(models.Model):
    """An enterprise invited to a face-to-face meeting.

    Before the meeting the enterprise replies whether it will attend (and may change its
    mind until the meeting starts); `attended` is what the office records when held.
    """

    class Reply(models.TextChoices):
        NONE = "", _("No reply")
        CONFIRMED = "confirmed", _("Will attend")
        DECLINED = "declined", _("Cannot attend")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="invitations")
    invited_at = models.DateTimeField(default=timezone.now)
    reply = models.CharField(
        _("reply"), max_length=10, choices=Reply.choices, blank=True, default=Reply.NONE
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # None until the meeting is held.
    attended = models.BooleanField(_("attended"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["meeting", "enterprise__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "enterprise"], name="invitation_once_per_enterprise"
            ),
            models.CheckConstraint(
                condition=Q(reply__in=["", "confirmed", "declined"]),
                name="invitation_reply_valid",
            ),
            models.CheckConstraint(
                condition=Q(reply="") | Q(replied_at__isnull=False),
                name="invitation_reply_has_replied_at",
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "meeting"], name="invitation_enterprise")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.enterprise_id}"


class CoordinationMeeting(models.Model):
    """A coordination meeting (专题协调会) a district leader convenes for open problems."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")

    title = models.CharField(_("subject"), max_length=200)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("convened by"),
        on_delete=models.PROTECT,
        related_name="convened_meetings",
    )
    starts_at = models.DateTimeField(_("date and time"))
    venue = models.CharField(_("venue"), max_length=200)
    problems = models.ManyToManyField(
        "issues.Problem", verbose_name=_("problems"), related_name="coordination_meetings"
    )
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("attending departments"),
        related_name="coordination_meetings",
        blank=True,
    )
    enterprises = models.ManyToManyField(
        Enterprise,
        verbose_name=_("attending enterprises"),
        related_name="coordination_meetings",
        blank=True,
    )
    decisions = models.TextField(_("decisions and minutes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    held_at = models.DateTimeField(_("marked held at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("coordination meeting")
        verbose_name_plural = _("coordination meetings")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["planned", "held"]),
                name="coordination_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="planned") | Q(held_at__isnull=False),
                name="coordination_held_has_held_at",
            ),
        ]
        indexes = [models.Index(fields=["convened_by", "-starts_at"], name="coordination_leader")]

    def __str__(self) -> str:
        return self.title


class ActionItem(models.Model):
    """A decision of a coordination meeting: one department, one task, a due date."""

    meeting = models.ForeignKey(
        CoordinationMeeting,
        verbose_name=_("coordination meeting"),
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    # The problem the task serves, if the meeting covered several.
    problem = models.ForeignKey(
        "issues.Problem",
        verbose_name=_("problem"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="action_items",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    task = models.TextField(_("task"))
    due_date = models.DateField(_("due date"))
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done=False) | Q(done_at__isnull=False),
                name="action_item_done_has_done_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["department", "due_date"],
                name="action_item_open",
                condition=Q(done=False),
            ),
            models.Index(fields=["problem", "due_date"], name="action_item_problem"),
        ]

    def __str__(self) -> str:
        return self.task[:60]


class ConsultationRequest(models.Model):
    """A lead department asks the problem's leader for a coordination meeting (会商),
    before the deadline. Accepted: the meeting is convened with the problem."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the leader")
        ACCEPTED = "accepted", pgettext_lazy("consultation", "Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    problem = models.ForeignKey(
        "issues.Problem",
        verbose_name=_("problem"),
        on_delete=models.CASCADE,
        related_name="consultation_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="consultation_requests",
    )
    reason = models.TextField(_("reason"))
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # The problem's district leader when the request was made (DISTRICT_LEADER).
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader"),
        on_delete=models.PROTECT,
        related_name="consultation_requests",
    )
    state = models.CharField(
        pgettext_lazy("consultation", "state"),
        max_length=10,
        choices=State.choices,
        default=State.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    meeting = models.ForeignKey(
        CoordinationMeeting,
        verbose_name=_("coordination meeting"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultation_requests",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("consultation request")
        verbose_name_plural = _("consultation requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem"],
                condition=Q(state="pending"),
                name="consultation_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(decided_at__isnull=False),
                name="consultation_decided_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["leader", "requested_at"],
                name="consultation_pending",
                condition=Q(state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.state}"
