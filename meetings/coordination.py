"""Coordination meetings (专题协调会) and their action items: every write and read of them.

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
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models import OPEN_STATUSES, EventKind, Problem
from issues.workflow import TransitionError, record_event
from liaison import permissions, workdays
from liaison.models import Department, Enterprise

from . import permissions as rules
from .models import ActionItem, CoordinationMeeting


class CoordinationError(TransitionError):
    """A coordination write that may not happen; `message` is shown to the user as it is."""


class StaleCoordination(CoordinationError):
    pass


def _require(condition: bool, message) -> None:
    if not condition:
        raise CoordinationError(message)


def _clean(text: str, message) -> str:
    text = (text or "").strip()
    _require(bool(text), message)
    return text


def today_of(now: dt.datetime | None = None) -> dt.date:
    """Today in Asia/Shanghai: an action item due before it and not done is overdue."""
    return workdays.local_date(now or timezone.now())


def meeting_day(meeting: CoordinationMeeting) -> dt.date:
    """The meeting's date in Asia/Shanghai: no action item is due before it."""
    return workdays.local_date(meeting.starts_at)


def _event_text(meeting: CoordinationMeeting) -> str:
    # Language-neutral: the subject and venue as the leader wrote them, and the date.
    when = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")
    return f"{meeting.title}\n{when} · {meeting.venue}"


def _item_text(item: ActionItem, department: Department) -> str:
    return f"{department.name}：{item.task}（{item.due_date:%Y-%m-%d}）"


def _lock_meeting(meeting_id: int, expected_version: int | None) -> CoordinationMeeting:
    meeting = CoordinationMeeting.objects.select_for_update().filter(pk=meeting_id).first()
    _require(meeting is not None, _("This coordination meeting does not exist."))
    if expected_version is not None and meeting.version != expected_version:
        raise StaleCoordination(
            _(
                "This coordination meeting was changed by someone else while you were "
                "looking at it. The page now shows its current state; please check and "
                "try again."
            )
        )
    return meeting


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


# --- services ----------------------------------------------------------------------------


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
            data={"coordination_meeting": meeting.pk},
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
    if expected_version is not None and meeting.version != expected_version:
        raise StaleCoordination(
            _("This coordination meeting was changed meanwhile; please check and try again.")
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
        % {"date": meeting_day(meeting).isoformat()},
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
            data={"coordination_meeting": meeting.pk, "action_item": item.pk},
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
    item = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("meeting", "department", "problem")
        .filter(pk=item_id)
        .first()
    )
    _require(item is not None, _("This action item does not exist."))
    _require(
        rules.can_complete_action_item(actor, item, item.meeting),
        _("Only the department it was given to, the convening leader or the office can do that."),
    )
    if item.done:
        return False
    if expected_version is not None and item.version != expected_version:
        raise StaleCoordination(
            _("This action item was changed meanwhile; please check it and try again.")
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
            data={"coordination_meeting": item.meeting_id, "action_item": item.pk},
            now=now,
        )
    return True


# --- selectors ---------------------------------------------------------------------------


def meetings_visible_to(user) -> QuerySet[CoordinationMeeting]:
    """The coordination meetings `user` may open; anything else is a 404.

    Office and leaders: all. A department: those it attends, has an action item of, or
    whose problems it leads or co-handles. Enterprises: none (they see convening on the
    problem's timeline).
    """
    meetings = CoordinationMeeting.objects.all()
    if permissions.is_office(user) or permissions.is_leader(user):
        return meetings
    department_id = permissions.department_id_of(user)
    if department_id is None:
        return meetings.none()
    attending = CoordinationMeeting.departments.through.objects.filter(
        department_id=department_id
    ).values("coordinationmeeting_id")
    tasked = ActionItem.objects.filter(department_id=department_id).values("meeting_id")
    co_problems = Problem.co_departments.through.objects.filter(department_id=department_id).values(
        "problem_id"
    )
    own_problems = Problem.objects.filter(
        Q(lead_department_id=department_id) | Q(pk__in=co_problems)
    ).values("pk")
    about_own = CoordinationMeeting.problems.through.objects.filter(
        problem_id__in=own_problems
    ).values("coordinationmeeting_id")
    return meetings.filter(Q(pk__in=attending) | Q(pk__in=tasked) | Q(pk__in=about_own))


