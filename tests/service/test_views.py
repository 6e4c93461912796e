"""The service pages: who sees them (404 for the others), what they do, their queries."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from issues.models import Channel, Problem
from liaison import workdays
from service import services
from service.models import CommissionerAssignment, Visit, VisitProblem
from tests.issues.conftest import messages_of

pytestmark = pytest.mark.django_db

PAGES = {
    "commissioners": ("service:commissioners", ()),
    "desk": ("service:desk", ()),
    "visit_list": ("service:visit_list", ()),
    "visit_new": ("service:visit_new", ()),
    "statistics": ("service:statistics", ()),
}
# Who sees each page: the rest get a 404.
SEES = {
    "commissioners": {"office"},
    "desk": {"office", "leader", "principal", "lead_head", "lead_staff"},
    "visit_list": {"office", "leader", "principal", "lead_head", "lead_staff"},
    "visit_new": {"office", "leader", "principal", "lead_head", "lead_staff"},
    "statistics": {"office", "leader", "principal"},
}
PERSONAS = ["office", "leader", "principal", "lead_head", "lead_staff", "enterprise_user"]


def today():
    return workdays.local_date(timezone.now())


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_page_is_seen_by_its_roles_only(client, request, page, persona, assigned, visit):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    name, args = PAGES[page]
    response = client.get(reverse(name, args=args))
    assert response.status_code == (200 if persona in SEES[page] else 404)


def test_pages_need_a_sign_in(client):
    for name, args in PAGES.values():
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302


@pytest.fixture
def visit(commissioner, enterprise):
    return services.visit_record(
        actor=commissioner,
        enterprise=enterprise,
        visited_on=today() - dt.timedelta(days=1),
        status=Visit.Status.DONE,
        purpose="了解用工需求",
        findings="招工难",
    )


@pytest.mark.parametrize("persona", [*PERSONAS, "commissioner", "other_head"])
def test_a_visit_is_seen_by_those_concerned(client, request, visit, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse("service:visit_detail", args=[visit.pk]))
    # The commissioner's department (other_department) sees it: other_head too.
    sees = {"office", "leader", "principal", "commissioner", "other_head"}
    assert response.status_code == (200 if persona in sees else 404)


def test_recording_a_visit_from_the_form(client, commissioner, enterprise, leader):
    client.force_login(commissioner)
    key = str(uuid.uuid4())
    data = {
        "submission_key": key,
        "enterprise": enterprise.pk,
        "status": "done",
        "visited_on": (today() - dt.timedelta(days=2)).isoformat(),
        "purpose": "走访调研",
        "findings": "企业反映融资难",
        "leader": leader.pk,
    }
    response = client.post(reverse("service:visit_new"), data, follow=True)
    visit = Visit.objects.get()
    assert response.redirect_chain[-1][0] == reverse("service:visit_detail", args=[visit.pk])
    assert visit.leader == leader and list(visit.officials.all()) == [commissioner]
    # The same form again (a double click): one visit, and the page says so.
    response = client.post(reverse("service:visit_new"), data, follow=True)
    assert Visit.objects.count() == 1
    assert ("info", "This visit was already recorded.") in messages_of(response)


def test_a_future_visit_marked_done_gets_a_clear_message(client, commissioner, enterprise):
    client.force_login(commissioner)
    data = {
        "submission_key": str(uuid.uuid4()),
        "enterprise": enterprise.pk,
        "status": "done",
        "visited_on": (today() + dt.timedelta(days=5)).isoformat(),
        "purpose": "走访调研",
    }
    response = client.post(reverse("service:visit_new"), data)
    assert response.status_code == 200
    assert "cannot be marked done" in response.content.decode()
    assert not Visit.objects.exists()


def test_over_long_texts_are_refused(client, commissioner, enterprise):
    client.force_login(commissioner)
    data = {
        "submission_key": str(uuid.uuid4()),
        "enterprise": enterprise.pk,
        "status": "done",
        "visited_on": today().isoformat(),
        "purpose": "x" * 201,
        "findings": "y" * 5001,
    }
    response = client.post(reverse("service:visit_new"), data)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"purpose", "findings"}
    assert not Visit.objects.exists()


def test_raising_a_problem_from_the_visit_page(
    client, commissioner, visit, category, enterprise_user, office
):
    client.force_login(commissioner)
    page = client.get(reverse("service:visit_detail", args=[visit.pk]))
    assert "Raise a problem from this visit" in page.content.decode()
    data = {
        "version": visit.version,
        "submission_key": str(uuid.uuid4()),
        "title": "招工难",
        "category": category.pk,
        "description": "一线工人缺口五十人。",
        "appeal_type": "request",
    }
    url = reverse("service:visit_raise_problem", args=[visit.pk])
    response = client.post(url, data, follow=True)
    problem = Problem.objects.get()
    assert problem.channel == Channel.VISIT
    assert (problem.appeal_type, problem.suggested_appeal_type) == ("request", "request")
    assert VisitProblem.objects.get().visit == visit
    assert problem.reference in response.content.decode()
    # The office opens it from the visit; the commissioner (not its department's) cannot.
    assert f'href="/problems/{problem.reference}/"' not in response.content.decode()
    client.force_login(office)
    page = client.get(reverse("service:visit_detail", args=[visit.pk])).content.decode()
    assert f'href="/problems/{problem.reference}/"' in page
    client.force_login(commissioner)
    # Sent twice: still one problem.
    client.post(url, data, follow=True)
    assert Problem.objects.count() == 1
    # The enterprise sees it among its own.
    client.force_login(enterprise_user)
    response = client.get(reverse("issues:detail", args=[problem.reference]))
    assert response.status_code == 200


def test_a_stale_page_raises_nothing(client, commissioner, visit, category):
    client.force_login(commissioner)
    data = {
        "version": visit.version + 1,
        "submission_key": str(uuid.uuid4()),
        "title": "招工难",
        "category": category.pk,
        "description": "一线工人缺口五十人。",
    }
    response = client.post(
        reverse("service:visit_raise_problem", args=[visit.pk]), data, follow=True
    )
    assert not Problem.objects.exists()
    assert any("changed by someone else" in text for _, text in messages_of(response))


def test_marking_a_planned_visit_done(client, commissioner, enterprise):
    planned = services.visit_record(
        actor=commissioner,
        enterprise=enterprise,
        visited_on=today(),
        status=Visit.Status.PLANNED,
        purpose="回访",
    )
    client.force_login(commissioner)
    client.post(
        reverse("service:visit_mark_done", args=[planned.pk]),
        {"version": 1, "findings": "问题已解决"},
    )
    planned.refresh_from_db()
    assert planned.status == Visit.Status.DONE and planned.findings == "问题已解决"


def test_the_office_assigns_and_unassigns(client, office, enterprise, commissioner):
    client.force_login(office)
    url = reverse("service:commissioner_assign")
    client.post(url, {"enterprise": enterprise.pk, "commissioner": commissioner.pk})
    assert CommissionerAssignment.objects.get(active=True).commissioner == commissioner
    client.post(url, {"enterprise": enterprise.pk, "commissioner": ""})
    assert not CommissionerAssignment.objects.filter(active=True).exists()


def test_others_cannot_assign(client, lead_head, enterprise, commissioner):
    client.force_login(lead_head)
    response = client.post(
        reverse("service:commissioner_assign"),
        {"enterprise": enterprise.pk, "commissioner": commissioner.pk},
    )
    assert response.status_code == 404
    assert not CommissionerAssignment.objects.exists()


def test_the_enterprise_sees_its_commissioner(client, enterprise_user, commissioner, assigned):
    commissioner.profile.phone = "13800000001"
    commissioner.profile.save(update_fields=["phone"])
    commissioner.last_name = "王"
    commissioner.first_name = "助"
    commissioner.save(update_fields=["last_name", "first_name"])
    client.force_login(enterprise_user)
    content = client.get(reverse("home")).content.decode()
    assert 'id="commissioner"' in content
    assert "王助" in content and "13800000001" in content


def test_the_statistics_months_are_bounded(client, office):
    client.force_login(office)
    response = client.get(reverse("service:statistics"), {"months": 999}, follow=True)
    assert response.status_code == 200
    assert response.context["months"] == 6
    assert messages_of(response)


# --- queries ---------------------------------------------------------------------------


def test_the_desk_queries(
    client, commissioner, assigned, visit, make_problem, django_assert_num_queries
):
    for _ in range(3):
        make_problem("dispatched")
    client.force_login(commissioner)
    # session, user, the two-factor device, profile; enterprises, problems, visits due.
    with django_assert_num_queries(7):
        response = client.get(reverse("service:desk"))
    assert len(response.context["problems"]) == 3
    assert len(response.context["enterprises"]) == 1


def test_the_desk_shows_its_enterprises_escalations(
    client, commissioner, assigned, make_problem, other_enterprise_user
):
    escalated = make_problem("dispatched")
    Problem.objects.filter(pk=escalated.pk).update(escalation_level=1)
    calm = make_problem("dispatched")
    elsewhere = make_problem("dispatched", submitter=other_enterprise_user)
    Problem.objects.filter(pk=elsewhere.pk).update(escalation_level=1)
    client.force_login(commissioner)
    response = client.get(reverse("service:desk"))
    assert [p.pk for p in response.context["escalated"]] == [escalated.pk]
    assert [p.pk for p in response.context["problems"]] == [calm.pk]
    page = response.content.decode()
    escalated_section = page[page.index('id="desk-escalated"') : page.index('id="desk-problems"')]
    assert escalated.reference in escalated_section
    assert elsewhere.reference not in page


def test_the_visit_list_queries(
    client, office, visit, commissioner, enterprise, django_assert_num_queries
):
    for _ in range(3):
        services.visit_record(
            actor=commissioner,
            enterprise=enterprise,
            visited_on=today(),
            status=Visit.Status.DONE,
            purpose="再访",
        )
    client.force_login(office)
    # session, user, two-factor device, profile; count, the towns of the filter, the
    # page of visits (with their problem counts).
    with django_assert_num_queries(7):
        response = client.get(reverse("service:visit_list"))
    assert len(response.context["page"]) == 4


@pytest.mark.parametrize("problems", [0, 3])
def test_the_statistics_queries(
    client, office, visit, assigned, make_problem, problems, django_assert_num_queries
):
    for _ in range(problems):
        make_problem("dispatched", now=timezone.now())
    client.force_login(office)
    # session, user, two-factor device, profile; per department, leader, commissioner
    # (visits; their enterprises' problems), town, month; the enterprises not visited.
    with django_assert_num_queries(11):
        response = client.get(reverse("service:statistics"))
    assert response.context["stats"]["total"] == 1
    (row,) = response.context["stats"]["by_commissioner"]
    assert row["problems"]["received"] == problems
    assert f'data-commissioner="{row["commissioner_id"]}"' in response.content.decode()


@pytest.mark.parametrize("rows", [1, 4])
def test_the_visit_page_queries(
    client,
    office,
    commissioner,
    lead_staff,
    enterprise,
    leader,
    category,
    rows,
    django_assert_num_queries,
):
    """The same whatever the numbers of officials who went and problems raised."""
    visit = services.visit_record(
        actor=commissioner,
        enterprise=enterprise,
        visited_on=today() - dt.timedelta(days=1),
        status=Visit.Status.DONE,
        purpose="了解用工需求",
        officials=[commissioner, lead_staff][: 1 + (rows > 1)],
        leader=leader,
    )
    for n in range(rows):
        visit.refresh_from_db()
        services.visit_raise_problem(
            actor=commissioner,
            visit=visit,
            expected_version=visit.version,
            title=f"招工难 {n}",
            description="缺少熟练挡车工。",
            category=category,
        )
    client.force_login(office)
    # session, user, two-factor device, profile; the visit (with its enterprise, leader,
    # department, recorder), its officials, its problems; which of them the office may
    # open; the categories of the raise form.
    with django_assert_num_queries(QUERIES_VISIT_PAGE):
        response = client.get(reverse("service:visit_detail", args=[visit.pk]))
    assert len(response.context["problem_links"]) == rows


@pytest.mark.parametrize("rows", [1, 4])
def test_the_commissioners_page_queries(
    client, office, commissioner, rows, django_assert_num_queries
):
    from liaison.models import Enterprise
    from tests.issues.conftest import credit_code

    for n in range(rows):
        company = Enterprise.objects.create(name=f"嘉禾毛衫 {n}", credit_code=credit_code(50 + n))
        services.commissioner_assign(actor=office, enterprise=company, commissioner=commissioner)
    client.force_login(office)
    # session, user, two-factor device, profile; the towns of the filter; the page's count,
    # its enterprises and their commissioners; the officials to choose from.
    with django_assert_num_queries(QUERIES_COMMISSIONERS_PAGE):
        response = client.get(reverse("service:commissioners"))
    assert len(response.context["page"]) == rows


QUERIES_VISIT_PAGE = 9
QUERIES_COMMISSIONERS_PAGE = 9


def test_the_visit_list_filters(client, office, commissioner, enterprise, leader):
    led = services.visit_record(
        actor=commissioner,
        enterprise=enterprise,
        visited_on=today() - dt.timedelta(days=3),
        status=Visit.Status.DONE,
        purpose="领导走访",
        leader=leader,
    )
    planned = services.visit_record(
        actor=commissioner,
        enterprise=enterprise,
        visited_on=today() + dt.timedelta(days=3),
        status=Visit.Status.PLANNED,
        purpose="计划走访",
    )
    client.force_login(office)
    url = reverse("service:visit_list")
    assert [v.pk for v in client.get(url, {"leaders_only": "on"}).context["page"]] == [led.pk]
    assert [v.pk for v in client.get(url, {"status": "planned"}).context["page"]] == [planned.pk]
    # A nonsense filter lists everything rather than failing.
    assert len(client.get(url, {"date_from": "yesterday"}).context["page"]) == 2


def test_the_commissioner_list_filters_by_town_and_industry(
    client, office, enterprise, other_enterprise
):
    from liaison.models import Department

    town = Department.objects.create(name="王江泾镇", short_name="王江泾", kind="town")
    enterprise.town = town
    enterprise.industry = "纺织"
    enterprise.save(update_fields=["town", "industry"])
    client.force_login(office)
    url = reverse("service:commissioners")
    assert [e.pk for e in client.get(url, {"town": town.pk}).context["page"]] == [enterprise.pk]
    assert [e.pk for e in client.get(url, {"industry": "纺"}).context["page"]] == [enterprise.pk]
    assert len(client.get(url).context["page"]) == 2
