"""Coordination meetings (专题协调会) and their action items: every write of them (the
reads are in meetings.coordination_selectors).

A district leader convenes a meeting for one or more open problems; its decisions are
action items (one department, one task, a due date) that the department ticks off.
Each write appends the matching entry to the timeline of every problem it concerns,
through `issues.workflow.record_event`, in the same transaction. Problem.status is never
touched here: a coordination meeting helps a problem along, it does not move its state.

Timeline visibility: convening is public. The enterprise learns that a district leader
took its overdue problem to a coordination meeting, when and where (the text holds
only the subject, date and venue, which the leader writes knowing this); enterprises
are often invited to attend. Action items are internal: they are working arrangements
between departments, and the enterprise hears the outcome as the department's answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from issues.models import OPEN_STATUSES, EventKind, Problem
from issues.workflow import TransitionError, record_event
from liaison import workdays
from liaison.locking import StaleVersion, check_version, lock_versioned
from liaison.models import Department, Enterprise

from . import permissions as rules
from .coordination_selectors import meeting_day
from .models import ActionItem, CoordinationMeeting


class CoordinationError(TransitionError):
    """A coordination write that may not happen; `message` is shown to the user as it is."""


class StaleCoordination(CoordinationError, StaleVersion):
    pass


def _require(condition: bool, message) -> None:
    if not condition:
        raise CoordinationError(message)


def _clean(text: str, message) -> str:
    text = (text or "").strip()
    _require(bool(text), message)
    return text


# An event's text is written once and read in either language: it holds what people wrote
# (subject, venue, task). Its dates go in the event's data, as ISO, and are put in the
# reader's language on the page and in each recipient's e-mail.
def _event_text(meeting: CoordinationMeeting) -> str:
    return f"{meeting.title}\n{meeting.venue}"


def _item_text(item: ActionItem, department: Department) -> str:
    return f"{department.name}：{item.task}"


def _lock_meeting(meeting_id: int, expected_version: int | None) -> CoordinationMeeting:
    return lock_versioned(
        CoordinationMeeting.objects,
        meeting_id,
        expected_version,
        missing=CoordinationError(_("This coordination meeting does not exist.")),
        stale=StaleCoordination(
            _(
                "This coordination meeting was changed by someone else while you were "
                "looking at it. The page now shows its current state; please check and "
                "try again."
            )
        ),
    )


def _check_departments_active(departments: Iterable[Department]) -> None:
    inactive = [d.name for d in departments if not d.is_active]
    _require(
        not inactive,
        _("%(names)s is no longer active; choose another department.")
        % {"names": "、".join(inactive)},
    )


def _check_planned_date(starts_at: dt.datetime, now: dt.datetime) -> None:
    _require(
        workdays.local_date(starts_at) >= workdays.local_date(now),
        _("A planned coordination meeting cannot be in the past."),
    )


def _concerned_problems(item: ActionItem, meeting: CoordinationMeeting) -> list[Problem]:
    """The problem an item serves, or every problem of its meeting if it names none."""
    if item.problem_id is not None:
        return [item.problem]
    return list(meeting.problems.order_by("pk"))


@transaction.atomic
def coordination_convene(
    *,
    actor,
    title: str,
    starts_at: dt.datetime,
    venue: str,
    problems: Iterable[Problem],
    departments: Iterable[Department] = (),
    enterprises: Iterable[Enterprise] = (),
    now: dt.datetime | None = None,
) -> CoordinationMeeting:
    """A leader convenes a meeting for open problems; each problem's timeline says so."""
    now = now or timezone.now()
    _require(
        rules.can_convene_coordination(actor),
        _("Only district leaders convene coordination meetings."),
    )
    title = _clean(title, _("Write the subject of the meeting."))
    venue = _clean(venue, _("Write where the meeting takes place."))
    _check_planned_date(starts_at, now)
    problem_ids = sorted({p.pk for p in problems})
    _require(bool(problem_ids), _("Choose at least one problem for the meeting."))
    departments, enterprises = list(departments), list(enterprises)
    _check_departments_active(departments)
    # Locked in id order, so two leaders convening for overlapping problems cannot deadlock;
    # a problem answered meanwhile is seen here and refused.
    locked = list(Problem.objects.select_for_update().filter(pk__in=problem_ids).order_by("pk"))
    _require(len(locked) == len(problem_ids), _("One of the chosen problems does not exist."))
    closed = [p.reference for p in locked if p.status not in OPEN_STATUSES]
    _require(
        not closed,
        _(
            "A coordination meeting is for open problems; %(refs)s is no longer open. "
            "Leave it out and try again."
        )
        % {"refs": "、".join(closed)},
    )
    meeting = CoordinationMeeting.objects.create(
        title=title,
        convened_by=actor,
        starts_at=starts_at,
        venue=venue,
        created_at=now,
        updated_at=now,
    )
    meeting.problems.set(locked)
    meeting.departments.set(departments)
    meeting.enterprises.set(enterprises)
    for problem in locked:
        record_event(
            problem,
            actor=actor,
            kind=EventKind.COORDINATION_CONVENED,
            text=_event_text(meeting),
            is_public=True,
            data={"coordination_meeting": meeting.pk, "starts_at": meeting.starts_at.isoformat()},
            now=now,
        )
    return meeting