def _count(queryset: QuerySet) -> Subquery:
    """COUNT(*) of a queryset correlated to the outer meeting, as a subquery (0 when none)."""
    counted = queryset.order_by().values("meeting_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_counts(
    meetings: QuerySet[CoordinationMeeting], *, today: dt.date
) -> QuerySet[CoordinationMeeting]:
    """Each meeting with its problem, action-item, open-item and overdue-item counts."""
    items = ActionItem.objects.filter(meeting_id=OuterRef("pk"))
    problems = (
        CoordinationMeeting.problems.through.objects.filter(coordinationmeeting_id=OuterRef("pk"))
        .order_by()
        .values("coordinationmeeting_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return meetings.annotate(
        problem_count=Coalesce(Subquery(problems, output_field=IntegerField()), Value(0)),
        item_count=_count(items),
        open_item_count=_count(items.filter(done=False)),
        overdue_item_count=_count(items.filter(done=False, due_date__lt=today)),
    )


LIST_SHOWS = ("mine", "all")


def meeting_list(
    user, *, show: str = "mine", now: dt.datetime | None = None
) -> QuerySet[CoordinationMeeting]:
    """The list page: a leader's own meetings (or all), everything for the office, a
    department's for it; newest first, with counts and the problems' references."""
    meetings = meetings_visible_to(user)
    if permissions.is_leader(user) and show != "all":
        meetings = meetings.filter(convened_by=user)
    return (
        with_counts(meetings, today=today_of(now))
        .select_related("convened_by")
        .prefetch_related("problems")
        .order_by("-starts_at", "-id")
    )


def _mark_items(items: list[ActionItem], *, user, today: dt.date, meeting=None) -> list:
    """Set `overdue` and `can_complete` on each (loaded) item, for the templates."""
    for item in items:
        item.overdue = not item.done and item.due_date < today
        item.can_complete = not item.done and rules.can_complete_action_item(
            user, item, meeting or item.meeting
        )
    return items


def meeting_page_context(
    *, user, meeting: CoordinationMeeting, now: dt.datetime | None = None
) -> dict:
    """Everything the coordination meeting page shows, with the forms `user` may use."""
    from . import coordination_forms as forms

    today = today_of(now)
    problems = list(
        meeting.problems.select_related("enterprise", "lead_department").order_by("due_at", "pk")
    )
    if permissions.is_office(user) or permissions.is_leader(user):
        linkable = {p.pk for p in problems}
    else:
        # A department may attend for a problem it does not handle: no link to a 404.
        from issues.selectors import visible_to

        linkable = set(
            visible_to(user).filter(pk__in=[p.pk for p in problems]).values_list("pk", flat=True)
        )
    for problem in problems:
        problem.linkable = problem.pk in linkable
    items = list(
        meeting.action_items.select_related("department", "problem", "done_by").order_by(
            "done", "due_date", "pk"
        )
    )
    _mark_items(items, user=user, today=today, meeting=meeting)
    can_manage = rules.can_manage_coordination(user, meeting)
    context = {
        "meeting": meeting,
        "problems": problems,
        "departments": list(meeting.departments.all()),
        "enterprises": list(meeting.enterprises.all()),
        "items": items,
        "overdue_count": sum(1 for item in items if item.overdue),
        "can_manage": can_manage,
        "today": today,
    }
    if can_manage:
        context["item_form"] = forms.ActionItemForm(
            problems=problems, initial={"due_date": max(today, meeting_day(meeting))}
        )
        if meeting.status == CoordinationMeeting.Status.PLANNED:
            context["held_form"] = forms.MarkHeldForm(
                initial={"version": meeting.version, "decisions": meeting.decisions}
            )
    return context


def department_open_items(
    department_id: int, *, user, now: dt.datetime | None = None
) -> list[ActionItem]:
    """The department's action items not yet done, the earliest due first (its desk)."""
    items = list(
        ActionItem.objects.filter(department_id=department_id, done=False)
        .select_related("meeting", "problem", "department")
        .order_by("due_date", "pk")
    )
    return _mark_items(items, user=user, today=today_of(now))


@dataclass(frozen=True)
class ProblemCoordination:
    meetings: list
    items: list
    can_convene: bool


def problem_coordination(*, user, problem: Problem, now: dt.datetime | None = None):
    """The problem's coordination meetings and action items (one query, two if it has any).

    Items that name no problem belong to every problem of their meeting.
    """
    meetings = list(
        problem.coordination_meetings.select_related("convened_by").order_by("-starts_at", "-pk")
    )
    items: list[ActionItem] = []
    if meetings:
        by_id = {m.pk: m for m in meetings}
        items = list(
            ActionItem.objects.filter(
                Q(problem=problem) | Q(problem__isnull=True, meeting_id__in=list(by_id))
            )
            .select_related("department", "done_by")
            .order_by("done", "due_date", "pk")
        )
        for item in items:
            item.meeting = by_id[item.meeting_id]  # already loaded: no query per item
        _mark_items(items, user=user, today=today_of(now))
    return ProblemCoordination(
        meetings=meetings,
        items=items,
        can_convene=problem.status in OPEN_STATUSES and rules.can_convene_coordination(user),
    )


def leader_action_items(*, user, now: dt.datetime | None = None) -> dict[str, int]:
    """Open and overdue action items of the meetings `user` convened (one query)."""
    return ActionItem.objects.filter(meeting__convened_by=user, done=False).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today_of(now)))
    )
