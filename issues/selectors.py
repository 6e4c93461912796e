"""Reads of problems: what each user may see, and the querysets the pages list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import Exact
from django.utils import timezone

from liaison import permissions, workdays
from liaison.models import Department, Role
from liaison.pages import capped_counts
from liaison.privacy import ContactPhones

from . import extensions, similarity
from .models import (
    DISTRICT_LEADER,
    DISTRICT_LEADER_RELATIONS,
    OPEN_STATUSES,
    Attachment,
    EventKind,
    ExtensionRequest,
    Problem,
    ProblemEvent,
    Status,
)

# Burden relief (减负): the totals of a period, for the dashboard and the monthly bulletin.
from .relief.totals import ReliefRow, ReliefTotals, relief_totals  # noqa: F401


def visible_to(user) -> QuerySet[Problem]:
    """Every problem `user` may see (DESIGN.md §3); anything else is a 404."""
    problems = Problem.objects.all()
    if permissions.is_office(user) or permissions.is_leader(user):
        return problems
    department_id = permissions.department_id_of(user)
    if department_id is not None:
        co_problem_ids = Problem.co_departments.through.objects.filter(
            department_id=department_id
        ).values("problem_id")
        visible = Q(lead_department_id=department_id) | Q(pk__in=co_problem_ids)
        # A department given an action item of a coordination meeting opens the problem
        # it serves (meetings answers, as a subquery: still one query).
        tasked = extensions.meetings().action_item_problems
        if tasked is not None:
            visible |= tasked(department_id)
        return problems.filter(visible)
    enterprise_id = permissions.enterprise_id_of(user)
    if enterprise_id is not None:
        return problems.filter(enterprise_id=enterprise_id)
    return problems.none()


def contact_phones_for(
    user, *, enterprise_ids: Iterable[int] | None = None, problem: Problem | None = None
) -> ContactPhones:
    """Whose contact phones `user` sees in full: every enterprise's (the office, leaders),
    their own enterprise's, or, for a department, those of the enterprises with an open
    problem it leads or helps with (one query; `enterprise_ids` narrows it to a page's,
    and a `problem` the page read already that answers it saves the query). Everyone else
    sees them masked. Published lists of departments are not concerned."""
    if permissions.can_see_every_contact_phone(user):
        return ContactPhones(every=True)
    enterprise_id = permissions.enterprise_id_of(user)
    if enterprise_id is not None:
        return ContactPhones(enterprise_ids=frozenset({enterprise_id}))
    department_id = permissions.department_id_of(user)
    if department_id is None:
        return ContactPhones()
    if problem is not None and problem.is_open and permissions.can_add_progress(user, problem):
        return ContactPhones(enterprise_ids=frozenset({problem.enterprise_id}))
    handled = Problem.objects.filter(status__in=OPEN_STATUSES).filter(
        Q(lead_department_id=department_id)
        | Q(
            pk__in=Problem.co_departments.through.objects.filter(
                department_id=department_id
            ).values("problem_id")
        )
    )
    if enterprise_ids is not None:
        handled = handled.filter(enterprise_id__in=list(enterprise_ids))
    ids = handled.values_list("enterprise_id", flat=True).distinct()
    return ContactPhones(enterprise_ids=frozenset(ids))


def events_mentioning(user) -> list[QuerySet]:
    """Timeline entries that may name `user` in their text without being theirs: those of
    the problems they submitted, handle or are the responsible leader of."""
    problems = Problem.objects.filter(
        Q(submitted_by=user) | Q(handler=user) | Q(responsible_leader=user)
    ).values("pk")
    return [ProblemEvent.objects.filter(problem__in=problems).exclude(actor=user)]


def district_leader_is(user) -> Q:
    """Problems whose district leader (models.DISTRICT_LEADER) is `user`: "my area"."""
    return Q(Exact(DISTRICT_LEADER, user.pk))


def with_list_relations(problems: QuerySet[Problem]) -> QuerySet[Problem]:
    """What a list's cards show of each problem's relations, in the same query.

    PostgreSQL plans a query in time that grows fast with its joins (the problem table
    has dozens of indexes to weigh for each): at 100,000 problems, the planning of a
    list's page took 3.1 ms with five joins, 1.9 ms with four and 0.6 ms with three, more
    than the page's reading (issue 18). So three are joined, and the one thing a card
    shows of a meeting (a problem dispatched early: "clock starts at the meeting on
    ...") is its start, read by a subquery (`meeting_starts_at`, which deadline_state
    uses), planned on its own. The API shows the main problem a merged one is handled
    with: with_api_relations.
    """
    meetings = Problem._meta.get_field("meeting").related_model.objects
    return problems.select_related("enterprise", "category", "lead_department").annotate(
        meeting_starts_at=Subquery(meetings.filter(pk=OuterRef("meeting_id")).values("starts_at"))
    )


def with_api_relations(problems: QuerySet[Problem]) -> QuerySet[Problem]:
    """with_list_relations and the main problem a merged one is handled with (并单): the
    API shows its reference."""
    return with_list_relations(problems).select_related("merged_into")


def events_visible_to(user, problem: Problem) -> QuerySet[ProblemEvent]:
    events = problem.events.select_related("actor", "actor__profile")
    if not permissions.can_see_internal_events(user):
        events = events.filter(is_public=True)
    return events.order_by("created_at", "id")


def attachments_visible_to(user, problem: Problem) -> QuerySet[Attachment]:
    attachments = problem.attachments.all()
    if not permissions.can_see_internal_events(user):
        attachments = attachments.filter(is_public=True)
    return attachments


def with_dispatch_sheet_relations(problems: QuerySet[Problem]) -> QuerySet[Problem]:
    """What a dispatch sheet (交办单) names: two queries for the problem."""
    return problems.select_related(
        "enterprise", "category", "meeting", *DISTRICT_LEADER_RELATIONS
    ).prefetch_related("co_departments")


def last_dispatch(problem: Problem) -> ProblemEvent | None:
    """The latest dispatch (a problem returned by its department is dispatched again)."""
    return (
        problem.events.filter(kind=EventKind.DISPATCHED)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


def pending_extension(problem: Problem) -> ExtensionRequest | None:
    return (
        problem.extensions.filter(decision=ExtensionRequest.Decision.PENDING)
        .select_related("requested_by")
        .first()
    )


def escalated_to(user) -> QuerySet[Problem]:
    """Open escalated problems that are `user`'s to act on, most overdue first.

    A district leader: those escalated to them (the responsible leader, else the lead
    department's supervising leader). A principal leader: those, and every problem at
    the second level. The office: all. Each row says whether an extension request
    waits for a decision (`has_pending_extension`).
    """
    escalated = Problem.objects.filter(status__in=OPEN_STATUSES, escalation_level__gte=1)
    if not permissions.is_office(user):
        if not permissions.is_leader(user):
            return escalated.none()
        mine = district_leader_is(user)
        if permissions.role_of(user) == Role.PRINCIPAL:
            mine |= Q(escalation_level__gte=2)
        escalated = escalated.filter(mine)
    pending = ExtensionRequest.objects.filter(
        problem=OuterRef("pk"), decision=ExtensionRequest.Decision.PENDING
    )
    return (
        with_list_relations(escalated)
        .select_related("responsible_leader")
        .annotate(has_pending_extension=Exists(pending))
        .order_by("due_at", "id")
    )


def last_escalation(events: list[ProblemEvent]) -> ProblemEvent | None:
    """The escalation in force among a problem's (already loaded, in order) timeline events.

    None if a calendar edit withdrew the last one (issues.deadlines).
    """
    latest = None
    for event in events:
        if event.kind == EventKind.ESCALATED:
            latest = event
        elif event.kind == EventKind.ESCALATION_WITHDRAWN:
            latest = None
    return latest


def department_inbox(department_id: int) -> QuerySet[Problem]:
    """Dispatched to the department and not yet acknowledged, oldest deadline first."""
    return Problem.objects.filter(
        lead_department_id=department_id, status=Status.DISPATCHED, merged_into__isnull=True
    ).order_by("due_at", "id")


def department_in_progress(department_id: int) -> QuerySet[Problem]:
    return Problem.objects.filter(
        lead_department_id=department_id, status=Status.IN_PROGRESS, merged_into__isnull=True
    ).order_by("due_at", "id")


def department_co_problems(department_id: int) -> QuerySet[Problem]:
    co_problem_ids = Problem.co_departments.through.objects.filter(
        department_id=department_id
    ).values("problem_id")
    return (
        Problem.objects.filter(pk__in=co_problem_ids, merged_into__isnull=True)
        .exclude(status__in=[Status.CLOSED, Status.REJECTED])
        .order_by("due_at", "id")
    )


def overdue(problems: QuerySet[Problem], *, now: dt.datetime | None = None) -> QuerySet[Problem]:
    return problems.filter(
        status__in=OPEN_STATUSES, due_at__lt=now or timezone.now(), merged_into__isnull=True
    )


def due_within(
    problems: QuerySet[Problem], working_days: int, *, now: dt.datetime | None = None
) -> QuerySet[Problem]:
    """Open problems not yet overdue whose deadline is within N working days from today."""
    now = now or timezone.now()
    last_day, _ = workdays.add_working_days(workdays.local_date(now), working_days)
    return problems.filter(
        status__in=OPEN_STATUSES, due_at__gte=now, due_at__lte=workdays.end_of_day(last_day)
    )


def department_desk_counts(department_id: int) -> dict[str, int]:
    """The desk's tab counts and its overdue count, in one query, each stopping at the
    cap (liaison.pages.capped_counts): none reads all of a large department's rows."""
    # A problem merged into another (并单) is handled, and counted, as its main problem.
    return capped_counts(
        inbox=department_inbox(department_id),
        in_progress=department_in_progress(department_id),
        co=department_co_problems(department_id),
        overdue=Problem.objects.filter(
            lead_department_id=department_id,
            status__in=OPEN_STATUSES,
            due_at__lt=timezone.now(),
            merged_into__isnull=True,
        ),
    )


def triage_new() -> QuerySet[Problem]:
    """Submitted problems waiting for the office's first decision, oldest first."""
    return Problem.objects.filter(status=Status.SUBMITTED, clock_started_at__isnull=True).order_by(
        "created_at", "id"
    )


def triage_returned() -> QuerySet[Problem]:
    """Submitted problems a department returned (their clock had started), oldest first."""
    return Problem.objects.filter(status=Status.SUBMITTED, clock_started_at__isnull=False).order_by(
        "created_at", "id"
    )


def home_summary(
    *, user, role: str | None, supervised_department_ids: list[int] | None = None
) -> dict[str, int]:
    """The problem counts a role's home page shows, in one query; each stops at the cap
    (liaison.pages.capped_counts: "1000+"), so the home page costs the same whatever the
    number of problems. The dashboard has the exact figures."""
    now = timezone.now()
    problems = Problem.objects.all()
    overdue = problems.filter(status__in=OPEN_STATUSES, due_at__lt=now, merged_into__isnull=True)
    if role == Role.ENTERPRISE:
        own = problems.filter(enterprise_id=permissions.enterprise_id_of(user))
        return capped_counts(
            open=own.filter(status__in=[Status.SUBMITTED, *OPEN_STATUSES]),
            to_evaluate=own.filter(status=Status.RESOLVED),
            concluded=own.filter(status__in=[Status.RESOLVED, Status.CLOSED]),
        )
    if role in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD):
        return department_desk_counts(permissions.department_id_of(user))
    if role in (Role.OFFICE, Role.ADMIN):
        pending = ExtensionRequest.objects.filter(
            decision=ExtensionRequest.Decision.PENDING
        ).values("problem_id")
        resolved = problems.filter(status=Status.RESOLVED)
        return capped_counts(
            # The triage counts read their partial indexes in order (liaison.pages).
            in_order=("new", "returned"),
            new=triage_new(),
            returned=triage_returned(),
            open=problems.filter(status__in=OPEN_STATUSES, merged_into__isnull=True),
            overdue=overdue,
            extensions=problems.filter(
                status__in=[Status.SUBMITTED, *OPEN_STATUSES, Status.RESOLVED], pk__in=pending
            ),
            # Call-backs (回访): answered problems waiting for the enterprise's evaluation
            # have an auto-close time; those of an unsatisfied call-back, waiting for the
            # office's review, have none (issues.workflow.callbacks).
            to_call_back=resolved.filter(autoclose_at__isnull=False),
            to_review=resolved.filter(autoclose_at__isnull=True),
        )
    if role in (Role.LEADER, Role.PRINCIPAL):
        open_problems = problems.filter(status__in=OPEN_STATUSES)
        # "Mine" (district_leader_is) in two disjoint parts each an index reads: named
        # the responsible leader, or none named and led by a department they supervise.
        # The departments' ids are looked up first (the home page has them already, else
        # one small query): a list lets the database read each department's rows by
        # index, where a subquery made it scan the table in parallel (issue 18).
        supervised = supervised_department_ids
        if supervised is None:
            supervised = list(
                Department.objects.filter(supervising_leader=user).values_list("pk", flat=True)
            )
        mine = (Q(responsible_leader=user),)
        if supervised:
            mine += (Q(responsible_leader__isnull=True, lead_department__in=supervised),)
        escalated = tuple(open_problems.filter(part, escalation_level=1) for part in mine)
        if role == Role.PRINCIPAL:
            escalated += (open_problems.filter(escalation_level__gte=2),)
        else:
            escalated += tuple(open_problems.filter(part, escalation_level__gte=2) for part in mine)
        return capped_counts(
            open=open_problems,
            overdue=overdue,
            my_open=tuple(open_problems.filter(part) for part in mine),
            my_overdue=tuple(overdue.filter(part) for part in mine),
            my_escalations=escalated,
        )
    return {}


def triage_duplicates(problems: Iterable[Problem]) -> dict[int, list]:
    """Possible duplicates of each problem of a triage page: one query for the page."""
    problems = list(problems)
    if not problems:
        return {}
    return similarity.possible_duplicates_of_each(problems, similarity.candidates())
