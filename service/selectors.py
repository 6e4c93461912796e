"""Reads of the service side: who may see which visits, the commissioner's desk, statistics."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, ExtractYear, TruncMonth

from issues import metrics
from issues import selectors as issue_selectors
from issues.models import OPEN_STATUSES, Problem, Satisfaction
from liaison import permissions
from liaison.models import Enterprise

from .hooks import file_sections
from .models import CommissionerAssignment, Visit, VisitProblem
from .services import OFFICIAL_ROLES, is_official

# How many months without a visit the statistics page may ask about.
MONTHS_MIN, MONTHS_MAX, MONTHS_DEFAULT = 1, 36, 6


def can_see_visits(user) -> bool:
    return is_official(user)


def can_see_statistics(user) -> bool:
    return permissions.is_office(user) or permissions.is_leader(user)


def can_assign(user) -> bool:
    return permissions.is_office(user)


def visits_visible_to(user) -> QuerySet[Visit]:
    """The office and leaders: all; others: their department's, those they went on or
    recorded, and those of the enterprises they serve as commissioner."""
    visits = Visit.objects.all()
    if permissions.is_office(user) or permissions.is_leader(user):
        return visits
    if not is_official(user):
        return visits.none()
    served = CommissionerAssignment.objects.filter(commissioner=user, active=True).values(
        "enterprise_id"
    )
    mine = (
        Q(created_by=user)
        | Q(pk__in=Visit.officials.through.objects.filter(user_id=user.pk).values("visit_id"))
        | Q(enterprise_id__in=served)
    )
    department_id = permissions.department_id_of(user)
    if department_id is not None:
        mine |= Q(department_id=department_id)
    return visits.filter(mine)


def visits_mentioning(user) -> list[QuerySet]:
    """Visits whose purpose or findings may name `user` without referring to them: those to
    the enterprise they sign in for (the officials who went are referred to already)."""
    enterprise_id = permissions.enterprise_id_of(user)
    if enterprise_id is None:
        return []
    return [Visit.objects.filter(enterprise_id=enterprise_id)]


def visit_list(user, *, filters: dict | None = None) -> QuerySet[Visit]:
    filters = filters or {}
    visits = visits_visible_to(user).select_related("enterprise", "leader", "department")
    if filters.get("status"):
        visits = visits.filter(status=filters["status"])
    if filters.get("town"):
        visits = visits.filter(enterprise__town=filters["town"])
    if filters.get("enterprise"):
        visits = visits.filter(enterprise__name__icontains=filters["enterprise"])
    if filters.get("date_from"):
        visits = visits.filter(visited_on__gte=filters["date_from"])
    if filters.get("date_to"):
        visits = visits.filter(visited_on__lte=filters["date_to"])
    if filters.get("leaders_only"):
        visits = visits.filter(leader__isnull=False)
    return visits.annotate(problem_count=Count("problem_links")).order_by("-visited_on", "-pk")


def visit_for_page(pk: int, user) -> Visit:
    """The visit with its people and problems, if `user` may see it (else Visit.DoesNotExist)."""
    return (
        visits_visible_to(user)
        .select_related("enterprise", "leader", "department", "created_by")
        .prefetch_related(
            Prefetch("officials", queryset=get_user_model().objects.order_by("pk")),
            Prefetch(
                "problem_links",
                queryset=VisitProblem.objects.select_related("problem").order_by("pk"),
            ),
        )
        .get(pk=pk)
    )


def commissioner_of(enterprise_id: int):
    """The enterprise's active commissioner (with profile), or None."""
    assignment = (
        CommissionerAssignment.objects.filter(enterprise_id=enterprise_id, active=True)
        .select_related("commissioner__profile")
        .first()
    )
    return assignment.commissioner if assignment else None


