"""The problem page's reads: the problem loaded with what the page shows, in one query
that is also the permission check, the actions `user` may take on it (the house
convention), its burden-relief lines and what it shows of a merge (并单)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from liaison import permissions

from . import extensions, similarity
from .models import (
    ACCEPTED_STATUSES,
    DISTRICT_LEADER_RELATIONS,
    OPEN_STATUSES,
    EventKind,
    ExtensionRequest,
    Problem,
    Status,
)
from .selectors import (
    attachments_visible_to,
    events_visible_to,
    last_escalation,
    pending_extension,
    visible_to,
)


def problem_actions(*, user, problem: Problem, pending_extension=None) -> frozenset[str]:
    """The names of the actions `user` may take on `problem` now (the house convention).

    Each app answers "what may this user do here" with a selector like this one,
    `<entity>_actions(*, user, <entity>) -> frozenset[str]`, built from the role
    predicates of liaison/permissions.py and the object's state; the view turns each
    name into its form (context `actions`, by name) and the template asks
    `{% if actions.<name> %}`. `pending_extension`: the problem's pending extension
    request (pending_extension()), or None.
    """
    status = problem.status
    if problem.merged_into_id is not None:
        return merged_problem_actions(user=user, problem=problem)
    is_lead = permissions.can_act_as_lead(user, problem)
    names: set[str] = set()
    # Merging (并单): the office merges a problem not yet concluded into a main one.
    if status in (Status.SUBMITTED, *OPEN_STATUSES) and permissions.can_merge(user):
        names.add("merge")
    if status == Status.SUBMITTED and permissions.can_dispatch(user):
        names |= {"dispatch", "reject"}
    # After triage the office may reclassify (at triage the dispatch form chooses it).
    if status != Status.SUBMITTED and permissions.can_dispatch(user):
        names.add("appeal_type")
    # Dispatched early for a meeting not yet held: acknowledged once its clock starts.
    if status == Status.DISPATCHED and is_lead and problem.due_at is not None:
        names |= {"acknowledge", "return"}
    if status == Status.IN_PROGRESS and permissions.can_add_progress(user, problem):
        names.add("progress")
    if status == Status.IN_PROGRESS and is_lead:
        names.add("resolve")
        if pending_extension is None:
            names.add("extension")
    if status in OPEN_STATUSES and permissions.can_assign_handler(user, problem):
        names.add("assign")
    if (
        status == Status.RESOLVED
        and permissions.can_evaluate(user, problem)
        and not problem.awaits_callback_review
    ):
        names.add("evaluate")
    if status in (
        Status.SUBMITTED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
    ) and permissions.can_instruct(user):
        names.add("instruct")
    if pending_extension is not None and permissions.can_decide_extension(user):
        names.add("decide_extension")
    if permissions.can_attach(user, problem):
        names.add("attach")
    return frozenset(names)


def _with_page_relations(problems: QuerySet[Problem], user) -> QuerySet[Problem]:
    """`problems` loaded as the problem page reads one, in one query with its relations:
    for officials also whether it has a pending extension request, key tasks and (the
    meetings app's) coordination meetings and consultation requests, so that the page
    reads those only if there are some.

    The problem it duplicates and the main problem it is merged into (rare) are read by
    a query of their own when there is one: joined, those two more problem tables took
    PostgreSQL's planning of the page's query from 2.4 to 3.3 ms (issue 18). Who
    recorded the problem is not shown: not joined either (2.7 -> 2.4 ms)."""
    problems = (
        problems.select_related(
            *DISTRICT_LEADER_RELATIONS,
            "enterprise",
            "category",
            "handler",
            "meeting",
        )
        .prefetch_related("co_departments")
        # Whether problems are merged into it (并单): the list is read only if so.
        .annotate(has_merged=Exists(Problem.objects.filter(merged_into=OuterRef("pk"))))
    )
    if not permissions.can_see_internal_events(user):
        return problems
    annotations = {
        "has_pending_extension": Exists(
            ExtensionRequest.objects.filter(
                problem_id=OuterRef("pk"), decision=ExtensionRequest.Decision.PENDING
            )
        ),
        "has_key_tasks": Exists(
            Problem.key_tasks.through.objects.filter(problem_id=OuterRef("pk"))
        ),
    }
    coordination = extensions.meetings().coordination_annotations
    if coordination is not None:
        annotations.update(coordination())
    return problems.annotate(**annotations)


def problem_page_queryset(user) -> QuerySet[Problem]:
    """The problems `user` may see (visible_to), each loaded as its page reads it: the
    problem page's permission check and its load are one query. Built once per process
    for each role, department and enterprise (all the two read of the user) and copied
    for each use, as a class-based view's `queryset` is (issue 18: 1.1 ms a page)."""
    role, department_id = permissions.role_of(user), permissions.department_id_of(user)
    key = (role, department_id, permissions.enterprise_id_of(user))
    built = _page_querysets.get(key)
    if built is None:
        built = _with_page_relations(visible_to(user), user)
        if len(_page_querysets) < PAGE_QUERYSETS_KEPT:
            _page_querysets[key] = built
    return built.all()


_page_querysets: dict[tuple, QuerySet[Problem]] = {}  # (role, department, enterprise) -> query
PAGE_QUERYSETS_KEPT = 1000


def problem_page_context(*, user, problem: Problem, loaded: bool = False) -> dict:
    """Everything the problem page shows to `user`, and the actions they may take.

    `loaded`: `problem` comes from problem_page_queryset(user) (else it is read again so).
    `allowed_actions`: problem_actions(); the view makes their forms (a selector only reads).
    """
    if not loaded:
        problem = _with_page_relations(Problem.objects.all(), user).get(pk=problem.pk)
    status = problem.status
    context: dict = {
        "problem": problem,
        "events": list(events_visible_to(user, problem)),
        "attachments": list(attachments_visible_to(user, problem)),
        "show_internal": permissions.can_see_internal_events(user),
        "is_enterprise": permissions.is_enterprise_user(user),
        "is_lead": permissions.can_act_as_lead(user, problem),
    }
    context["last_escalation"] = (
        last_escalation(context["events"]) if context["show_internal"] else None
    )
    if context["show_internal"]:
        # Coordination meetings and their action items: one query, two if it has any.
        context["coordination"] = extensions.meetings().problem_coordination(
            user=user, problem=problem
        )
        # The key tasks the problem is linked to (keytasks builds on issues): one query.
        context["key_tasks"] = (
            list(problem.key_tasks.order_by("-year", "number")) if problem.has_key_tasks else []
        )
    pending = None
    if status == Status.IN_PROGRESS and context["show_internal"] and problem.has_pending_extension:
        pending = pending_extension(problem)
    context["pending_extension"] = pending
    context["can_print_dispatch_sheet"] = (
        status in ACCEPTED_STATUSES and permissions.can_print_dispatch_sheet(user)
    )
    context["allowed_actions"] = problem_actions(
        user=user, problem=problem, pending_extension=pending
    )
    # Burden relief (减负): its lines once answered (one query), and who may edit them.
    context["relief_outcomes"] = relief_outcomes_of(problem)
    context["can_edit_relief"] = can_edit_relief(user, problem)
    context.update(merge_context(user=user, problem=problem))
    return context


def can_edit_relief(user, problem: Problem) -> bool:
    """The lead department and the office, on an answered problem not yet closed."""
    if problem.first_resolved_at is None or problem.status == Status.CLOSED:
        return False
    return permissions.can_act_as_lead(user, problem) or permissions.is_office(user)


def relief_outcomes_of(problem: Problem) -> list:
    """The problem's burden-relief lines (one query; none if it was never answered).

    Every role that may see the problem sees them: the enterprise too, its own.
    """
    if problem.first_resolved_at is None:
        return []
    return list(problem.relief_outcomes.all())


# --- merging shared problems (并单) --------------------------------------------------------


def merged_problem_actions(*, user, problem: Problem) -> frozenset[str]:
    """A problem merged into a main one: its enterprise evaluates the answer and adds
    files; the office may undo the merge while the main problem is open. Departments act
    on the main problem."""
    names: set[str] = set()
    if (
        problem.status == Status.RESOLVED
        and permissions.can_evaluate(user, problem)
        and not problem.awaits_callback_review
    ):
        names.add("evaluate")
    if problem.status in OPEN_STATUSES and permissions.can_merge(user):
        names.add("unmerge")
    if permissions.can_attach(user, problem):
        names.add("attach")
    return frozenset(names)


def merge_context(*, user, problem: Problem) -> dict:
    """What the problem page shows of a merge: for a merged problem, its main problem and
    the main problem's timeline as `user` may see it (public only for the enterprise);
    for a main problem, the problems merged into it (officials); for a submitted or open
    problem, the office's possible duplicates. At most three queries."""
    context: dict = {
        "main_problem": None,
        "main_events": [],
        "merged_problems": [],
        "possible_duplicates": None,
    }
    if problem.merged_into_id is not None:
        main = problem.merged_into
        context["main_problem"] = main
        context["main_events"] = [
            event
            for event in events_visible_to(user, main).filter(is_public=True)
            if event.kind not in HIDDEN_FROM_MERGED
        ]
        return context
    if getattr(problem, "has_merged", True) and permissions.can_see_internal_events(user):
        context["merged_problems"] = list(
            problem.merged_problems.select_related("enterprise").order_by("merged_at", "id")
        )
    # At triage (a submitted problem), the office sees possible duplicates: one query.
    if problem.status == Status.SUBMITTED and permissions.can_merge(user):
        context["possible_duplicates"] = similarity.possible_duplicates(
            problem, similarity.candidates()
        )
    return context


# The main problem's events a merged problem's enterprise does not see: those about the
# main problem's own enterprise (its submission, evaluation, files).
HIDDEN_FROM_MERGED = frozenset(
    {
        EventKind.SUBMITTED,
        EventKind.EVALUATED,
        EventKind.EVALUATED_BY_CALLBACK,
        EventKind.REOPENED,
        EventKind.ATTACHMENT_ADDED,
        EventKind.AUTO_CLOSED,
    }
)
