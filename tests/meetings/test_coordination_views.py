"""Coordination pages: the list, a meeting, convening, action items on the desk, the problem
page and a leader's home; who may see and do what, bad input, and pinned query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from issues import workflow
from issues.models import EventKind, Problem, Status
from meetings import coordination_selectors
from meetings.models import ActionItem, CoordinationMeeting
from tests.meetings.fixtures_coordination import *  # noqa: F403
from tests.meetings.fixtures_coordination import TITLE, VENUE, add_item, convene, messages_of
from tests.queries import JOIN_ORDER
from tests.twofactor import TWO_FACTOR_DEVICE

LIST_URL = reverse("meetings:coordination_list")
CONVENE_URL = reverse("meetings:coordination_convene")
DESK_URL = reverse("issues:department")
HOME_URL = reverse("home")
ESCALATIONS_URL = reverse("issues:escalations")
SIZES = [1, 6]


def detail_url(meeting) -> str:
    return reverse("meetings:coordination_detail", kwargs={"pk": meeting.pk})


def done_url(item) -> str:
    return reverse("meetings:coordination_item_done", kwargs={"pk": item.pk})


def problem_url(problem) -> str:
    return reverse("issues:detail", kwargs={"reference": problem.reference})


@pytest.fixture
def meetings(leader, make_problem, lead_department):
    """`n` meetings of the leader, each for two problems with an overdue and an open item."""

    def make(n: int) -> list[CoordinationMeeting]:
        made = []
        for _ in range(n):
            problems = [make_problem(Status.IN_PROGRESS), make_problem(Status.DISPATCHED)]
            meeting = convene(leader, problems, days_ago=10, departments=[lead_department])
            add_item(meeting, lead_department, due_in=-1, problem=problems[0])
            add_item(meeting, lead_department, due_in=5)
            made.append(meeting)
        return made

    return make


# --- the list ----------------------------------------------------------------------------


def test_it_lists_a_leaders_meetings_with_overdue_items_flagged(client_as, leader, meetings):
    [meeting] = meetings(1)

    response = client_as(leader).get(LIST_URL)

    assert list(response.context["page"].object_list) == [meeting]
    html = response.content.decode()
    assert TITLE in html and VENUE in html
    assert "1 action item overdue" in html
    assert "2 action items" in html


def test_a_leader_sees_others_meetings_under_all(client_as, principal, meetings):
    [meeting] = meetings(1)
    client = client_as(principal)

    assert not client.get(LIST_URL).context["page"].object_list
    assert list(client.get(LIST_URL, {"show": "all"}).context["page"].object_list) == [meeting]


@pytest.mark.parametrize(
    "persona, sees", [("office", True), ("lead_staff", True), ("other_staff", False)]
)
def test_the_office_sees_all_and_a_department_its_own(client_as, request, meetings, persona, sees):
    [meeting] = meetings(1)

    response = client_as(request.getfixturevalue(persona)).get(LIST_URL)

    assert list(response.context["page"].object_list) == ([meeting] if sees else [])


def test_enterprises_have_no_coordination_pages(client_as, enterprise_user, meetings):
    [meeting] = meetings(1)
    client = client_as(enterprise_user)

    assert client.get(LIST_URL).status_code == 404
    assert client.get(detail_url(meeting)).status_code == 404


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("persona, params", [("leader", {}), ("office", {}), ("lead_staff", {})])
def test_it_counts_list_queries(
    client_as, request, meetings, warm_calendar, django_assert_num_queries, persona, params, n
):
    meetings(n)
    client = client_as(request.getfixturevalue(persona))

    # 1 session, 2 user, 3 profile, 4 count of the meetings (paginator), 5 the page of
    # meetings with their leader and counts (subqueries), 6 their problems (prefetch)
    with django_assert_num_queries(6 + TWO_FACTOR_DEVICE):
        response = client.get(LIST_URL, params)
    assert len(response.context["page"].object_list) == n


# --- a meeting ---------------------------------------------------------------------------


def test_it_shows_a_meeting_with_its_items_overdue_in_red(client_as, leader, meetings):
    [meeting] = meetings(1)

    response = client_as(leader).get(detail_url(meeting))

    html = response.content.decode()
    assert response.context["overdue_count"] == 1
    overdue = [item for item in response.context["items"] if item.overdue]
    assert len(overdue) == 1
    assert f'id="action-item-{overdue[0].pk}"' in html
    assert "border-danger" in html and "Overdue" in html
    actions = response.context["actions"]  # the convening leader edits, adds items, marks held
    assert set(actions) == {"edit", "add_item", "mark_held"}
    assert actions["add_item"] is not None


def test_a_department_not_involved_gets_a_404(client_as, other_staff, meetings):
    [meeting] = meetings(1)
    assert client_as(other_staff).get(detail_url(meeting)).status_code == 404


def test_another_leader_sees_but_does_not_manage(client_as, principal, meetings, lead_department):
    [meeting] = meetings(1)
    client = client_as(principal)

    response = client.get(detail_url(meeting))
    assert response.status_code == 200
    assert response.context["actions"] == {}
    edit = reverse("meetings:coordination_edit", kwargs={"pk": meeting.pk})
    assert client.get(edit).status_code == 404
    add = reverse("meetings:coordination_item_add", kwargs={"pk": meeting.pk})
    post = {"department": lead_department.pk, "task": "x", "due_date": "2099-01-01"}
    assert client.post(add, post).status_code == 404
    assert ActionItem.objects.filter(meeting=meeting).count() == 2


# 1 session, 2 user, 3 profile, 4 the meeting with its leader (the 404 check), 5 its
# problems with enterprise and lead department, then for a department 6 which of them it
# may open; 6/7 its action items with department, problem and who did them,
# 7/8 attending departments, 8/9 attending enterprises; for the convening leader and the
# office 9 the active departments of the add-item form
# Officials: plus the device their session passed two-factor sign-in with.
DETAIL_QUERIES = {
    "leader": 9 + TWO_FACTOR_DEVICE,
    "office": 9 + TWO_FACTOR_DEVICE,
    "principal": 8 + TWO_FACTOR_DEVICE,
    "lead_staff": 9 + TWO_FACTOR_DEVICE,
}


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("persona, queries", DETAIL_QUERIES.items(), ids=DETAIL_QUERIES.keys())
def test_it_counts_meeting_page_queries(
    client_as,
    request,
    leader,
    make_problem,
    lead_department,
    warm_calendar,
    django_assert_num_queries,
    persona,
    queries,
    n,
):
    problems = [make_problem(Status.IN_PROGRESS) for _ in range(n)]
    meeting = convene(leader, problems, days_ago=3, departments=[lead_department])
    for problem in problems:
        add_item(meeting, lead_department, problem=problem, due_in=-1)
        add_item(meeting, lead_department, due_in=2)
    client = client_as(request.getfixturevalue(persona))

    with django_assert_num_queries(queries):
        response = client.get(detail_url(meeting))
    assert len(response.context["items"]) == 2 * n


# --- convening ---------------------------------------------------------------------------


def test_the_convene_form_is_prefilled_from_the_chosen_problems(
    client_as, leader, make_problem, lead_department, co_department, enterprise
):
    problem = make_problem(Status.IN_PROGRESS, co_departments=[co_department])

    response = client_as(leader).get(CONVENE_URL, {"problems": problem.pk})

    form = response.context["form"]
    assert form.initial["problems"] == [problem.pk]
    assert form.initial["departments"] == sorted([lead_department.pk, co_department.pk])
    assert form.initial["enterprises"] == [enterprise.pk]
    assert f'value="{problem.pk}" id="conveneform_problems_0" checked' in response.content.decode()


@pytest.mark.parametrize("n", SIZES)
def test_it_counts_convene_page_queries(
    client_as, leader, make_problem, warm_calendar, django_assert_num_queries, n
):
    problems = [make_problem(Status.IN_PROGRESS) for _ in range(n)]
    Problem.objects.filter(pk__in=[p.pk for p in problems]).update(escalation_level=1)
    client = client_as(leader)

    # 1 session, 2 user, 3 profile; the initial choice: 4 the chosen open problems, 5 their
    # lead departments, 6 their co-departments, 7 their enterprises; the choices: 8 the
    # problems offered (chosen or escalated to the leader), 9 active departments,
    # 10 the problems' enterprises
    with django_assert_num_queries(10 + TWO_FACTOR_DEVICE):
        response = client.get(CONVENE_URL, {"problems": ",".join(str(p.pk) for p in problems)})
    assert len(response.context["form"].fields["problems"].queryset) == n


def convene_post(problem, **changes) -> dict:
    starts = timezone.localtime() + dt.timedelta(days=1)
    return {
        "problems": [problem.pk],
        "title": TITLE,
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "venue": VENUE,
        **changes,
    }


def test_a_leader_convenes_a_meeting(client_as, leader, open_problem, lead_department):
    response = client_as(leader).post(
        CONVENE_URL, convene_post(open_problem, departments=[lead_department.pk]), follow=True
    )

    meeting = CoordinationMeeting.objects.get()
    assert response.redirect_chain == [(detail_url(meeting), 302)]
    assert messages_of(response)[0][0] == "success"
    assert list(meeting.problems.all()) == [open_problem]
    assert list(meeting.departments.all()) == [lead_department]
    assert open_problem.events.filter(kind=EventKind.COORDINATION_CONVENED).count() == 1


def test_convening_for_a_problem_answered_meanwhile_is_refused(
    client_as, leader, lead_staff, open_problem
):
    client = client_as(leader)
    data = convene_post(open_problem)
    workflow.problem_resolve(problem_id=open_problem.pk, actor=lead_staff, answer="已解决。")

    response = client.post(CONVENE_URL, data)

    assert response.status_code == 200
    assert not CoordinationMeeting.objects.exists()
    # The form no longer offers it: the choice is refused, nothing is convened.
    [error] = response.context["form"].errors["problems"]
    assert "not one of the available choices" in error


def test_convening_in_the_past_is_refused_with_a_message(client_as, leader, open_problem):
    past = (timezone.localtime() - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    response = client_as(leader).post(CONVENE_URL, convene_post(open_problem, starts_at=past))

    assert response.status_code == 200
    assert ("error", "A planned coordination meeting cannot be in the past.") in messages_of(
        response
    )
    assert not CoordinationMeeting.objects.exists()


@pytest.mark.parametrize("persona", ["office", "lead_head", "enterprise_user"])
def test_only_leaders_open_the_convene_form(client_as, request, persona):
    assert client_as(request.getfixturevalue(persona)).get(CONVENE_URL).status_code == 404


def test_the_escalation_list_offers_convening(client_as, leader, office, open_problem):
    Problem.objects.filter(pk=open_problem.pk).update(escalation_level=1)
    convene_link = f"{CONVENE_URL}?problems={open_problem.pk}"

    assert convene_link in client_as(leader).get(ESCALATIONS_URL).content.decode()
    assert convene_link not in client_as(office).get(ESCALATIONS_URL).content.decode()


# --- action items ------------------------------------------------------------------------


def item_post(department, **changes) -> dict:
    return {
        "department": department.pk,
        "task": "三日内报送处置方案。",
        "due_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        **changes,
    }


def test_the_leader_adds_an_action_item(client_as, leader, meeting, open_problem, lead_department):
    add = reverse("meetings:coordination_item_add", kwargs={"pk": meeting.pk})

    response = client_as(leader).post(add, item_post(lead_department), follow=True)

    assert response.redirect_chain == [(detail_url(meeting), 302)]
    [item] = ActionItem.objects.all()
    assert item.problem == open_problem  # the meeting's only problem
    assert item.task == "三日内报送处置方案。"


def test_an_action_item_for_an_inactive_department_is_refused_with_a_message(
    client_as, leader, meeting, open_problem, other_department
):
    other_department.is_active = False
    other_department.save(update_fields=["is_active"])
    add = reverse("meetings:coordination_item_add", kwargs={"pk": meeting.pk})

    response = client_as(leader).post(add, item_post(other_department), follow=True)

    assert messages_of(response) == [
        (
            "error",
            "区人力资源和社会保障局 is no longer active; "
            "an action item needs an active department.",
        )
    ]
    assert not ActionItem.objects.exists()
    assert not open_problem.events.filter(kind=EventKind.ACTION_ITEM_ADDED).exists()


def test_an_action_item_due_before_the_meeting_is_refused(
    client_as, leader, meeting, lead_department
):
    add = reverse("meetings:coordination_item_add", kwargs={"pk": meeting.pk})
    early = coordination_selectors.meeting_day(meeting) - dt.timedelta(days=1)

    response = client_as(leader).post(
        add, item_post(lead_department, due_date=early.isoformat()), follow=True
    )

    [(level, text)] = messages_of(response)
    assert level == "error" and "cannot be before the meeting" in text
    assert not ActionItem.objects.exists()


def test_the_department_ticks_an_item_off_on_its_desk(
    client_as, lead_head, meeting, open_problem, lead_department
):
    item = add_item(meeting, lead_department, due_in=-1)
    client = client_as(lead_head)

    desk = client.get(DESK_URL)
    [listed] = desk.context["action_items"]
    assert listed.overdue and listed.can_complete
    assert done_url(item) in desk.content.decode()

    data = {"version": item.version, "note": "已完成现场评估。", "next": DESK_URL}
    response = client.post(done_url(item), data, follow=True)

    assert response.redirect_chain == [(DESK_URL, 302)]
    assert messages_of(response) == [("success", "The action item is marked done.")]
    item.refresh_from_db()
    assert (item.done, item.done_by, item.note) == (True, lead_head, "已完成现场评估。")
    assert not response.context["action_items"]

    again = client.post(done_url(item), data, follow=True)
    assert messages_of(again) == [("info", "This action item was already done; nothing changed.")]
    assert open_problem.events.filter(kind=EventKind.ACTION_ITEM_DONE).count() == 1


def test_ticking_off_from_a_stale_page_is_refused(client_as, lead_staff, meeting, lead_department):
    item = add_item(meeting, lead_department)
    ActionItem.objects.filter(pk=item.pk).update(version=2)

    response = client_as(lead_staff).post(
        done_url(item), {"version": 1, "next": DESK_URL}, follow=True
    )

    [(level, text)] = messages_of(response)
    assert level == "error" and "changed meanwhile" in text
    item.refresh_from_db()
    assert not item.done


def test_another_department_cannot_tick_an_item_off(
    client_as, other_staff, meeting, lead_department
):
    item = add_item(meeting, lead_department)

    assert client_as(other_staff).post(done_url(item), {"version": 1}).status_code == 404
    item.refresh_from_db()
    assert not item.done


def test_marking_held_twice_says_so(client_as, leader, meeting):
    held = reverse("meetings:coordination_held", kwargs={"pk": meeting.pk})
    client = client_as(leader)

    first = client.post(held, {"version": 1, "decisions": "议定两项任务。"}, follow=True)
    second = client.post(held, {"version": 1, "decisions": "别的"}, follow=True)

    assert messages_of(first) == [("success", "The meeting is marked held.")]
    assert messages_of(second) == [
        ("info", "The meeting was already marked held; nothing changed.")
    ]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.decisions) == ("held", "议定两项任务。")


def test_an_edit_from_a_stale_page_is_refused(client_as, leader, meeting):
    edit = reverse("meetings:coordination_edit", kwargs={"pk": meeting.pk})
    client = client_as(leader)
    form = client.get(edit).context["form"]
    data = {
        "version": 1,
        "title": "改后的主题",
        "starts_at": form.initial["starts_at"].strftime("%Y-%m-%dT%H:%M"),
        "venue": VENUE,
    }
    CoordinationMeeting.objects.filter(pk=meeting.pk).update(version=2)

    response = client.post(edit, data, follow=True)

    [(level, text)] = messages_of(response)
    assert level == "error" and "changed by someone else" in text
    meeting.refresh_from_db()
    assert meeting.title == TITLE


@pytest.mark.parametrize("n", SIZES)
def test_it_counts_desk_queries_with_action_items(
    client_as, lead_staff, meetings, warm_calendar, django_assert_num_queries, n
):
    meetings(n)
    client = client_as(lead_staff)

    # 1 session, 2 user, 3 profile, 4 tab counts, 5 count of the tab, 6 the page of
    # problems, 7 the open action items with their meeting and problem
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        response = client.get(DESK_URL)
    assert len(response.context["action_items"]) == 2 * n


# --- the problem page and a leader's home ------------------------------------------------


def test_the_problem_page_shows_meetings_and_items_to_officials_only(
    client_as, lead_staff, enterprise_user, meeting, open_problem, lead_department
):
    item = add_item(meeting, lead_department, due_in=-1)

    staff_page = client_as(lead_staff).get(problem_url(open_problem)).content.decode()
    assert 'id="problem-coordination"' in staff_page
    assert detail_url(meeting) in staff_page
    assert f'id="action-item-{item.pk}"' in staff_page

    enterprise_page = client_as(enterprise_user).get(problem_url(open_problem)).content.decode()
    assert 'id="problem-coordination"' not in enterprise_page
    assert item.task not in enterprise_page
    # Convening is public on the timeline (subject, date and venue).
    assert VENUE in enterprise_page


# Officials: plus the device their session passed two-factor sign-in with.
PROBLEM_PAGE_QUERIES = {
    # The problem page's own 7 (tests/issues/test_views_problem.py: the problem's query
    # says it has coordination meetings, and no consultation request, key task or
    # pending extension request, which are then not read), then 8 the problem's
    # coordination meetings with their leader, 9 its action items with department and
    # who did them, 10 the audit trail's record of the official's read
    "leader": 10 + TWO_FACTOR_DEVICE + JOIN_ORDER,
    "lead_staff": 10 + TWO_FACTOR_DEVICE + JOIN_ORDER,
    # An enterprise sees no coordination panel: no query for it
    "enterprise_user": 7 + JOIN_ORDER,
}


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(
    "persona, queries", PROBLEM_PAGE_QUERIES.items(), ids=PROBLEM_PAGE_QUERIES.keys()
)
def test_it_counts_problem_page_queries_with_meetings(
    client_as,
    request,
    leader,
    open_problem,
    lead_department,
    warm_calendar,
    django_assert_num_queries,
    persona,
    queries,
    n,
):
    for _ in range(n):
        meeting = convene(leader, [open_problem], days_ago=3)
        add_item(meeting, lead_department, problem=open_problem)
        add_item(meeting, lead_department)
    client = client_as(request.getfixturevalue(persona))

    with django_assert_num_queries(queries):
        response = client.get(problem_url(open_problem))
    if persona != "enterprise_user":
        assert len(response.context["coordination"].items) == 2 * n


def test_a_leaders_home_shows_overdue_action_items(client_as, leader, principal, meetings):
    meetings(2)

    html = client_as(leader).get(HOME_URL).content.decode()
    assert 'id="home-action-items"' in html
    assert "2 action items overdue" in html

    assert "action items overdue" not in client_as(principal).get(HOME_URL).content.decode()


@pytest.mark.parametrize("n", SIZES)
def test_it_counts_leader_home_queries_with_action_items(
    client_as, leader, meetings, warm_calendar, django_assert_num_queries, n
):
    meetings(n)
    client = client_as(leader)

    # 1 session, 2 user, 3 profile, 4 problem figures, 5 supervised departments, 6 the
    # open and overdue action items of the leader's meetings (one aggregate), 7 the
    # consultation requests waiting for their answer (a count), 8 their key tasks
    with django_assert_num_queries(8 + TWO_FACTOR_DEVICE):
        response = client.get(HOME_URL)
    assert response.context["action_items"] == {"open": 2 * n, "overdue": n}