def officials() -> QuerySet:
    """Who may be named on a visit, or as a commissioner."""
    return (
        get_user_model()
        .objects.filter(is_active=True, profile__role__in=OFFICIAL_ROLES)
        .exclude(profile__is_service_account=True)
        .select_related("profile", "profile__department")
        .order_by("profile__department__name", "last_name", "first_name", "username")
    )


def enterprises_with_commissioners(*, town=None, industry: str = "") -> QuerySet[Enterprise]:
    active = CommissionerAssignment.objects.filter(active=True).select_related(
        "commissioner__profile"
    )
    enterprises = Enterprise.objects.select_related("town").prefetch_related(
        Prefetch("commissioner_assignments", queryset=active, to_attr="active_assignments")
    )
    if town is not None:
        enterprises = enterprises.filter(town=town)
    if industry:
        enterprises = enterprises.filter(industry__icontains=industry)
    return enterprises.order_by("name", "pk")


def desk(user, *, today: dt.date) -> dict:
    """The commissioner's desk: their enterprises, open and escalated problems, visits due."""
    served = CommissionerAssignment.objects.filter(commissioner=user, active=True).values(
        "enterprise_id"
    )
    enterprises = list(
        Enterprise.objects.filter(pk__in=served)
        .select_related("town")
        .annotate(
            last_visit=Max("visits__visited_on", filter=Q(visits__status=Visit.Status.DONE)),
            open_problems=Count("problems", filter=Q(problems__status__in=OPEN_STATUSES)),
        )
        .order_by("name")
    )
    visible = issue_selectors.visible_to(user).filter(pk=OuterRef("pk"))
    problems = list(
        Problem.objects.filter(enterprise_id__in=served, status__in=OPEN_STATUSES)
        .select_related("enterprise", "lead_department")
        .annotate(can_open=Exists(visible))
        .order_by("-escalation_level", "due_at", "pk")[:100]
    )
    soon = today + dt.timedelta(days=14)
    visits_due = list(
        Visit.objects.filter(enterprise_id__in=served)
        .filter(
            Q(status=Visit.Status.PLANNED, visited_on__lte=soon)
            | Q(follow_up_on__isnull=False, follow_up_on__lte=soon, follow_up_on__gte=today)
        )
        .select_related("enterprise")
        .order_by("visited_on", "pk")[:50]
    )
    return {
        "enterprises": enterprises,
        "problems": [p for p in problems if p.escalation_level == 0],
        "escalated": [p for p in problems if p.escalation_level > 0],
        "visits_due": visits_due,
    }


