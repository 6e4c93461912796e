"""The key-task page lists the linked problems and coordination meetings each official may
open, and says how many others there are, never what they are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from issues import workflow
from issues.models import Category
from liaison.models import Role
from liaison.services import profile_set_role
from meetings import coordination_services
from tests.twofactor import TWO_FACTOR_DEVICE

pytestmark = pytest.mark.django_db

SECRET_TITLE = "招工难：外省务工人员社保转移"
SECRET_MEETING = "人社专题协调会"


@pytest.fixture
def linked(district, make_task, office, leader):
    """A task of the environment department (supported by the town) linked to two problems:
    one the environment department leads, one the labour bureau leads; and to a
    coordination meeting about the labour bureau's problem only."""
    category = Category.objects.create(name_zh="用工", name_en="Labour")
    enterprise_user = district.user(Role.ENTERPRISE)

    def problem(title, lead):
        submitted = workflow.problem_submit(
            actor=enterprise_user,
            enterprise=district.enterprise,
            title=title,
            description="详见附件。",
            category=category,
        )
        return workflow.problem_dispatch(
            problem_id=submitted.pk, actor=office, lead_department=lead
        )

    own = problem("涂装废水纳管", district.department)
    other = problem(SECRET_TITLE, district.other_department)
    meeting = coordination_services.coordination_convene(
        actor=leader,
        title=SECRET_MEETING,
        starts_at=timezone.now() + dt.timedelta(days=1),
        venue="人社局",
        problems=[other],
        departments=[district.other_department],
    )
    task = make_task()
    task.problems.set([own, other])
    task.coordination_meetings.set([meeting])
    return task, own, other


def town_staff(district):
    user = get_user_model().objects.create_user("town-staff")
    profile_set_role(user=user, role=Role.DEPARTMENT_STAFF, department=district.town)
    return user


@pytest.mark.parametrize("role", [Role.OFFICE, Role.LEADER, Role.PRINCIPAL])
def test_the_office_and_leaders_see_every_link(client, district, linked, role):
    task, own, other = linked
    client.force_login(district.user(role))

    response = client.get(reverse("keytasks:task_detail", args=[task.pk]))

    html = response.content.decode()
    assert [p.pk for p in response.context["task"].problems.all()] == [other.pk, own.pk]
    assert SECRET_TITLE in html and SECRET_MEETING in html
    assert 'id="hidden-problems"' not in html and 'id="hidden-meetings"' not in html


@pytest.mark.parametrize("role", [Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD])
def test_the_lead_department_sees_its_own_problem_and_a_count(client, district, linked, role):
    task, own, other = linked
    client.force_login(district.user(role))

    response = client.get(
        reverse("keytasks:task_detail", args=[task.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    html = response.content.decode()
    assert [p.pk for p in response.context["task"].problems.all()] == [own.pk]
    assert own.reference in html
    for secret in (other.reference, SECRET_TITLE, SECRET_MEETING):
        assert secret not in html
    assert "and 1 more problem you cannot open" in html
    assert "and 1 more coordination meeting you cannot open" in html


def test_a_supporting_department_sees_no_problem_it_does_not_handle(client, district, linked):
    task, own, other = linked
    client.force_login(town_staff(district))

    response = client.get(
        reverse("keytasks:task_detail", args=[task.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["task"].problems.all()) == []
    for secret in (own.reference, other.reference, SECRET_TITLE, "涂装废水纳管", SECRET_MEETING):
        assert secret not in html
    assert "and 2 more problems you cannot open" in html
    assert "Nothing linked yet." not in html


def test_the_count_is_in_chinese_for_chinese_readers(client, district, linked):
    task, _own, _other = linked
    client.force_login(town_staff(district))

    response = client.get(
        reverse("keytasks:task_detail", args=[task.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert "另有 2 个问题您无权查看" in response.content.decode()


def test_the_page_of_a_department_counts_its_queries(
    client, district, linked, django_assert_num_queries
):
    task, _own, _other = linked
    client.force_login(district.user(Role.DEPARTMENT_STAFF))
    client.get(reverse("keytasks:task_detail", args=[task.pk]))  # the calendar, once

    # 1 session, 2 user, 3 profile, 4 the task with its counts and the totals of links,
    # 5 supporting departments, 6 milestones, 7 reports (none: no attachments query),
    # 8 the problems and 9 the coordination meetings the department may open (no meetings
    # to link: it does not manage the task)
    with django_assert_num_queries(9 + TWO_FACTOR_DEVICE):
        client.get(reverse("keytasks:task_detail", args=[task.pk]))
