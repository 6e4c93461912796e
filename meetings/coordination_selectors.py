"""Coordination meetings (专题协调会) and their action items: what is read of them (who
may open which meeting, the list and meeting pages, a problem's meetings and items, a
department's open items, a leader's counts). The writes are in meetings.coordination_services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from issues.models import OPEN_STATUSES, Problem
from issues.selectors import visible_to
from liaison import permissions, workdays

from . import permissions as rules
from .models import ActionItem, ConsultationRequest, CoordinationMeeting


def today_of(now: dt.datetime | None = None) -> dt.date:
    """Today in Asia/Shanghai: an action item due before it and not done is overdue."""
    return workdays.local_date(now or timezone.now())


def meeting_day(meeting: CoordinationMeeting) -> dt.date:
    """The meeting's date in Asia/Shanghai: no action item is due before it."""
    return workdays.local_date(meeting.starts_at)


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


def action_item_problems(department_id: int) -> Q:
    """A Q over Problem: those the department holds an action item for (issues.selectors
    .visible_to). An item that names no problem serves every problem of its meeting."""
    tasked = ActionItem.objects.filter(department_id=department_id)
    named = tasked.filter(problem__isnull=False).values("problem_id")
    of_meeting = CoordinationMeeting.problems.through.objects.filter(
        coordinationmeeting_id__in=tasked.filter(problem__isnull=True).values("meeting_id")
    ).values("problem_id")
    return Q(pk__in=named) | Q(pk__in=of_meeting)


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


def coordination_actions(*, user, meeting: CoordinationMeeting) -> frozenset[str]:
    """The names of the actions `user` may take on the coordination `meeting` now (no query).

    The convention of issues.problem_page.problem_actions: the view makes a form for each
    name (context `actions`), the template asks `{% if actions.<name> %}`. "edit" is a
    link to the edit page (its form lives there). Ticking an item off is asked of each
    item (`can_complete`, set by the page's selector).
    """
    if not rules.can_manage_coordination(user, meeting):
        return frozenset()
    names = {"edit", "add_item"}
    if meeting.status == CoordinationMeeting.Status.PLANNED:
        names.add("mark_held")
    return frozenset(names)


def meeting_page_context(
    *, user, meeting: CoordinationMeeting, now: dt.datetime | None = None
) -> dict:
    """Everything the coordination meeting page shows but its forms (the view makes those,
    one for each name of coordination_actions)."""
    today = today_of(now)
    problems = list(
        meeting.problems.select_related("enterprise", "lead_department").order_by("due_at", "pk")
    )
    if permissions.is_office(user) or permissions.is_leader(user):
        linkable = {p.pk for p in problems}
    else:
        # A department may attend for a problem it does not handle: no link to a 404.
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
    return {
        "meeting": meeting,
        "problems": problems,
        "departments": list(meeting.departments.all()),
        "enterprises": list(meeting.enterprises.all()),
        "items": items,
        "overdue_count": sum(1 for item in items if item.overdue),
        "today": today,
    }


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
    # Consultation requests (会商) on the problem, newest first, and whether `user`
    # may ask for one now (its lead department, none pending, not escalated).
    consultations: list = ()
    can_request: bool = False


def coordination_annotations() -> dict:
    """Whether a problem has coordination meetings and consultation requests, as
    annotations of the query that loads it (issues.problem_page.problem_page_queryset): a
    problem that has none then costs problem_coordination no query."""
    return {
        "has_coordination_meetings": Exists(
            CoordinationMeeting.problems.through.objects.filter(problem_id=OuterRef("pk"))
        ),
        "has_consultation_requests": Exists(
            ConsultationRequest.objects.filter(problem_id=OuterRef("pk"))
        ),
    }


def problem_coordination(*, user, problem: Problem, now: dt.datetime | None = None):
    """The problem's coordination meetings, action items and consultation requests (two
    queries, three if it has meetings; none for what coordination_annotations, if the
    problem was loaded with them, says it has none of).

    Items that name no problem belong to every problem of their meeting.
    """
    meetings = (
        list(
            problem.coordination_meetings.select_related("convened_by").order_by(
                "-starts_at", "-pk"
            )
        )
        if getattr(problem, "has_coordination_meetings", True)
        else []
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
    consultations = (
        list(
            problem.consultation_requests.select_related(
                "requested_by", "leader", "decided_by"
            ).order_by("-requested_at", "-pk")
        )
        if getattr(problem, "has_consultation_requests", True)
        else []
    )
    for consultation in consultations:
        consultation.can_decide = (
            consultation.state == ConsultationRequest.State.PENDING
            and rules.can_decide_consultation(user, consultation)
        )
        consultation.can_withdraw = consultation.state == (
            ConsultationRequest.State.PENDING
        ) and rules.can_request_consultation(user, problem)
    return ProblemCoordination(
        meetings=meetings,
        items=items,
        can_convene=problem.status in OPEN_STATUSES and rules.can_convene_coordination(user),
        consultations=consultations,
        can_request=(
            problem.status in OPEN_STATUSES
            and problem.escalation_level == 0
            and (problem.due_at is None or problem.due_at > (now or timezone.now()))
            and rules.can_request_consultation(user, problem)
            and not any(
                c.state in (ConsultationRequest.State.PENDING, ConsultationRequest.State.ACCEPTED)
                for c in consultations
            )
        ),
    )


def leader_action_items(*, user, now: dt.datetime | None = None) -> dict[str, int]:
    """Open and overdue action items of the meetings `user` convened (one query)."""
    return ActionItem.objects.filter(meeting__convened_by=user, done=False).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today_of(now)))
    )