def statistics(*, year: int, months: int, today: dt.date, now: dt.datetime | None = None) -> dict:
    """Visits done in `year` per department, leader, commissioner (with their enterprises'
    problems: commissioner_statistics), town and month; and the enterprises not visited
    for `months` months."""
    done = Visit.objects.filter(status=Visit.Status.DONE, visited_on__year=year)
    by_department = list(
        done.values("department__name").annotate(n=Count("pk")).order_by("-n", "department__name")
    )
    by_leader = list(
        done.filter(leader__isnull=False)
        .values("leader__first_name", "leader__last_name", "leader__username")
        .annotate(n=Count("pk"))
        .order_by("-n", "leader__username")
    )
    by_commissioner = commissioner_statistics(year=year, now=now)
    by_town = list(done.values("enterprise__town__name").annotate(n=Count("pk")).order_by("-n"))
    by_month = {
        row["month"].month: row["n"]
        for row in done.annotate(month=TruncMonth("visited_on"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    }
    since = _months_before(today, months)
    not_visited = list(
        Enterprise.objects.select_related("town")
        .annotate(last_visit=Max("visits__visited_on", filter=Q(visits__status=Visit.Status.DONE)))
        .filter(Q(last_visit__isnull=True) | Q(last_visit__lt=since))
        .order_by("last_visit", "name")[:200]
    )
    return {
        "by_department": by_department,
        "by_leader": by_leader,
        "by_commissioner": by_commissioner,
        "by_town": by_town,
        "by_month": [(month, by_month.get(month, 0)) for month in range(1, 13)],
        "total": sum(by_month.values()),
        "leader_total": sum(row["n"] for row in by_leader),
        "not_visited": not_visited,
        "since": since,
    }


# Escalated (at least once) to a district leader: the level stays after the answer.
ESCALATED = Q(escalation_level__gte=1)


def commissioner_statistics(*, year: int, now: dt.datetime | None = None) -> list[dict]:
    """Per active commissioner: the enterprises served, the visits done to them in `year`
    and the last one ever; the problems those enterprises raised in `year` (raised, open,
    escalated, concluded on time and satisfaction rates: issues.metrics' definitions).
    Two queries, whatever the numbers of commissioners, enterprises and problems."""
    done_visit = Q(enterprise__visits__status=Visit.Status.DONE)
    rows = list(
        CommissionerAssignment.objects.filter(active=True)
        .values(
            "commissioner_id",
            "commissioner__first_name",
            "commissioner__last_name",
            "commissioner__username",
        )
        .annotate(
            enterprises=Count("enterprise", distinct=True),
            n=Count(
                "enterprise__visits",
                filter=done_visit & Q(enterprise__visits__visited_on__year=year),
            ),
            last_visit=Max("enterprise__visits__visited_on", filter=done_visit),
        )
        .order_by("-n", "commissioner__username")
    )
    # One active commissioner per enterprise (a constraint): each problem counts once.
    serving = CommissionerAssignment.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), active=True
    ).values("commissioner_id")[:1]
    problems = {
        row.pop("commissioner_id"): metrics.with_rates(row)
        for row in Problem.objects.filter(created_at__year=year)
        .annotate(commissioner_id=Subquery(serving))
        .filter(commissioner_id__isnull=False)
        .values("commissioner_id")
        .annotate(**metrics.totals(now), escalated=Count("pk", filter=ESCALATED))
        .order_by()
    }
    empty = metrics.with_rates({"received": 0, "open": 0, "escalated": 0})
    for row in rows:
        row["problems"] = problems.get(row["commissioner_id"], empty)
    return rows


def _months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return dt.date(year, month + 1, min(day.day, 28))


# --- the enterprise's file (一企一档) ------------------------------------------------------


def can_see_enterprise_files(user) -> bool:
    """Officials (each sees the files `enterprises_visible_to` gives them) and enterprises."""
    return is_official(user) or permissions.enterprise_id_of(user) is not None


def enterprises_visible_to(user) -> QuerySet[Enterprise]:
    """The office, leaders, principal leaders and admins: every enterprise; a department:
    those with a problem it may see (issues' rule) and those its member serves as
    commissioner; an enterprise: its own. Anything else is a 404."""
    enterprises = Enterprise.objects.all()
    if permissions.is_office(user) or permissions.is_leader(user):
        return enterprises
    enterprise_id = permissions.enterprise_id_of(user)
    if enterprise_id is not None:
        return enterprises.filter(pk=enterprise_id)
    if permissions.department_id_of(user) is None:
        return enterprises.none()
    served = CommissionerAssignment.objects.filter(commissioner=user, active=True).values(
        "enterprise_id"
    )
    with_problems = issue_selectors.visible_to(user).values("enterprise_id")
    return enterprises.filter(Q(pk__in=served) | Q(pk__in=with_problems))


