"""The printable dispatch sheet (交办单) of a problem: what it names, who may print it.

Who may open it, role by role, is in test_permission_matrix.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from issues import workflow
from issues.models import Problem, Status
from liaison.models import Enterprise
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import NOW, at, copy_problems, messages_of

pytestmark = pytest.mark.django_db


def sheet_url(problem: Problem) -> str:
    return reverse("issues:dispatch_sheet", args=[problem.reference])


@pytest.fixture
def dispatched(make_problem, co_department, enterprise, office, leader):
    Enterprise.objects.filter(pk=enterprise.pk).update(
        contact_person="刘洋", contact_phone="13900000001"
    )
    problem = make_problem(Status.IN_PROGRESS, co_departments=[co_department])
    office.first_name, office.last_name = "静", "孙"
    office.save(update_fields=["first_name", "last_name"])
    return problem


def test_it_names_what_a_dispatch_sheet_names(client_as, office, dispatched, co_department):
    response = client_as(office).get(sheet_url(dispatched), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    html = response.content.decode()
    sheet = {
        "sheet-reference": dispatched.reference,
        "sheet-enterprise": "嘉禾精密机械有限公司",
        "sheet-contact": "刘洋",
        "sheet-phone": "13900000001",
        "sheet-title": dispatched.title,
        "sheet-description": "喷漆车间产生的漆渣无处处置，库存已近上限。",
        "sheet-lead": "区生态环境分局",
        "sheet-co": co_department.name,
        # No responsible leader was chosen: the lead department's supervising leader.
        "sheet-leader": "leader",
        # Dispatched on Fri 2025-09-26 10:00: due Thu 2025-10-16 (National Day week off).
        "sheet-dispatched": "2025年9月26日 10:00",
        "sheet-deadline": "2025年10月16日（星期四）",
    }
    for element, text in sheet.items():
        assert f'id="{element}"' in html, element
        start = html.index(f'id="{element}"')
        assert text in html[start : html.index("</", start)], element
    assert "10个工作日" in html
    assert "交办单位（盖章）" in html and "签收人" in html  # room to sign and seal
    assert 'id="sheet-provisional"' not in html


def test_a_provisional_deadline_says_so(client_as, office, dispatched):
    Problem.objects.filter(pk=dispatched.pk).update(deadline_provisional=True)

    html = client_as(office).get(sheet_url(dispatched)).content.decode()

    assert 'id="sheet-provisional"' in html
    assert "the deadline may move" in html


def test_an_extended_deadline_shows_the_first_one_too(client_as, office, dispatched):
    Problem.objects.filter(pk=dispatched.pk).update(due_at=at("2025-10-23 23:59:59"))

    html = client_as(office).get(sheet_url(dispatched)).content.decode()

    assert "by Thu 23 Oct 2025" in html
    assert "first deadline Thu 16 Oct 2025" in html


def test_a_problem_dispatched_before_its_meeting_counts_from_the_meeting(
    client_as, office, enterprise_user, category, lead_department, leader
):
    from meetings import services

    meeting = services.meeting_create(
        actor=office,
        theme="园区企业危废处置专题",
        starts_at=at("2025-09-30 14:30"),
        venue="区行政中心 3 楼会议室",
        presiding_leaders=[leader],
        departments=[lead_department],
        enterprises=[enterprise_user.profile.enterprise],
        now=NOW,
    )
    problem = workflow.problem_submit(
        actor=enterprise_user,
        enterprise=enterprise_user.profile.enterprise,
        title="漆渣无处处置",
        description="喷漆车间每月约 2 吨漆渣。",
        category=category,
        meeting=meeting,
        now=NOW,
    )
    workflow.problem_dispatch(
        problem_id=problem.pk, actor=office, lead_department=lead_department, now=NOW
    )

    html = client_as(office).get(sheet_url(problem)).content.decode()

    assert "10 working days from the face-to-face meeting on 30 Sep 2025" in html


def test_a_problem_not_dispatched_has_no_sheet(client_as, office, make_problem):
    problem = make_problem(Status.SUBMITTED)

    response = client_as(office).get(sheet_url(problem), follow=True)

    assert response.redirect_chain == [(reverse("issues:detail", args=[problem.reference]), 302)]
    assert messages_of(response) == [
        ("info", "This problem has not been dispatched: it has no dispatch sheet.")
    ]


@pytest.mark.parametrize(
    "persona, linked",
    [("office", True), ("lead_staff", True), ("leader", True), ("enterprise_user", False)],
)
def test_the_problem_page_links_officials_to_it(client_as, request, dispatched, persona, linked):
    response = client_as(request.getfixturevalue(persona)).get(
        reverse("issues:detail", args=[dispatched.reference])
    )

    assert (sheet_url(dispatched) in response.content.decode()) == linked


def test_a_submitted_problem_page_does_not_link_to_it(client_as, office, make_problem):
    problem = make_problem(Status.SUBMITTED)

    response = client_as(office).get(reverse("issues:detail", args=[problem.reference]))

    assert sheet_url(problem) not in response.content.decode()


@pytest.mark.parametrize("co", [1, 8])
def test_it_counts_its_queries(
    client_as, lead_staff, make_problem, department_factory, co, django_assert_num_queries
):
    problem = make_problem(Status.DISPATCHED, co_departments=department_factory(co))
    copy_problems(problem, 3)
    client = client_as(lead_staff)

    # 1 session, 2 user, 3 profile, 4 the problem with enterprise, category, lead
    # department and its leader, responsible leader, meeting, 5 co-departments, 6 the
    # audit trail's record of the print, 7 the last dispatch with its actor
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        response = client.get(sheet_url(problem))
    assert response.status_code == 200


@pytest.fixture
def department_factory(leader):
    from liaison.models import Department

    def make(n: int) -> list:
        return [
            Department.objects.create(
                name=f"协办单位{i}", short_name=f"协办{i}", supervising_leader=leader
            )
            for i in range(n)
        ]

    return make


def test_the_dispatch_time_is_the_last_dispatch(client_as, office, make_problem, lead_staff):
    problem = make_problem(Status.DISPATCHED)
    workflow.problem_return(
        problem_id=problem.pk, actor=lead_staff, reason="不属于本单位职责", now=NOW
    )
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=lead_staff.profile.department,
        now=NOW + dt.timedelta(days=3, hours=5),
    )

    html = client_as(office).get(sheet_url(problem)).content.decode()

    assert "29 Sep 2025, 15:00" in html
