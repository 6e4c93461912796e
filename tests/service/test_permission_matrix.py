"""The permission matrix of every service page and every call-back page: each role gets the
page (200), is sent on (302: a form's redirect, the enterprise to its own file, the
anonymous to the sign-in page), or gets a 404 that does not say the page exists. Writes
refused change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from issues.models import CallBack, Problem, Satisfaction, Status
from liaison import workdays
from service import services
from service.models import CommissionerAssignment, Visit, VisitProblem

pytestmark = pytest.mark.django_db

PERSONAS = [
    "office",
    "leader",
    "principal",
    "lead_head",  # leads the enterprise's problem
    "lead_staff",
    "other_head",  # the commissioner's department, not the commissioner
    "other_staff",
    "commissioner",  # serves the enterprise, recorded the visit
    "enterprise_user",
    "other_enterprise_user",
    "no_profile_user",
    None,  # anonymous
]
OFFICIALS = {
    "office",
    "leader",
    "principal",
    "lead_head",
    "lead_staff",
    "other_head",
    "other_staff",
    "commissioner",
}
TOP = {"office", "leader", "principal"}
# Those who see the visit: the office and leaders, its recorder (the commissioner) and
# his department.
SEE_VISIT = TOP | {"commissioner", "other_head", "other_staff"}
# Those who open the enterprise's file: the office and leaders, its commissioner, the
# department leading its problem, the enterprise itself.
SEE_FILE = TOP | {"commissioner", "lead_head", "lead_staff", "enterprise_user"}


def _expect(persona, sees, *, ok=200, others=404):
    if persona is None:
        return 302  # to the sign-in page
    return ok if persona in sees else others


# page -> (method, url name, args builder, expected(persona))
MATRIX = {
    "commissioners": ("get", "service:commissioners", None, lambda p: _expect(p, {"office"})),
    "commissioner_assign": (
        "post",
        "service:commissioner_assign",
        None,
        lambda p: _expect(p, {"office"}, ok=302),
    ),
    "desk": ("get", "service:desk", None, lambda p: _expect(p, OFFICIALS)),
    "visit_list": ("get", "service:visit_list", None, lambda p: _expect(p, OFFICIALS)),
    "visit_new": ("get", "service:visit_new", None, lambda p: _expect(p, OFFICIALS)),
    "visit_new_post": ("post", "service:visit_new", None, lambda p: _expect(p, OFFICIALS)),
    "visit_detail": (
        "get",
        "service:visit_detail",
        lambda d: [d["visit"].pk],
        lambda p: _expect(p, SEE_VISIT),
    ),
    "visit_mark_done": (
        "post",
        "service:visit_mark_done",
        lambda d: [d["planned"].pk],
        lambda p: _expect(p, SEE_VISIT, ok=302),
    ),
    "visit_raise_problem": (
        "post",
        "service:visit_raise_problem",
        lambda d: [d["visit"].pk],
        lambda p: _expect(p, SEE_VISIT, ok=302),
    ),
    "statistics": ("get", "service:statistics", None, lambda p: _expect(p, TOP)),
    "enterprise_list": (
        "get",
        "service:enterprise_list",
        None,
        # The enterprise is sent to its own file.
        lambda p: (
            302
            if p in {"enterprise_user", "other_enterprise_user", None}
            else _expect(p, OFFICIALS)
        ),
    ),
    "enterprise_file": (
        "get",
        "service:enterprise_file",
        lambda d: [d["enterprise"].pk],
        lambda p: _expect(p, SEE_FILE),
    ),
    "callbacks": ("get", "issues:callbacks", None, lambda p: _expect(p, {"office"})),
    "callback_page": (
        "get",
        "issues:callback",
        lambda d: [d["resolved"].reference],
        lambda p: _expect(p, {"office"}),
    ),
    "callback_post": (
        "post",
        "issues:callback",
        lambda d: [d["resolved"].reference],
        # The office's empty form is shown again with its errors.
        lambda p: _expect(p, {"office"}),
    ),
    "callback_review": (
        "post",
        "issues:callback_review",
        lambda d: [d["review"].reference],
        lambda p: _expect(p, {"office"}, ok=302),
    ),
}


def _today():
    return workdays.local_date(timezone.now())


@pytest.fixture
def world(office, enterprise, commissioner, assigned, make_problem):
    from issues import workflow

    visit = services.visit_record(
        actor=commissioner,
        enterprise=enterprise,
        visited_on=_today() - dt.timedelta(days=1),
        status=Visit.Status.DONE,
        purpose="了解用工需求",
    )
    planned = services.visit_record(
        actor=commissioner,
        enterprise=enterprise,
        visited_on=_today() + dt.timedelta(days=3),
        status=Visit.Status.PLANNED,
        purpose="计划走访",
    )
    make_problem(Status.DISPATCHED)  # the lead department opens the enterprise's file
    resolved = make_problem(Status.RESOLVED)
    review = make_problem(Status.RESOLVED)
    workflow.callback_record(
        problem_id=review.pk,
        actor=office,
        outcome=CallBack.Outcome.REACHED,
        satisfaction=Satisfaction.UNSATISFIED,
        said="不满意",
        called_at=review.first_resolved_at + dt.timedelta(hours=1),
        now=review.first_resolved_at + dt.timedelta(hours=2),
    )
    return {
        "enterprise": enterprise,
        "visit": visit,
        "planned": planned,
        "resolved": resolved,
        "review": review,
    }


def _state() -> tuple:
    """What a refused or empty write could have changed."""
    return (
        list(CommissionerAssignment.objects.order_by("pk").values()),
        list(Visit.objects.order_by("pk").values()),
        VisitProblem.objects.count(),
        Problem.objects.count(),
        list(Problem.objects.order_by("pk").values("status", "version", "satisfaction")),
        list(CallBack.objects.order_by("pk").values()),
    )


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p or "anonymous")
@pytest.mark.parametrize("page", sorted(MATRIX))
def test_the_permission_matrix(client, request, world, page, persona):
    method, name, args_of, expected = MATRIX[page]
    if persona is not None:
        client.force_login(request.getfixturevalue(persona))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse(name, args=args_of(world) if args_of else None)
    before = _state()
    # Empty forms: whoever may post gets the form's message; nothing is written either way.
    response = getattr(client, method)(url, {})
    assert response.status_code == expected(persona), (page, persona)
    if persona is None:
        assert "login" in response["Location"]
    if method == "post":
        assert _state() == before