def enterprise_list(user) -> QuerySet[Enterprise]:
    """The enterprises `user` may open, with their open problems and last visit (one query)."""
    open_problems = (
        Problem.objects.filter(enterprise_id=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("enterprise_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_visit = (
        Visit.objects.filter(enterprise_id=OuterRef("pk"), status=Visit.Status.DONE)
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    commissioner = CommissionerAssignment.objects.filter(enterprise_id=OuterRef("pk"), active=True)
    return (
        enterprises_visible_to(user)
        .select_related("town")
        .annotate(
            open_problems=Coalesce(Subquery(open_problems), 0),
            last_visit=Subquery(last_visit),
            commissioner_name=Subquery(commissioner.values("commissioner__username")[:1]),
            commissioner_first=Subquery(commissioner.values("commissioner__first_name")[:1]),
            commissioner_last=Subquery(commissioner.values("commissioner__last_name")[:1]),
        )
        .order_by("name", "pk")
    )


def enterprise_file(enterprise: Enterprise, user, *, today: dt.date) -> dict:
    """What the file shows `user`: a fixed number of queries, whatever the numbers of
    problems, meetings and visits."""
    from keytasks.models import KeyTask
    from meetings.models import CoordinationMeeting, Invitation

    is_enterprise = permissions.enterprise_id_of(user) is not None
    commissioners = list(
        CommissionerAssignment.objects.filter(enterprise=enterprise, active=True)
        .select_related("commissioner__profile", "commissioner__profile__department")
        .order_by("pk")
    )
    problems_qs = issue_selectors.visible_to(user).filter(enterprise=enterprise)
    problems = list(
        problems_qs.select_related("lead_department").order_by("-created_at", "-pk")[:200]
    )
    first_year = today.year - 2
    per_year = {
        row["year"]: row["n"]
        for row in problems_qs.filter(created_at__year__gte=first_year)
        .annotate(year=ExtractYear("created_at"))
        .values("year")
        .annotate(n=Count("pk"))
        .order_by()
    }
    figures = problems_qs.aggregate(
        concluded=Count("pk", filter=metrics.CONCLUDED),
        on_time=Count("pk", filter=metrics.ON_TIME),
        satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
        basically=Count("pk", filter=Q(satisfaction=Satisfaction.BASICALLY)),
        unsatisfied=Count("pk", filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
    )
    figures["on_time_rate"] = metrics.rate(figures["on_time"], figures["concluded"])
    invitations = list(
        Invitation.objects.filter(enterprise=enterprise)
        .select_related("meeting")
        .order_by("-meeting__starts_at", "-pk")[:100]
    )
    # Coordination meetings and key tasks are internal (as on the problem's page).
    coordination: list = []
    key_tasks: list = []
    if permissions.can_see_internal_events(user):
        coordination = list(
            CoordinationMeeting.objects.filter(problems__in=problems_qs)
            .distinct()
            .order_by("-starts_at", "-pk")[:100]
        )
        key_tasks = list(
            KeyTask.objects.filter(problems__in=problems_qs)
            .distinct()
            .order_by("-year", "number")[:100]
        )
    visits: list = []
    openable_visits: set = set()
    if is_official(user):
        visits = list(
            Visit.objects.filter(enterprise=enterprise)
            .select_related("leader", "department")
            .prefetch_related(
                Prefetch("officials", queryset=get_user_model().objects.order_by("pk"))
            )
            .order_by("-visited_on", "-pk")[:100]
        )
        openable_visits = set(
            visits_visible_to(user).filter(enterprise=enterprise).values_list("pk", flat=True)
        )
    elif is_enterprise:
        visits = list(
            Visit.objects.filter(enterprise=enterprise, status=Visit.Status.DONE)
            .only("pk", "visited_on", "purpose", "status")
            .order_by("-visited_on", "-pk")[:100]
        )
    return {
        "enterprise": enterprise,
        "is_enterprise": is_enterprise,
        "commissioners": [a.commissioner for a in commissioners],
        "problems": problems,
        "per_year": [
            (year, per_year.get(year, 0)) for year in range(today.year, first_year - 1, -1)
        ],
        "figures": figures,
        "invitations": invitations,
        "coordination_meetings": coordination,
        "key_tasks": key_tasks,
        "visits": visits,
        "openable_visits": openable_visits,
        # What the apps above add (service.hooks.register_file_section: common problems).
        "extra_sections": file_sections(enterprise, user),
    }
