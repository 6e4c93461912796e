"""Reads of common problems: who sees which, the office's list and page, what enterprises
see once published, and a month's progress (for the monthly bulletin)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from issues.models import Problem
from issues.selectors import visible_to as problems_visible_to
from liaison import permissions, workdays
from liaison.models import Department

from .models import (
    CommonProblem,
    CommonProblemEvent,
    CommonProblemLink,
    PolicyMeasure,
    PolicyMilestone,
)

# The page lists at most this many linked problems (the counts cover them all).
PAGE_PROBLEMS = 200


def visible_to(user) -> QuerySet[CommonProblem]:
    """The office and the leaders see every common problem; a department those it leads
    or is involved in through a measure; nobody else (enterprises: `published`)."""
    common_problems = CommonProblem.objects.all()
    if permissions.can_see_all_departments(user):
        return common_problems
    department_id = permissions.department_id_of(user)
    if department_id is None:
        return common_problems.none()
    involved = PolicyMeasure.departments.through.objects.filter(department_id=department_id).values(
        "policymeasure__common_problem_id"
    )
    return common_problems.filter(Q(lead_department_id=department_id) | Q(pk__in=involved))


def published() -> QuerySet[CommonProblem]:
    """What every enterprise user may open: published common problems."""
    return CommonProblem.objects.filter(published=True)


def list_rows(common_problems: QuerySet[CommonProblem]) -> QuerySet[CommonProblem]:
    """The office's list: one query whatever the number of rows."""
    return (
        common_problems.annotate(
            problems_total=Count("links", distinct=True),
            enterprises_total=Count("links__problem__enterprise", distinct=True),
            measures_total=Count("measures", distinct=True),
        )
        .select_related("lead_department", "responsible_leader__profile", "category")
        .order_by("-created_at", "-pk")
    )


def page(user, pk: int) -> CommonProblem:
    """The common problem with what its page shows, if `user` may see it (else DoesNotExist).

    Its problems are those the user may open (issues' own selector); the counts of
    enterprises (by town, by industry) cover every linked problem, without names.
    """
    return (
        visible_to(user)
        .select_related("lead_department", "responsible_leader__profile", "category", "created_by")
        .prefetch_related(
            Prefetch(
                "links",
                queryset=CommonProblemLink.objects.filter(problem__in=problems_visible_to(user))
                .select_related("problem__enterprise", "problem__lead_department", "linked_by")
                .order_by("-linked_at", "-pk")[:PAGE_PROBLEMS],
                to_attr="visible_links",
            ),
            Prefetch(
                "measures",
                queryset=PolicyMeasure.objects.prefetch_related(
                    Prefetch("departments", queryset=Department.objects.order_by("name"))
                ).order_by("issued_on", "pk"),
            ),
            Prefetch("milestones", queryset=PolicyMilestone.objects.order_by("due_date", "pk")),
            Prefetch(
                "events",
                queryset=CommonProblemEvent.objects.select_related("actor__profile").order_by(
                    "-at", "-pk"
                )[:100],
                to_attr="recent_events",
            ),
        )
        .get(pk=pk)
    )


def affected(common_problem: CommonProblem) -> dict:
    """Enterprises affected: the number, by town and by industry (two queries)."""
    enterprise_ids = CommonProblemLink.objects.filter(common_problem=common_problem).values(
        "problem__enterprise_id"
    )
    from liaison.models import Enterprise

    enterprises = Enterprise.objects.filter(pk__in=enterprise_ids)
    by_town = list(
        enterprises.values("town__name").annotate(n=Count("pk")).order_by("-n", "town__name")
    )
    by_industry = list(
        enterprises.values("industry").annotate(n=Count("pk")).order_by("-n", "industry")
    )
    return {
        "total": sum(row["n"] for row in by_town),
        "by_town": [(row["town__name"], row["n"]) for row in by_town],
        "by_industry": [(row["industry"], row["n"]) for row in by_industry],
    }


def status_counts(common_problem: CommonProblem) -> list[tuple[str, int]]:
    """How many of its linked problems are in each state (all of them, no names)."""
    rows = (
        Problem.objects.filter(common_problem_links__common_problem=common_problem)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    )
    labels = dict(Problem._meta.get_field("status").choices)
    return [(str(labels.get(row["status"], row["status"])), row["n"]) for row in rows]


