"""Every write on key tasks: creating them, milestones, progress reports, links, completion.

Status rules (the sweep in keytasks.deadlines applies the same ones to overdue milestones):
- a task starts `not_started`; its first progress report or ticked milestone → `on_track`;
- one overdue undone milestone → `at_risk`; two or more, or one overdue by more than
  BEHIND_AFTER_DAYS → `behind`; ticking them off brings it back to `on_track`;
- `done` only when the office or the task's leader marks it so, and only once every
  milestone is done. A department's "100%" is its own view; the leader who answers
  for the task decides that the target is met.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from issues import attachments as files
from issues.models import Problem
from liaison import permissions, workdays
from liaison.locking import StaleVersion, check_version, lock_versioned
from liaison.models import LEADER_ROLES, Department
from liaison.templatetags.liaison_tags import person_name
from meetings.models import CoordinationMeeting

from .models import KeyTask, Milestone, ProgressReport, ReportAttachment

# An overdue milestone puts its task behind (not just at risk) after this many calendar
# days: milestones are monthly or quarterly steps, two weeks late is a real slip.
BEHIND_AFTER_DAYS = 14
MAX_FILES_PER_REPORT = 5
Status = KeyTask.Status


class KeyTaskError(Exception):
    """A change that may not happen; `message` is shown to the user as it is."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


class StaleKeyTask(KeyTaskError, StaleVersion):
    """The key task changed while the user was looking at it."""


def _locked(task_id: int) -> KeyTask:
    return lock_versioned(
        KeyTask.objects, task_id, missing=KeyTaskError(_("This key task does not exist."))
    )


def _check_version(task: KeyTask, version: int | None) -> None:
    check_version(
        task,
        version,
        StaleKeyTask(
            _("Someone changed this key task while you were looking at it. Check it and try again.")
        ),
    )


def _check_manager(actor, task: KeyTask) -> None:
    if not permissions.can_manage_key_task(actor, task):
        raise KeyTaskError(_("Only the liaison office or the task's leader may do this."))


def _check_in_year(task: KeyTask, day: dt.date, what: str) -> None:
    if day.year != task.year:
        raise KeyTaskError(
            _("The %(what)s must fall in %(year)s, the key task's year.")
            % {"what": what, "year": task.year}
        )


def status_from_milestones(task: KeyTask, today: dt.date) -> str:
    """The status the task's milestones call for today (one query); `done` is kept."""
    if task.status == Status.DONE:
        return Status.DONE
    overdue = list(
        task.milestones.filter(done_date__isnull=True, due_date__lt=today).values_list(
            "due_date", flat=True
        )
    )
    if len(overdue) >= 2 or any(
        due < today - dt.timedelta(days=BEHIND_AFTER_DAYS) for due in overdue
    ):
        return Status.BEHIND
    if overdue:
        return Status.AT_RISK
    if task.status == Status.NOT_STARTED:
        return Status.NOT_STARTED
    return Status.ON_TRACK


def _save(task: KeyTask, now: dt.datetime, *fields: str) -> None:
    task.updated_at = now
    task.version = F("version") + 1
    task.save(update_fields=[*fields, "updated_at", "version"])
    task.refresh_from_db(fields=["version"])


# --- key tasks ---------------------------------------------------------------------------


