"""The enterprise's file (一企一档) and the enterprises' list: who opens which file (404
for the others), which problems each sees on it, the filters, the queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AccessEvent, Action
from liaison import workdays
from liaison.models import Department
from service import services
from service.models import Visit
from service.selectors import enterprises_visible_to
from tests.issues.conftest import messages_of

pytestmark = pytest.mark.django_db


def today():
    from django.utils import timezone

    return workdays.local_date(timezone.now())


def visit_of(enterprise, actor, *, days_ago=1, findings="内部发现：资金链紧张"):
    return services.visit_record(
        actor=actor,
        enterprise=enterprise,
        visited_on=today() - dt.timedelta(days=days_ago),
        status=Visit.Status.DONE,
        purpose="了解用工需求",
        findings=findings,
    )


def file_url(enterprise):
    return reverse("service:enterprise_file", args=[enterprise.pk])


# --- who opens which file ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("office", True),
        ("leader", True),
        ("principal", True),
        ("lead_staff", True),  # leads its problem
        ("lead_head", True),
        ("co_staff", True),  # co-handles it
        ("other_staff", False),  # nothing to do with it
        ("commissioner", True),  # serves it (another department)
        ("enterprise_user", True),  # its own
        ("other_enterprise_user", False),
        ("no_profile_user", False),
    ],
)
def test_who_opens_the_file(client, request, make_problem, co_department, assigned, persona, sees):
    make_problem("dispatched", co_departments=[co_department])
    enterprise = request.getfixturevalue("enterprise")
    # other_staff shares the commissioner's department, but is not the commissioner.
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(file_url(enterprise))
    assert response.status_code == (200 if sees else 404)


def test_a_department_without_a_problem_of_it_gets_a_404(client, enterprise, lead_staff):
    client.force_login(lead_staff)
    assert client.get(file_url(enterprise)).status_code == 404
    assert not enterprises_visible_to(lead_staff).exists()


def test_the_file_needs_a_sign_in(client, enterprise):
    assert client.get(file_url(enterprise)).status_code == 302


def test_each_sees_only_the_problems_it_may_see(
    client, make_problem, enterprise, co_department, co_staff, lead_staff, office, other_staff
):
    other_lead_staff = other_staff
    mine = make_problem("dispatched", co_departments=[co_department], title="用电增容")
    theirs = make_problem("dispatched", lead=other_lead_staff, title="道路施工")
    client.force_login(co_staff)
    problems = client.get(file_url(enterprise)).context["problems"]
    assert [p.pk for p in problems] == [mine.pk]
    client.force_login(office)
    problems = client.get(file_url(enterprise)).context["problems"]
    assert {p.pk for p in problems} == {mine.pk, theirs.pk}
    client.force_login(lead_staff)
    content = client.get(file_url(enterprise)).content.decode()
    assert "用电增容" in content and "道路施工" not in content


def test_the_enterprise_sees_its_file_without_internal_parts(
    client, enterprise_user, enterprise, make_problem, commissioner, assigned
):
    make_problem("closed")
    visit_of(enterprise, commissioner)
    client.force_login(enterprise_user)
    response = client.get(file_url(enterprise))
    content = response.content.decode()
    assert response.status_code == 200
    assert "了解用工需求" in content  # when and why it was visited
    assert "内部发现" not in content  # not what the officials found
    # Coordination meetings and key tasks are internal, as on the problem's page.
    assert response.context["key_tasks"] == [] and response.context["coordination_meetings"] == []
    assert 'id="file-key-tasks"' not in content
    assert reverse("service:visit_detail", args=[1]).rsplit("/", 2)[0] not in content
    # Its own file is not an official's read of personal data.
    assert not AccessEvent.objects.filter(action=Action.VIEWED_ENTERPRISE).exists()


def test_an_official_reading_the_file_is_audited(client, office, enterprise):
    client.force_login(office)
    client.get(file_url(enterprise))
    event = AccessEvent.objects.get(action=Action.VIEWED_ENTERPRISE)
    assert event.actor == office


def test_the_enterprise_list_is_for_officials_the_enterprise_goes_to_its_file(
    client, enterprise_user, enterprise, other_staff, office
):
    client.force_login(enterprise_user)
    response = client.get(reverse("service:enterprise_list"))
    assert response.status_code == 302 and response.url == file_url(enterprise)
    client.force_login(other_staff)
    response = client.get(reverse("service:enterprise_list"))
    assert response.status_code == 200 and len(response.context["page"]) == 0
    client.force_login(office)
    assert len(client.get(reverse("service:enterprise_list")).context["page"]) == 1


def test_the_figures(client, office, enterprise, make_problem):
    make_problem("closed")
    make_problem("dispatched")
    client.force_login(office)
    context = client.get(file_url(enterprise)).context
    figures = context["figures"]
    assert figures["concluded"] == 1
    assert figures["on_time"] == 1
    assert figures["satisfied"] + figures["basically"] + figures["unsatisfied"] == 1
    assert len(context["per_year"]) == 3


# --- the list's filters --------------------------------------------------------------------


@pytest.fixture
def town(db):
    return Department.objects.create(name="凤桥镇", kind=Department.Kind.TOWN)


def names(client, query):
    response = client.get(reverse("service:enterprise_list"), query)
    assert response.status_code == 200
    return [e.name for e in response.context["page"]]


def test_the_filters(
    client, office, enterprise, other_enterprise, town, make_problem, commissioner, assigned
):
    enterprise.town = town
    enterprise.industry = "机械制造"
    enterprise.save()
    make_problem("dispatched")
    visit_of(other_enterprise, commissioner, days_ago=400)
    visit_of(enterprise, commissioner, days_ago=2)
    client.force_login(office)
    both = sorted([enterprise.name, other_enterprise.name])
    assert sorted(names(client, {})) == both
    assert names(client, {"town": town.pk}) == [enterprise.name]
    assert names(client, {"industry": "机械"}) == [enterprise.name]
    assert names(client, {"commissioner": commissioner.pk}) == [enterprise.name]
    assert names(client, {"open": "yes"}) == [enterprise.name]
    assert names(client, {"open": "no"}) == [other_enterprise.name]
    assert names(client, {"q": enterprise.credit_code}) == [enterprise.name]
    assert names(client, {"q": "南湖"}) == [other_enterprise.name]
    before = (today() - dt.timedelta(days=30)).isoformat()
    assert names(client, {"visited_before": before}) == [other_enterprise.name]
    assert names(client, {"not_visited_months": 6}) == [other_enterprise.name]


@pytest.mark.parametrize(
    "query",
    [
        {"q": "x" * 500},
        {"visited_before": "1066-10-14"},
        {"visited_before": "not a date"},
        {"not_visited_months": "1000"},
        {"not_visited_months": "-3"},
        {"town": "999999999999999999999"},
        {"commissioner": "abc"},
        {"open": "maybe"},
    ],
)
def test_garbage_filter_input_gets_a_message(client, office, enterprise, query):
    client.force_login(office)
    response = client.get(reverse("service:enterprise_list"), query)
    assert response.status_code == 200
    assert messages_of(response)


# --- queries -------------------------------------------------------------------------------


def _file_queries(client, enterprise, django_assert_num_queries, n):
    # session, user, two-factor device, profile; the enterprise; commissioners, problems,
    # problems per year, figures, invitations, coordination meetings, key tasks, visits
    # (+ their officials), the visits one may open; contact phones: none (the office
    # sees them all); the audit record.
    with django_assert_num_queries(n):
        response = client.get(file_url(enterprise))
    assert response.status_code == 200
    return response


# + the common problems its problems are linked to (policy, through service.hooks).
FILE_QUERIES = 4 + 1 + 10 + 1 + 1


def test_the_file_queries_are_constant(
    client, office, enterprise, make_problem, commissioner, assigned, django_assert_num_queries
):
    from meetings.models import Invitation, Meeting

    client.force_login(office)
    make_problem("dispatched")
    visit_of(enterprise, commissioner)
    _file_queries(client, enterprise, django_assert_num_queries, FILE_QUERIES)
    for n in range(3):
        make_problem("closed")
        visit_of(enterprise, commissioner, days_ago=10 + n)
        meeting = Meeting.objects.create(
            year=2025,
            number=n + 1,
            theme=f"政企面对面 {n}",
            starts_at=dt.datetime(2025, 3, n + 1, 9, tzinfo=dt.UTC),
            venue="区政府",
            created_by=office,
        )
        Invitation.objects.create(meeting=meeting, enterprise=enterprise)
    response = _file_queries(client, enterprise, django_assert_num_queries, FILE_QUERIES)
    assert len(response.context["problems"]) == 4
    assert len(response.context["visits"]) == 4
    assert len(response.context["invitations"]) == 3


def test_the_list_queries(client, office, enterprise, other_enterprise, django_assert_num_queries):
    client.force_login(office)
    # session, user, two-factor device, profile; the filter's towns and commissioners;
    # count, the page (open problems, last visit and commissioner annotated).
    with django_assert_num_queries(8):
        response = client.get(reverse("service:enterprise_list"))
    assert len(response.context["page"]) == 2


def test_linked_key_tasks_and_coordination_meetings_are_on_an_officials_file(
    client, office, leader, lead_department, enterprise, make_problem
):
    from keytasks.models import KeyTask
    from meetings.models import CoordinationMeeting

    problem = make_problem("dispatched")
    task = KeyTask.objects.create(
        year=2025,
        number=1,
        title="优化营商环境专项行动",
        target="全部办结",
        leader=leader,
        lead_department=lead_department,
    )
    task.problems.add(problem)
    meeting = CoordinationMeeting.objects.create(
        title="用地协调会",
        convened_by=leader,
        starts_at=dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC),
        venue="区政府",
    )
    meeting.problems.add(problem)
    client.force_login(office)
    response = client.get(file_url(enterprise))
    content = response.content.decode()
    assert "优化营商环境专项行动" in content and "用地协调会" in content
