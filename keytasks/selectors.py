"""Reads of key tasks: who sees which, the year's list, the task page, the dashboard panel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from issues.selectors import visible_to as problems_visible_to
from liaison import permissions
from liaison.models import Department
from meetings.coordination_selectors import meetings_visible_to
from meetings.models import CoordinationMeeting

from .models import KeyTask, Milestone, ProgressReport

Status = KeyTask.Status


def visible_to(user) -> QuerySet[KeyTask]:
    """The office and the leaders see every key task; a department the tasks it works on."""
    tasks = KeyTask.objects.all()
    if permissions.can_see_all_departments(user):
        return tasks
    department_id = permissions.department_id_of(user)
    if department_id is None:
        return tasks.none()
    supporting = KeyTask.supporting_departments.through.objects.filter(
        department_id=department_id
    ).values("keytask_id")
    return tasks.filter(Q(lead_department_id=department_id) | Q(pk__in=supporting))


def _overdue(today: dt.date) -> Q:
    return Q(milestones__done_date__isnull=True, milestones__due_date__lt=today)


def with_milestone_counts(tasks: QuerySet[KeyTask], today: dt.date) -> QuerySet[KeyTask]:
    return tasks.annotate(
        milestones_total=Count("milestones", distinct=True),
        milestones_done=Count(
            "milestones", filter=Q(milestones__done_date__isnull=False), distinct=True
        ),
        overdue_count=Count("milestones", filter=_overdue(today), distinct=True),
    )


def task_list(tasks: QuerySet[KeyTask], today: dt.date) -> QuerySet[KeyTask]:
    """The rows of the year's list: three queries (tasks, supporting departments) whatever
    the number of tasks."""
    return (
        with_milestone_counts(tasks, today)
        .select_related("leader__profile", "lead_department")
        .prefetch_related(
            Prefetch("supporting_departments", queryset=Department.objects.order_by("name"))
        )
        .order_by("number")
    )


def years(user) -> list[int]:
    return list(visible_to(user).order_by("-year").values_list("year", flat=True).distinct())


def task_for_page(user, pk: int, today: dt.date) -> QuerySet[KeyTask]:
    """The task with everything its page shows, if the user may see it.

    Its linked problems and coordination meetings are those the user may open (their
    apps' permission-filtered selectors); `problems_total` and `meetings_total` count
    them all, so that the page can say how many more there are.
    """
    return (
        with_milestone_counts(visible_to(user), today)
        .annotate(
            problems_total=Count("problems", distinct=True),
            meetings_total=Count("coordination_meetings", distinct=True),
        )
        .filter(pk=pk)
        .select_related("leader__profile", "lead_department")
        .prefetch_related(
            Prefetch("supporting_departments", queryset=Department.objects.order_by("name")),
            Prefetch(
                "milestones",
                queryset=Milestone.objects.select_related("done_by").order_by("due_date", "pk"),
            ),
            Prefetch(
                "reports",
                queryset=ProgressReport.objects.select_related("department", "reported_by__profile")
                .prefetch_related("attachments")
                .order_by("-reported_at", "-pk"),
            ),
            Prefetch("problems", queryset=_problems_queryset(user)),
            Prefetch(
                "coordination_meetings",
                queryset=meetings_visible_to(user).order_by("-starts_at"),
            ),
        )
    )


def task_actions(*, user, task: KeyTask) -> frozenset[str]:
    """The names of the actions `user` may take on `task` now.

    The convention of issues.problem_page.problem_actions: the view makes a form for each
    name (context `actions`), the template asks `{% if actions.<name> %}`. A done
    milestone has nothing to tick: the template asks that of each milestone.
    """
    names: set[str] = set()
    open_ = task.status != Status.DONE
    if permissions.can_manage_key_task(user, task):
        names |= {"tick_milestone", "link_problem", "link_meeting"}
        if open_:
            names |= {"complete", "add_milestone"}
    if open_ and permissions.can_report_key_task_progress(user, task):
        names.add("report")
    return frozenset(names)


def _problems_queryset(user):
    return problems_visible_to(user).select_related("enterprise", "lead_department").order_by("-pk")


def linkable_meetings(limit: int = 50) -> QuerySet[CoordinationMeeting]:
    """Recent coordination meetings, for the link form."""
    return CoordinationMeeting.objects.order_by("-starts_at")[:limit]


def leader_home_tasks(user, year: int, today: dt.date) -> QuerySet[KeyTask]:
    """The leader's own key tasks of the year, with overdue milestones counted (one query)."""
    return (
        with_milestone_counts(KeyTask.objects.filter(leader=user, year=year), today)
        .select_related("lead_department")
        .order_by("number")
    )


def year_summary(tasks) -> dict:
    tasks = list(tasks)
    return {
        "total": len(tasks),
        "done": sum(1 for t in tasks if t.status == Status.DONE),
    }


@dataclass(frozen=True)
class PanelRow:
    leader: object
    done: int
    on_track: int
    at_risk: int
    behind: int
    not_started: int

    @property
    def total(self) -> int:
        return self.done + self.on_track + self.at_risk + self.behind + self.not_started


def leader_panel(year: int) -> list[PanelRow]:
    """Per leader, the year's key tasks by status, in one query (the dashboard's panel)."""

    def count(status: str) -> Count:
        return Count("key_tasks", filter=Q(key_tasks__status=status))

    # filter() before annotate(): the counts are over this year's tasks only.
    leaders = (
        get_user_model()
        .objects.filter(key_tasks__year=year)
        .annotate(
            done=count(Status.DONE),
            on_track=count(Status.ON_TRACK),
            at_risk=count(Status.AT_RISK),
            behind=count(Status.BEHIND),
            not_started=count(Status.NOT_STARTED),
        )
        .select_related("profile")
        .order_by("username")
    )
    return [
        PanelRow(
            leader=leader,
            done=leader.done,
            on_track=leader.on_track,
            at_risk=leader.at_risk,
            behind=leader.behind,
            not_started=leader.not_started,
        )
        for leader in leaders
    ]