@transaction.atomic
def coordination_update(
    *,
    meeting_id: int,
    actor,
    title: str,
    starts_at: dt.datetime,
    venue: str,
    departments: Iterable[Department],
    enterprises: Iterable[Enterprise],
    decisions: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> CoordinationMeeting:
    """Change a meeting's subject, time, venue, attendees or minutes (not its problems)."""
    now = now or timezone.now()
    meeting = _lock_meeting(meeting_id, expected_version)
    _require(
        rules.can_manage_coordination(actor, meeting),
        _("Only the convening leader or the liaison office can change this meeting."),
    )
    title = _clean(title, _("Write the subject of the meeting."))
    venue = _clean(venue, _("Write where the meeting takes place."))
    if meeting.status == CoordinationMeeting.Status.PLANNED:
        _check_planned_date(starts_at, now)
    else:
        _require(starts_at <= now, _("A meeting already held cannot move into the future."))
    new_day = workdays.local_date(starts_at)
    _require(
        not meeting.action_items.filter(due_date__lt=new_day).exists(),
        _("Some action items are due before that date; change their due dates first."),
    )
    departments, enterprises = list(departments), list(enterprises)
    attending = set(meeting.departments.values_list("pk", flat=True))
    # A department that attended before it was deactivated may stay on the list.
    _check_departments_active(d for d in departments if d.pk not in attending)
    CoordinationMeeting.objects.filter(pk=meeting.pk).update(
        title=title,
        starts_at=starts_at,
        venue=venue,
        decisions=(decisions or "").strip(),
        updated_at=now,
        version=F("version") + 1,
    )
    meeting.departments.set(departments)
    meeting.enterprises.set(enterprises)
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def coordination_mark_held(
    *,
    meeting_id: int,
    actor,
    decisions: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Mark the meeting held, with its decisions and minutes. False if it already was.

    Held twice changes nothing the second time (a double click, two tabs): the first
    minutes stay; they can be edited on the meeting's edit page.
    """
    now = now or timezone.now()
    meeting = _lock_meeting(meeting_id, None)
    _require(
        rules.can_manage_coordination(actor, meeting),
        _("Only the convening leader or the liaison office can mark this meeting held."),
    )
    if meeting.status == CoordinationMeeting.Status.HELD:
        return False
    check_version(
        meeting,
        expected_version,
        StaleCoordination(
            _("This coordination meeting was changed meanwhile; please check and try again.")
        ),
    )
    _require(
        meeting.starts_at <= now,
        _("The meeting has not started yet; mark it held once it has taken place."),
    )
    changed = CoordinationMeeting.objects.filter(
        pk=meeting.pk, status=CoordinationMeeting.Status.PLANNED
    ).update(
        status=CoordinationMeeting.Status.HELD,
        held_at=now,
        decisions=(decisions or "").strip() or meeting.decisions,
        updated_at=now,
        version=F("version") + 1,
    )
    return changed == 1


@transaction.atomic
def action_item_add(
    *,
    meeting_id: int,
    actor,
    department: Department,
    task: str,
    due_date: dt.date,
    problem: Problem | None = None,
    now: dt.datetime | None = None,
) -> ActionItem:
    """Record one decision of the meeting: a department, a task, a due date."""
    now = now or timezone.now()
    meeting = _lock_meeting(meeting_id, None)
    _require(
        rules.can_manage_coordination(actor, meeting),
        _("Only the convening leader or the liaison office can add action items."),
    )
    task = _clean(task, _("Write the task."))
    department = Department.objects.get(pk=department.pk)  # as it is now, not as the form saw it
    _require(
        department.is_active,
        _("%(name)s is no longer active; an action item needs an active department.")
        % {"name": department.name},
    )
    _require(
        due_date >= meeting_day(meeting),
        _("The due date cannot be before the meeting (%(date)s).")
        % {"date": formats.date_format(meeting_day(meeting))},
    )
    if problem is not None:
        _require(
            meeting.problems.filter(pk=problem.pk).exists(),
            _("That problem is not one of this meeting's problems."),
        )
    item = ActionItem.objects.create(
        meeting=meeting,
        problem=problem,
        department=department,
        task=task,
        due_date=due_date,
        created_by=actor,
        created_at=now,
    )
    for concerned in _concerned_problems(item, meeting):
        record_event(
            concerned,
            actor=actor,
            kind=EventKind.ACTION_ITEM_ADDED,
            text=_item_text(item, department),
            is_public=False,
            data={
                "coordination_meeting": meeting.pk,
                "action_item": item.pk,
                "item_due_date": item.due_date.isoformat(),
            },
            now=now,
        )
    return item


@transaction.atomic
def action_item_complete(
    *,
    item_id: int,
    actor,
    note: str = "",
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Tick an action item off, with a note. False if it was already done (nothing changes).

    The already-done check comes before the version check: the second click of a double
    click is told the item is done, not that the page is stale.
    """
    now = now or timezone.now()
    item = lock_versioned(
        ActionItem.objects.select_related("meeting", "department", "problem"),
        item_id,
        missing=CoordinationError(_("This action item does not exist.")),
        of=("self",),
    )
    _require(
        rules.can_complete_action_item(actor, item, item.meeting),
        _("Only the department it was given to, the convening leader or the office can do that."),
    )
    if item.done:
        return False
    check_version(
        item,
        expected_version,
        StaleCoordination(
            _("This action item was changed meanwhile; please check it and try again.")
        ),
    )
    note = (note or "").strip()
    changed = ActionItem.objects.filter(pk=item.pk, done=False, version=item.version).update(
        done=True, done_at=now, done_by=actor, note=note, version=F("version") + 1
    )
    if changed != 1:  # pragma: no cover - the row lock makes this a backstop only
        raise StaleCoordination(_("This action item was changed meanwhile; nothing was done."))
    text = _item_text(item, item.department) + (f"\n{note}" if note else "")
    for concerned in _concerned_problems(item, item.meeting):
        record_event(
            concerned,
            actor=actor,
            kind=EventKind.ACTION_ITEM_DONE,
            text=text,
            is_public=False,
            data={
                "coordination_meeting": item.meeting_id,
                "action_item": item.pk,
                "item_due_date": item.due_date.isoformat(),
            },
            now=now,
        )
    return True
