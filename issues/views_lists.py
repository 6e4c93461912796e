"""The problem lists: the main list, triage, extensions to decide, escalations, the
department's desk. The problem page, its actions and files are in issues/views.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from liaison import permissions
from liaison.pages import capped_counts, capped_page_of, page_of, role_required

from . import extensions, selectors
from .filters import ProblemFilter
from .models import ExtensionRequest

ENTERPRISE_FILTERS = frozenset({"q", "status", "category", "ordering", "page"})


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@require_GET
def problem_list(request):
    """All problems the user may see, filtered: the office's and leaders' main list."""
    base = selectors.with_list_relations(selectors.visible_to(request.user))
    data = request.GET
    if permissions.is_enterprise_user(request.user):
        # An enterprise filters its own problems by text, status and category only:
        # the other filters (leader, department, ...) would tell it internal facts.
        data = data.copy()
        for key in list(data):
            if key not in ENTERPRISE_FILTERS:
                del data[key]
    problem_filter = ProblemFilter(data, queryset=base.order_by("-created_at", "-id"))
    problems = problem_filter.qs if problem_filter.is_valid() else base.none()
    return render(
        request,
        "issues/problem_list.html",
        {
            "filter": problem_filter,
            # What the list is narrowed to, said above it (a home page's figure links here).
            "active_filters": problem_filter.active(),
            "page": capped_page_of(request, problems),
            "querystring": _querystring_without_page(request),
            "now": timezone.now(),
            "is_enterprise": permissions.is_enterprise_user(request.user),
        },
    )


@role_required(permissions.is_office)
@require_GET
def triage(request):
    """New problems waiting for dispatch, and problems departments returned."""
    returned, new = selectors.triage_returned(), selectors.triage_new()
    show = "returned" if request.GET.get("show") == "returned" else "new"
    # Each tab is read, and counted, in the order of its partial index (problem_triage_new,
    # _returned).
    page = capped_page_of(
        request,
        selectors.with_list_relations(returned if show == "returned" else new),
        count_in_order=True,
    )
    # Possible duplicates among other enterprises' open problems (并单): one query.
    duplicates = selectors.triage_duplicates(page.object_list)
    return render(
        request,
        "issues/triage.html",
        {
            "page": page,
            "duplicates": [(p, duplicates[p.pk]) for p in page.object_list if duplicates[p.pk]],
            "show": show,
            # Both tab counts in one query, each stopping at the cap (liaison.pages), each
            # read in the order of its partial index (problem_triage_new, _returned).
            **capped_counts(
                in_order=("new_count", "returned_count"), new_count=new, returned_count=returned
            ),
            "querystring": f"show={show}",
            "now": timezone.now(),
        },
    )


@role_required(permissions.can_decide_extension)
@require_GET
def extension_list(request):
    pending = (
        ExtensionRequest.objects.filter(decision=ExtensionRequest.Decision.PENDING)
        .select_related(
            "problem", "problem__enterprise", "problem__lead_department", "requested_by"
        )
        .order_by("requested_at", "id")
    )
    return render(
        request,
        "issues/extension_list.html",
        {"page": page_of(request, pending), "querystring": "", "now": timezone.now()},
    )


def _can_see_escalations(user) -> bool:
    return permissions.is_leader(user) or permissions.is_office(user)


@role_required(_can_see_escalations)
@require_GET
def escalation_list(request):
    """A leader's escalated problems ("my escalations"), most overdue first, to act on."""
    is_office = permissions.is_office(request.user)
    return render(
        request,
        "issues/escalation_list.html",
        {
            # The office's list is every escalated open problem by deadline: exactly the
            # rows of problem_open_escalated, in its order, so its capped count reads that
            # index and stops (unordered, at 1,000,000 the planner built a bitmap of all
            # 100,000 escalated rows first: 135 ms). A leader's is a part of it: not.
            "page": capped_page_of(
                request, selectors.escalated_to(request.user), count_in_order=is_office
            ),
            "querystring": "",
            "now": timezone.now(),
            "is_office": is_office,
        },
    )


@role_required(permissions.is_department_user)
@require_GET
def department_desk(request):
    """The department's work: to acknowledge, in progress by deadline, co-handled."""
    department_id = permissions.department_id_of(request.user)
    tabs = {
        "inbox": selectors.department_inbox(department_id),
        "in_progress": selectors.department_in_progress(department_id),
        "co": selectors.department_co_problems(department_id),
    }
    tab = request.GET.get("tab", "inbox")
    if tab not in tabs:
        tab = "inbox"
    counts = selectors.department_desk_counts(department_id)
    return render(
        request,
        "issues/department_desk.html",
        {
            "tab": tab,
            "counts": counts,
            "page": capped_page_of(request, selectors.with_list_relations(tabs[tab])),
            "querystring": f"tab={tab}",
            "now": timezone.now(),
            # The coordination meetings' tasks for the department, to tick off here.
            "action_items": extensions.meetings().department_open_items(
                department_id, user=request.user
            ),
        },
    )