# --- what enterprises see --------------------------------------------------------------


def published_rows(user) -> QuerySet[CommonProblem]:
    """The published list, each marked whether the user's enterprise co-signed it (one query)."""
    enterprise_id = permissions.enterprise_id_of(user)
    mine = CommonProblemLink.objects.filter(
        common_problem=OuterRef("pk"), problem__enterprise_id=enterprise_id
    )
    return (
        published()
        .annotate(concerns_us=Exists(mine), measures_total=Count("measures", distinct=True))
        .only("pk", "title", "published_title", "published_text", "published_at", "status")
        .order_by("-published_at", "-pk")
    )


def published_page(user, pk: int) -> tuple[CommonProblem, list[CommonProblemLink]]:
    """A published common problem, its measures and milestones, and the user's own
    enterprise's linked problems: never another enterprise's (two queries)."""
    common_problem = (
        published()
        .prefetch_related(
            Prefetch("measures", queryset=PolicyMeasure.objects.order_by("issued_on", "pk")),
            Prefetch("milestones", queryset=PolicyMilestone.objects.order_by("due_date", "pk")),
        )
        .get(pk=pk)
    )
    enterprise_id = permissions.enterprise_id_of(user)
    own = list(
        CommonProblemLink.objects.filter(
            common_problem=common_problem, problem__enterprise_id=enterprise_id
        )
        .select_related("problem")
        .order_by("linked_at", "pk")
    )
    return common_problem, own


# --- the enterprise's file, the monthly bulletin -----------------------------------------


def linked_to_enterprise(enterprise_id: int, *, published_only: bool) -> list[CommonProblem]:
    """The common problems an enterprise's problems are linked to (one query)."""
    common_problems = CommonProblem.objects.filter(
        pk__in=CommonProblemLink.objects.filter(problem__enterprise_id=enterprise_id).values(
            "common_problem_id"
        )
    )
    if published_only:
        common_problems = common_problems.filter(published=True)
    return list(common_problems.order_by("-created_at", "-pk")[:50])


def month_progress(start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Each common problem's progress in [start, end): for the monthly bulletin.

    One row per common problem not closed before `start`: its status now, the problems
    and enterprises linked in all and during the period, the measures issued and the
    milestones done during the period, and the milestones overdue at `end`. One query
    whatever the number of common problems.
    """
    start_date, end_date = workdays.local_date(start), workdays.local_date(end)
    rows = (
        CommonProblem.objects.filter(created_at__lt=end)
        .exclude(
            status=CommonProblem.Status.CLOSED,
            updated_at__lt=start,
        )
        .annotate(
            problems_total=Count("links", distinct=True),
            problems_linked=Count(
                "links",
                filter=Q(links__linked_at__gte=start, links__linked_at__lt=end),
                distinct=True,
            ),
            enterprises_total=Count("links__problem__enterprise", distinct=True),
            measures_issued=Count(
                "measures",
                filter=Q(measures__issued_on__gte=start_date, measures__issued_on__lt=end_date),
                distinct=True,
            ),
            milestones_done=Count(
                "milestones",
                filter=Q(milestones__done_date__gte=start_date, milestones__done_date__lt=end_date),
                distinct=True,
            ),
            milestones_overdue=Count(
                "milestones",
                filter=Q(milestones__done_date__isnull=True, milestones__due_date__lt=end_date),
                distinct=True,
            ),
        )
        .select_related("lead_department")
        .order_by("-created_at", "-pk")
    )
    return [
        {
            "common_problem": row,
            "title": row.title,
            "status": row.status,
            "status_label": row.get_status_display(),
            "lead_department": row.lead_department.name,
            "published": row.published,
            "problems_total": row.problems_total,
            "problems_linked": row.problems_linked,
            "enterprises_total": row.enterprises_total,
            "measures_issued": row.measures_issued,
            "milestones_done": row.milestones_done,
            "milestones_overdue": row.milestones_overdue,
        }
        for row in rows
    ]
