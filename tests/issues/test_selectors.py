"""Who sees which problems and events (issues.selectors), and the departments' lists."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from issues import selectors, workflow
from issues.models import DISTRICT_LEADER, DISTRICT_LEADER_RELATIONS, EventKind, Problem, Status
from issues.services import problem_attach

from .conftest import NOW, at, make_user, pdf_bytes, upload

pytestmark = pytest.mark.django_db

LATER = at("2025-09-29 10:00")


@pytest.fixture
def problems(make_problem, co_department, other_staff, other_enterprise_user, lead_staff):
    """One problem in each relation to the personas.

    led       lead_department leads, co_department helps; the enterprise's
    other     other_department leads; the other enterprise's
    waiting   not dispatched yet; the enterprise's
    returned  dispatched to lead_department, which sent it back; the enterprise's
    closed    lead_department led it to the end; the other enterprise's
    """
    returned = make_problem(Status.DISPATCHED)
    workflow.problem_return(problem_id=returned.pk, actor=lead_staff, reason="不属本单位", now=NOW)
    return SimpleNamespace(
        led=make_problem(Status.IN_PROGRESS, co_departments=[co_department]),
        other=make_problem(Status.DISPATCHED, submitter=other_enterprise_user, lead=other_staff),
        waiting=make_problem(),
        returned=returned,
        closed=make_problem(Status.CLOSED, submitter=other_enterprise_user),
    )


def visible(user, problems) -> set[str]:
    names = {getattr(problems, name).pk: name for name in vars(problems)}
    return {names[pk] for pk in selectors.visible_to(user).values_list("pk", flat=True)}


EVERYTHING = {"led", "other", "waiting", "returned", "closed"}


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("office", EVERYTHING),
        ("leader", EVERYTHING),
        ("principal", EVERYTHING),
        ("lead_head", {"led", "closed"}),
        ("lead_staff", {"led", "closed"}),
        ("co_head", {"led"}),
        ("co_staff", {"led"}),
        ("other_head", {"other"}),
        ("other_staff", {"other"}),
        ("enterprise_user", {"led", "waiting", "returned"}),
        ("other_enterprise_user", {"other", "closed"}),
        ("no_profile_user", set()),
    ],
)
def test_it_shows_each_persona_its_problems(request, persona, expected, problems):
    assert visible(request.getfixturevalue(persona), problems) == expected


def test_it_shows_anonymous_users_nothing(problems):
    assert visible(AnonymousUser(), problems) == set()


def test_it_shows_an_administrator_without_profile_everything(problems):
    admin = make_user("admin")
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])

    assert visible(admin, problems) == EVERYTHING


def test_it_follows_a_staff_member_who_moves_to_another_department(problems, lead_staff):
    lead_staff.profile.department = problems.other.lead_department
    lead_staff.profile.save(update_fields=["department"])

    assert visible(lead_staff, problems) == {"other"}


# --- events and attachments ------------------------------------------------------------


@pytest.fixture
def timeline(problems, lead_staff, co_staff, leader, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    problem = problems.led
    workflow.problem_add_progress(
        problem_id=problem.pk, actor=lead_staff, text="已踏勘", is_public=True, now=LATER
    )
    workflow.problem_add_progress(
        problem_id=problem.pk, actor=co_staff, text="内部协调", is_public=False, now=LATER
    )
    workflow.problem_instruct(problem_id=problem.pk, actor=leader, text="限期解决", now=LATER)
    problem_attach(
        problem_id=problem.pk,
        actor=lead_staff,
        uploads=[upload("公开.pdf", pdf_bytes())],
        now=LATER,
    )
    problem_attach(
        problem_id=problem.pk,
        actor=lead_staff,
        uploads=[upload("内部.pdf", pdf_bytes())],
        is_public=False,
        now=LATER,
    )
    return problem


PUBLIC_KINDS = [
    EventKind.SUBMITTED,
    EventKind.DISPATCHED,
    EventKind.ACKNOWLEDGED,
    EventKind.PROGRESS,
    EventKind.ATTACHMENT_ADDED,
]
ALL_KINDS = [
    EventKind.SUBMITTED,
    EventKind.DISPATCHED,
    EventKind.ACKNOWLEDGED,
    EventKind.PROGRESS,
    EventKind.PROGRESS,
    EventKind.INSTRUCTED,
    EventKind.ATTACHMENT_ADDED,
    EventKind.ATTACHMENT_ADDED,
]


@pytest.mark.parametrize(
    "persona, kinds, files",
    [
        ("enterprise_user", PUBLIC_KINDS, ["公开.pdf"]),
        ("office", ALL_KINDS, ["公开.pdf", "内部.pdf"]),
        ("leader", ALL_KINDS, ["公开.pdf", "内部.pdf"]),
        ("lead_staff", ALL_KINDS, ["公开.pdf", "内部.pdf"]),
        ("co_staff", ALL_KINDS, ["公开.pdf", "内部.pdf"]),
    ],
)
def test_it_hides_internal_events_from_enterprise_users_only(
    request, persona, kinds, files, timeline
):
    user = request.getfixturevalue(persona)

    events = selectors.events_visible_to(user, timeline)
    attachments = selectors.attachments_visible_to(user, timeline)

    assert [e.kind for e in events] == kinds
    assert [a.original_name for a in attachments] == files


# --- department lists ------------------------------------------------------------------


@pytest.fixture
def department_problems(make_problem, co_department, lead_department):
    return SimpleNamespace(
        early=make_problem(Status.DISPATCHED, now=at("2025-09-22 10:00")),
        late=make_problem(Status.DISPATCHED, now=NOW),
        working=make_problem(Status.IN_PROGRESS, co_departments=[co_department]),
        answered=make_problem(Status.RESOLVED, co_departments=[co_department]),
        closed=make_problem(Status.CLOSED, co_departments=[co_department]),
    )


def test_it_lists_a_departments_inbox_by_deadline(department_problems, lead_department):
    p = department_problems

    inbox = selectors.department_inbox(lead_department.pk)

    assert list(inbox) == [p.early, p.late]


def test_it_lists_a_departments_problems_in_progress(
    department_problems, lead_department, other_department
):
    assert list(selectors.department_in_progress(lead_department.pk)) == [
        department_problems.working
    ]
    assert not selectors.department_inbox(other_department.pk).exists()
    assert not selectors.department_in_progress(other_department.pk).exists()


def test_it_lists_the_open_problems_a_department_helps_with(
    department_problems, co_department, lead_department
):
    p = department_problems

    assert set(selectors.department_co_problems(co_department.pk)) == {p.working, p.answered}
    assert not selectors.department_co_problems(lead_department.pk).exists()


def test_it_finds_the_pending_extension(make_problem, lead_staff, office):
    problem = make_problem(Status.IN_PROGRESS)
    assert selectors.pending_extension(problem) is None

    extension = workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=2, reason="需协调", now=NOW
    )

    assert selectors.pending_extension(problem) == extension


# --- deadlines -------------------------------------------------------------------------


@pytest.fixture
def deadlines(make_problem):
    # Dispatched Mon 09-22: due Sat 10-11 (a make-up working day). Dispatched Fri 09-26:
    # due Thu 10-16.
    early = make_problem(Status.IN_PROGRESS, now=at("2025-09-22 10:00"))
    late = make_problem(Status.DISPATCHED, now=NOW)
    answered_late = make_problem(Status.RESOLVED, now=at("2025-09-22 10:00"))
    assert early.due_at == at("2025-10-11 23:59:59")
    assert late.due_at == at("2025-10-16 23:59:59")
    return SimpleNamespace(early=early, late=late, answered_late=answered_late)


@pytest.mark.parametrize(
    "now, expected",
    [
        (at("2025-10-11 23:59:59"), set()),  # the last second of the deadline is on time
        (at("2025-10-12 00:00"), {"early"}),
        (at("2025-10-16 23:59:59"), {"early"}),
        (at("2025-10-17 00:00"), {"early", "late"}),
    ],
)
def test_it_finds_overdue_open_problems(now, expected, deadlines):
    found = selectors.overdue(Problem.objects.all(), now=now)

    assert {name for name, p in vars(deadlines).items() if p in found} == expected


@pytest.mark.parametrize(
    "now, working_days, expected",
    [
        (at("2025-10-09 09:00"), 1, set()),  # Thu: Fri 10-10 is the last day counted
        (at("2025-10-09 09:00"), 2, {"early"}),  # ... and the make-up Sat 10-11
        (at("2025-10-13 09:00"), 2, set()),  # early is overdue, late due Thu 10-16
        (at("2025-10-13 09:00"), 3, {"late"}),
        (at("2025-10-16 23:00"), 0, {"late"}),  # due today
    ],
)
def test_it_finds_open_problems_due_within_working_days(now, working_days, expected, deadlines):
    found = selectors.due_within(Problem.objects.all(), working_days, now=now)

    assert {name for name, p in vars(deadlines).items() if p in found} == expected


def test_it_counts_due_within_from_the_shanghai_day(deadlines):
    # 2025-10-12 17:00 UTC is already Mon 10-13 01:00 in Shanghai; whatever time zone
    # a request activated, the working days count from the Shanghai date.
    now = dt.datetime(2025, 10, 12, 17, 0, tzinfo=dt.UTC)

    with timezone.override(dt.UTC):
        found = selectors.due_within(Problem.objects.all(), 3, now=now)

    assert set(found) == {deadlines.late}


# --- the problem's district leader: one rule for one problem and for sets ---------------


@pytest.fixture
def leaders_of(make_problem, office, principal, leader, other_department, other_staff):
    """Problems in each case of the rule (DESIGN.md §5).

    named        a responsible leader (principal) named at dispatch: theirs
    supervised   none named: the lead department's supervising leader (leader)
    unsupervised none named, and other_department has no supervising leader: nobody
    waiting      not dispatched, no lead department: nobody
    """
    other_department.supervising_leader = None
    other_department.save(update_fields=["supervising_leader"])
    named = make_problem()
    workflow.problem_dispatch(
        problem_id=named.pk,
        actor=office,
        lead_department=named.category.default_lead_department,
        responsible_leader=principal,
        now=NOW,
    )
    return SimpleNamespace(
        named=named,
        supervised=make_problem(Status.IN_PROGRESS),
        unsupervised=make_problem(Status.IN_PROGRESS, lead=other_staff),
        waiting=make_problem(),
    )


def test_the_district_leader_is_one_rule_for_a_problem_and_for_sets(
    leaders_of, leader, principal, django_assert_num_queries
):
    expected = {
        leaders_of.named.pk: principal.pk,
        leaders_of.supervised.pk: leader.pk,
        leaders_of.unsupervised.pk: None,
        leaders_of.waiting.pk: None,
    }
    problems = Problem.objects.filter(pk__in=expected)

    from_sets = dict(problems.values_list("pk", DISTRICT_LEADER))
    with django_assert_num_queries(1):
        loaded = problems.select_related(*DISTRICT_LEADER_RELATIONS)
        one_by_one = {p.pk: getattr(p.district_leader, "pk", None) for p in loaded}

    assert from_sets == one_by_one == expected
    assert [p.pk for p in problems if p.district_leader_is_responsible] == [leaders_of.named.pk]
    # "My area": the problems whose district leader is the user.
    assert set(problems.filter(selectors.district_leader_is(leader))) == {leaders_of.supervised}
    assert set(problems.filter(selectors.district_leader_is(principal))) == {leaders_of.named}