@transaction.atomic
def key_task_create(
    *,
    actor,
    year: int,
    number: int,
    title: str,
    target: str,
    leader,
    lead_department: Department,
    supporting_departments: list[Department] | tuple = (),
    description: str = "",
    now: dt.datetime | None = None,
) -> KeyTask:
    if not permissions.can_create_key_task(actor):
        raise KeyTaskError(_("Only the liaison office may add key tasks."))
    if not title.strip() or not target.strip():
        raise KeyTaskError(_("A key task needs a title and a target."))
    if number < 1:
        raise KeyTaskError(_("The number must be 1 or more."))
    if permissions.role_of(leader) not in LEADER_ROLES:
        raise KeyTaskError(_("A key task is led by a district leader."))
    now = now or timezone.now()
    try:
        with transaction.atomic():
            task = KeyTask.objects.create(
                year=year,
                number=number,
                title=title.strip(),
                description=description.strip(),
                target=target.strip(),
                leader=leader,
                lead_department=lead_department,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        raise KeyTaskError(
            _("%(year)s already has a key task No. %(number)s.") % {"year": year, "number": number}
        ) from None
    supporting = [d for d in supporting_departments if d.pk != lead_department.pk]
    if supporting:
        task.supporting_departments.add(*supporting)
    return task


@transaction.atomic
def key_task_complete(
    *, actor, task_id: int, version: int | None = None, now: dt.datetime | None = None
) -> KeyTask:
    """The office or the task's leader confirms the target is met; every milestone must be done."""
    task = _locked(task_id)
    _check_manager(actor, task)
    _check_version(task, version)
    if task.status == Status.DONE:
        raise KeyTaskError(_("This key task is already done."))
    undone = task.milestones.filter(done_date__isnull=True).count()
    if undone:
        raise KeyTaskError(
            _("%(n)d milestone(s) are not done yet; tick them off before marking the task done.")
            % {"n": undone}
        )
    now = now or timezone.now()
    task.status = Status.DONE
    task.done_at = now
    _save(task, now, "status", "done_at")
    return task


# --- milestones --------------------------------------------------------------------------


@transaction.atomic
def milestone_add(
    *, actor, task_id: int, title: str, due_date: dt.date, now: dt.datetime | None = None
) -> Milestone:
    task = _locked(task_id)
    _check_manager(actor, task)
    if task.status == Status.DONE:
        raise KeyTaskError(_("This key task is done; it takes no more milestones."))
    if not title.strip():
        raise KeyTaskError(_("A milestone needs a title."))
    _check_in_year(task, due_date, _("due date"))
    now = now or timezone.now()
    milestone = Milestone.objects.create(
        task=task, title=title.strip(), due_date=due_date, created_at=now
    )
    status = status_from_milestones(task, workdays.local_date(now))
    fields = []
    if status != task.status:
        task.status = status
        fields.append("status")
    _save(task, now, *fields)
    return milestone


@transaction.atomic
def milestone_tick(
    *,
    actor,
    milestone_id: int,
    done_date: dt.date,
    evidence: str = "",
    now: dt.datetime | None = None,
) -> Milestone:
    """Mark a milestone done on `done_date` with its evidence; the task's status follows.

    The task is locked first and the milestone read after: two people ticking it at once
    take turns, and the second is told who ticked it and when, instead of overwriting
    the first one's date and evidence.
    """
    task_id = Milestone.objects.filter(pk=milestone_id).values_list("task_id", flat=True).first()
    if task_id is None:
        raise KeyTaskError(_("This milestone does not exist."))
    task = _locked(task_id)
    _check_manager(actor, task)
    milestone = Milestone.objects.select_related("done_by").get(pk=milestone_id)
    now = now or timezone.now()
    today = workdays.local_date(now)
    if milestone.done_date is not None:
        raise KeyTaskError(_already_done(milestone))
    _check_in_year(task, done_date, _("date done"))
    if done_date > today:
        raise KeyTaskError(_("A milestone cannot be done on a date still to come."))
    values = {
        "done_date": done_date,
        "evidence": evidence.strip(),
        "done_by": actor,
        "done_recorded_at": now,
    }
    # Conditional, as a backstop: a tick that did not lock the task still cannot overwrite.
    if not Milestone.objects.filter(pk=milestone.pk, done_date__isnull=True).update(**values):
        raise KeyTaskError(_("This milestone is already done."))
    for name, value in values.items():
        setattr(milestone, name, value)
    status = status_from_milestones(task, today)
    if status == Status.NOT_STARTED:
        status = Status.ON_TRACK  # a milestone reached: work has started
    fields = []
    if status != task.status:
        task.status = status
        fields.append("status")
    _save(task, now, *fields)
    return milestone


def _already_done(milestone: Milestone) -> str:
    if milestone.done_by is None or milestone.done_recorded_at is None:
        return _("This milestone is already done.")
    return _(
        "This milestone was already marked done by %(name)s at %(time)s (done on %(date)s). "
        "Nothing was changed."
    ) % {
        "name": person_name(milestone.done_by),
        "date": date_format(milestone.done_date, "DATE_FORMAT"),
        "time": date_format(timezone.localtime(milestone.done_recorded_at), "DATETIME_FORMAT"),
    }


# --- progress reports --------------------------------------------------------------------


@transaction.atomic
def progress_report_add(
    *,
    actor,
    task_id: int,
    text: str,
    percent: int | None,
    uploads: list | tuple = (),
    now: dt.datetime | None = None,
) -> ProgressReport:
    """A lead or supporting department's report; appended, never edited.

    The first report starts a not-started task (on track); the task's percent is the
    latest report's. Files are checked (size, type, content) before anything is written.
    """
    task = _locked(task_id)
    if not permissions.can_report_key_task_progress(actor, task):
        raise KeyTaskError(
            _("Only the task's lead and supporting departments may report progress on it.")
        )
    if task.status == Status.DONE:
        raise KeyTaskError(_("This key task is done; it takes no more progress reports."))
    if percent is None or not 0 <= percent <= 100:
        raise KeyTaskError(_("The progress must be a percentage from 0 to 100."))
    if not text.strip():
        raise KeyTaskError(_("Say what progress was made."))
    if len(uploads) > MAX_FILES_PER_REPORT:
        raise KeyTaskError(
            _("A report may have at most %(max)d attachments.") % {"max": MAX_FILES_PER_REPORT}
        )
    try:
        checked = [files.check_upload(upload) for upload in uploads]
    except ValidationError as error:
        raise KeyTaskError(" ".join(error.messages)) from None
    now = now or timezone.now()
    report = ProgressReport.objects.create(
        task=task,
        department_id=actor.profile.department_id,
        reported_by=actor,
        reported_at=now,
        text=text.strip(),
        percent=percent,
    )
    stored: list[str] = []
    try:
        attachments = []
        for upload, info in zip(uploads, checked, strict=True):
            stored_name, sha256 = files.store(upload)
            stored.append(stored_name)
            attachments.append(
                ReportAttachment(
                    report=report,
                    original_name=info.original_name,
                    stored_name=stored_name,
                    content_type=info.content_type,
                    size=info.size,
                    sha256=sha256,
                )
            )
        ReportAttachment.objects.bulk_create(attachments)
        fields = ["percent"]
        task.percent = percent
        if task.status == Status.NOT_STARTED:
            task.status = status_from_milestones(task, workdays.local_date(now))
            if task.status == Status.NOT_STARTED:
                task.status = Status.ON_TRACK
            fields.append("status")
        _save(task, now, *fields)
    except BaseException:
        # Nothing of the report is committed: the files written for it go too.
        for name in stored:
            files.discard(name)
        raise
    return report


# --- links to problems and coordination meetings -----------------------------------------


@transaction.atomic
def key_task_link_problem(*, actor, task_id: int, reference: str) -> Problem:
    task = _locked(task_id)
    _check_manager(actor, task)
    problem = Problem.objects.filter(reference=reference.strip()).first()
    if problem is None:
        raise KeyTaskError(
            _("No problem has the reference “%(reference)s”.") % {"reference": reference.strip()}
        )
    task.problems.add(problem)
    return problem


@transaction.atomic
def key_task_link_meeting(*, actor, task_id: int, meeting_id: int) -> CoordinationMeeting:
    task = _locked(task_id)
    _check_manager(actor, task)
    meeting = CoordinationMeeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        raise KeyTaskError(_("This coordination meeting does not exist."))
    task.coordination_meetings.add(meeting)
    return meeting
