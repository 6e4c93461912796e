"""Reads of face-to-face meetings: who sees which meeting, and what their pages list."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from issues import selectors as problem_selectors
from issues.models import DISTRICT_LEADER_RELATIONS, Problem
from liaison import permissions, workdays

from .models import Invitation, Meeting


def visible_to(user) -> QuerySet[Meeting]:
    """Every face-to-face meeting `user` may see (DESIGN.md §3); anything else is a 404.

    The office and leaders: all. A department: those it takes part in, or has a problem
    of (as lead or co-department). An enterprise: those it is invited to.
    """
    meetings = Meeting.objects.all()
    if permissions.is_office(user) or permissions.is_leader(user):
        return meetings
    department_id = permissions.department_id_of(user)
    if department_id is not None:
        co_problem_ids = Problem.co_departments.through.objects.filter(
            department_id=department_id
        ).values("problem_id")
        with_problems = Problem.objects.filter(
            Q(lead_department_id=department_id) | Q(pk__in=co_problem_ids),
            meeting__isnull=False,
        ).values("meeting_id")
        participating = Meeting.departments.through.objects.filter(
            department_id=department_id
        ).values("meeting_id")
        return meetings.filter(Q(pk__in=participating) | Q(pk__in=with_problems))
    enterprise_id = permissions.enterprise_id_of(user)
    if enterprise_id is not None:
        invited = Invitation.objects.filter(enterprise_id=enterprise_id).values("meeting_id")
        return meetings.filter(pk__in=invited)
    return meetings.none()


def _count(queryset: QuerySet) -> Subquery:
    """A correlated COUNT(*) of `queryset` (already filtered on OuterRef) as an integer."""
    counted = queryset.order_by().values("meeting_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def meeting_list(user) -> QuerySet[Meeting]:
    """The meetings `user` sees, newest first, each with its invitation and problem counts.

    Counted by subqueries so that the two counts do not multiply each other.
    """
    return (
        visible_to(user)
        .annotate(
            invited_count=_count(Invitation.objects.filter(meeting=OuterRef("pk"))),
            problem_count=_count(problem_selectors.visible_to(user).filter(meeting=OuterRef("pk"))),
        )
        .order_by("-starts_at", "-id")
    )


def meeting_for_page(meeting_id: int, user) -> Meeting:
    """One meeting `user` may see, with its leaders, departments and invitations (4 queries)."""
    return (
        visible_to(user)
        .prefetch_related(
            "presiding_leaders",
            "departments",
            Prefetch(
                "invitations",
                queryset=Invitation.objects.select_related("enterprise").order_by(
                    "enterprise__name"
                ),
            ),
        )
        .get(pk=meeting_id)
    )


def meeting_actions(*, user, meeting: Meeting, now) -> frozenset[str]:
    """The names of the actions `user` may take on `meeting` at `now` (no query).

    The convention of issues.problem_page.problem_actions: the view makes a form for each
    name (context `actions`), the template asks `{% if actions.<name> %}`.
    """
    if not permissions.can_manage_meetings(user):
        return frozenset()
    names: set[str] = set()
    if meeting.status == Meeting.Status.PLANNED:
        names.add("invite")
        if meeting.starts_at <= now:
            names.add("mark_held")
    if meeting.status == Meeting.Status.HELD:
        names.add("close")
    return frozenset(names)


def problems_of(meeting: Meeting, user) -> QuerySet[Problem]:
    """The problems of `meeting` that `user` may see, by enterprise then reference."""
    return (
        problem_selectors.visible_to(user)
        .filter(meeting=meeting)
        .select_related(
            "enterprise", "category", "lead_department", "responsible_leader", "meeting"
        )
        .prefetch_related("co_departments")
        .order_by("enterprise__name", "reference")
    )


def handling_list(meeting: Meeting, user) -> list[Problem]:
    """The rows of the meeting's handling list (问题办理清单): two queries in all.

    Each problem's `responsible` is the responsible district leader, else the lead
    department's supervising leader (who an escalation would go to, DESIGN.md §5).
    """
    problems = list(problems_of(meeting, user).select_related(*DISTRICT_LEADER_RELATIONS))
    for problem in problems:
        problem.responsible = problem.district_leader
    return problems


def open_for_submission(*, enterprise=None) -> list[Meeting]:
    """The meetings a problem may be raised for, soonest first (one query).

    For an enterprise: planned meetings it is invited to. For the office (no enterprise):
    planned meetings and those held but not closed, where problems raised on the day
    are registered afterwards.
    """
    if enterprise is not None:
        meetings = Meeting.objects.filter(
            status=Meeting.Status.PLANNED,
            pk__in=Invitation.objects.filter(enterprise=enterprise).values("meeting_id"),
        )
    else:
        meetings = Meeting.objects.filter(status__in=[Meeting.Status.PLANNED, Meeting.Status.HELD])
    return list(meetings.order_by("starts_at", "id"))


def upcoming_for(user, *, limit: int = 3) -> list[Meeting]:
    """The next planned meetings `user` sees, soonest first (the home page card)."""
    return list(
        visible_to(user).filter(status=Meeting.Status.PLANNED).order_by("starts_at", "id")[:limit]
    )


def upcoming_invitations(enterprise_id: int, *, now, limit: int = 5) -> list[Invitation]:
    """The enterprise's invitations to planned meetings from today on, soonest first (one
    query, with their meetings): its home page's card. `can_reply` until the start."""
    invitations = list(
        Invitation.objects.filter(
            enterprise_id=enterprise_id,
            meeting__status=Meeting.Status.PLANNED,
            meeting__starts_at__gte=workdays.start_of_day(workdays.local_date(now)),
        )
        .select_related("meeting")
        .order_by("meeting__starts_at", "meeting_id")[:limit]
    )
    for invitation in invitations:
        invitation.can_reply = invitation.meeting.starts_at > now
    return invitations
