"""Consultation before the deadline (会商): the lead department asks the problem's leader
for a coordination meeting; the leader accepts (the meeting is convened with the problem)
or declines with a reason. And a department holding an action item opens its problem."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from issues.models import EventKind, Problem, Status
from liaison.models import Department, Role
from meetings import consultation_services as services
from meetings.consultation_notifications import DECLINED, REQUESTED
from meetings.coordination_services import CoordinationError, StaleCoordination
from meetings.models import ConsultationRequest, CoordinationMeeting
from notifications.models import Notification
from tests.meetings.fixtures_coordination import *  # noqa: F403
from tests.meetings.fixtures_coordination import add_item, convene, make_user, messages_of
from tests.twofactor import TWO_FACTOR_DEVICE

pytestmark = pytest.mark.django_db

REASON = "涉及环保、规划、消防三个部门，需区领导牵头协调。"
LIST_URL = reverse("meetings:consultation_list")


@pytest.fixture(autouse=True)
def english():
    """The services' messages are read in English here (the pages set their own language)."""
    with translation.override("en"):
        yield


def problem_url(problem) -> str:
    return reverse("issues:detail", kwargs={"reference": problem.reference})


def ask_url(problem) -> str:
    return reverse("meetings:consultation_ask", kwargs={"reference": problem.reference})


def detail_url(consultation) -> str:
    return reverse("meetings:consultation_detail", kwargs={"pk": consultation.pk})


def accept_url(consultation) -> str:
    return reverse("meetings:consultation_accept", kwargs={"pk": consultation.pk})


def decline_url(consultation) -> str:
    return reverse("meetings:consultation_decline", kwargs={"pk": consultation.pk})


@pytest.fixture
def fresh_problem(make_problem, co_staff):
    """In progress, dispatched now: its deadline is ahead, it is not escalated."""
    return make_problem(
        Status.IN_PROGRESS, now=timezone.now(), co_departments=[co_staff.profile.department]
    )


def ask(actor, problem, reason=REASON):
    return services.consultation_request(actor=actor, problem=problem, reason=reason)


def accept(actor, consultation, **changes):
    values = {
        "consultation_id": consultation.pk,
        "actor": actor,
        "title": "危废处置会商",
        "starts_at": timezone.now() + dt.timedelta(days=1),
        "venue": "区行政中心三楼第二会议室",
        **changes,
    }
    return services.consultation_accept(**values)


def told(kind) -> set[str]:
    return set(
        Notification.objects.filter(kind=kind, channel="in_app").values_list(
            "recipient__username", flat=True
        )
    )


# --- services ----------------------------------------------------------------------------


def test_the_lead_department_asks_its_leader_and_the_leader_is_told(
    fresh_problem, lead_staff, leader
):
    consultation = ask(lead_staff, fresh_problem)

    assert consultation.state == ConsultationRequest.State.PENDING
    assert consultation.leader == leader  # the lead department's supervising leader
    assert consultation.department_id == fresh_problem.lead_department_id
    assert told(REQUESTED) == {"leader"}


def test_the_responsible_leader_is_asked_when_the_problem_has_one(
    fresh_problem, lead_staff, principal
):
    Problem.objects.filter(pk=fresh_problem.pk).update(responsible_leader=principal)
    consultation = ask(lead_staff, fresh_problem)
    assert consultation.leader == principal


def test_accepting_convenes_the_meeting_with_the_problem(
    fresh_problem, lead_staff, leader, co_department
):
    consultation = ask(lead_staff, fresh_problem)

    meeting = accept(leader, consultation)

    consultation.refresh_from_db()
    assert consultation.state == ConsultationRequest.State.ACCEPTED
    with pytest.raises(CoordinationError, match="already convened"):
        ask(lead_staff, fresh_problem)
    assert consultation.meeting == meeting
    assert consultation.decided_by == leader
    assert list(meeting.problems.all()) == [fresh_problem]
    assert set(meeting.departments.all()) == {fresh_problem.lead_department, co_department}
    assert fresh_problem.events.filter(kind=EventKind.COORDINATION_CONVENED).count() == 1


def test_declining_needs_a_reason_and_tells_the_department(
    fresh_problem, lead_staff, lead_head, leader
):
    consultation = ask(lead_staff, fresh_problem)
    with pytest.raises(CoordinationError, match="Write why"):
        services.consultation_decline(consultation_id=consultation.pk, actor=leader, reason=" ")
    consultation.refresh_from_db()
    assert consultation.state == ConsultationRequest.State.PENDING

    services.consultation_decline(
        consultation_id=consultation.pk, actor=leader, reason="部门先行对接，下周再议。"
    )

    consultation.refresh_from_db()
    assert consultation.state == ConsultationRequest.State.DECLINED
    assert consultation.decline_reason == "部门先行对接，下周再议。"
    assert told(DECLINED) == {"lead_staff", "lead_head"}
    assert not CoordinationMeeting.objects.exists()


def test_asking_and_declining_are_on_the_problems_internal_timeline(
    fresh_problem, lead_staff, leader
):
    consultation = ask(lead_staff, fresh_problem)
    services.consultation_decline(
        consultation_id=consultation.pk, actor=leader, reason="部门先行对接，下周再议。"
    )

    events = fresh_problem.events.filter(
        kind__in=[EventKind.CONSULTATION_REQUESTED, EventKind.CONSULTATION_DECLINED]
    ).order_by("id")
    assert [(e.kind, e.actor, e.text, e.is_public) for e in events] == [
        (EventKind.CONSULTATION_REQUESTED, lead_staff, consultation.reason, False),
        (EventKind.CONSULTATION_DECLINED, leader, "部门先行对接，下周再议。", False),
    ]


def test_a_second_pending_request_is_refused_and_one_after_an_answer_is_not(
    fresh_problem, lead_staff, lead_head, leader
):
    consultation = ask(lead_staff, fresh_problem)
    with pytest.raises(CoordinationError, match="already waiting"):
        ask(lead_head, fresh_problem)
    services.consultation_decline(consultation_id=consultation.pk, actor=leader, reason="再议")
    assert ask(lead_head, fresh_problem).state == ConsultationRequest.State.PENDING


def test_only_the_lead_department_asks(fresh_problem, co_staff, other_staff, leader, office):
    for actor in (co_staff, other_staff, leader, office):
        with pytest.raises(CoordinationError, match="lead department"):
            ask(actor, fresh_problem)
    assert not ConsultationRequest.objects.exists()


def test_no_request_on_a_concluded_or_escalated_problem_nor_without_reason(
    make_problem, lead_staff
):
    resolved = make_problem(Status.RESOLVED, now=timezone.now())
    with pytest.raises(CoordinationError, match="no longer open"):
        ask(lead_staff, resolved)
    overdue = make_problem(Status.IN_PROGRESS)  # dispatched in 2025: long overdue
    with pytest.raises(CoordinationError, match="overdue"):
        ask(lead_staff, overdue)
    fresh = make_problem(Status.IN_PROGRESS, now=timezone.now())
    Problem.objects.filter(pk=fresh.pk).update(escalation_level=1)
    with pytest.raises(CoordinationError, match="escalated"):
        ask(lead_staff, fresh)
    fresh2 = make_problem(Status.IN_PROGRESS, now=timezone.now())
    with pytest.raises(CoordinationError, match="Write why"):
        ask(lead_staff, fresh2, reason="  ")
    with pytest.raises(CoordinationError, match="under"):
        ask(lead_staff, fresh2, reason="长" * 2001)
    assert not ConsultationRequest.objects.exists()


def test_another_leader_cannot_answer_and_a_principal_can(fresh_problem, lead_staff, principal):
    other_leader = make_user("other_leader", Role.LEADER)
    consultation = ask(lead_staff, fresh_problem)
    with pytest.raises(CoordinationError, match="Only the problem's leader"):
        accept(other_leader, consultation)
    with pytest.raises(CoordinationError, match="Only the problem's leader"):
        services.consultation_decline(
            consultation_id=consultation.pk, actor=lead_staff, reason="不"
        )
    meeting = accept(principal, consultation)
    assert meeting.convened_by == principal


def test_accepting_twice_or_from_a_stale_page_is_refused(fresh_problem, lead_staff, leader):
    consultation = ask(lead_staff, fresh_problem)
    with pytest.raises(StaleCoordination):
        accept(leader, consultation, expected_version=consultation.version + 1)
    accept(leader, consultation, expected_version=consultation.version)
    with pytest.raises(CoordinationError, match="already answered"):
        accept(leader, consultation, expected_version=consultation.version)
    with pytest.raises(CoordinationError, match="already answered"):
        services.consultation_decline(consultation_id=consultation.pk, actor=leader, reason="x")
    assert CoordinationMeeting.objects.count() == 1


def test_a_bad_meeting_date_on_accept_changes_nothing(fresh_problem, lead_staff, leader):
    consultation = ask(lead_staff, fresh_problem)
    with pytest.raises(CoordinationError, match="past"):
        accept(leader, consultation, starts_at=timezone.now() - dt.timedelta(days=3))
    consultation.refresh_from_db()
    assert consultation.state == ConsultationRequest.State.PENDING
    assert not CoordinationMeeting.objects.exists()


def test_the_department_withdraws_its_request(fresh_problem, lead_staff, co_staff):
    consultation = ask(lead_staff, fresh_problem)
    with pytest.raises(CoordinationError):
        services.consultation_withdraw(consultation_id=consultation.pk, actor=co_staff)
    services.consultation_withdraw(consultation_id=consultation.pk, actor=lead_staff)
    consultation.refresh_from_db()
    assert consultation.state == ConsultationRequest.State.WITHDRAWN


# --- pages -------------------------------------------------------------------------------


def test_the_department_asks_on_the_problem_page(client_as, fresh_problem, lead_staff):
    client = client_as(lead_staff)
    page = client.get(problem_url(fresh_problem))
    assert b'id="consultation-form"' in page.content

    response = client.post(ask_url(fresh_problem), {"reason": REASON}, follow=True)

    assert ("success", "Your request was sent to the leader, who will accept or decline it.") in (
        messages_of(response)
    )
    assert ConsultationRequest.objects.get().reason == REASON
    assert b'id="consultation-form"' not in response.content  # one pending at a time


def test_asking_without_a_reason_shows_a_message_and_changes_nothing(
    client_as, fresh_problem, lead_staff
):
    response = client_as(lead_staff).post(ask_url(fresh_problem), {"reason": ""}, follow=True)
    assert any("Write why" in text for _, text in messages_of(response))
    assert not ConsultationRequest.objects.exists()


def test_asking_in_chinese_gets_the_message_in_chinese(client_as, fresh_problem, lead_staff):
    client = client_as(lead_staff)
    ask(lead_staff, fresh_problem)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    response = client.post(ask_url(fresh_problem), {"reason": REASON}, follow=True)
    assert any("会商" in text for _, text in messages_of(response))


def test_a_department_not_leading_the_problem_cannot_ask(
    client_as, fresh_problem, co_staff, other_staff
):
    assert client_as(co_staff).post(ask_url(fresh_problem), {"reason": REASON}).status_code == 404
    assert (
        client_as(other_staff).post(ask_url(fresh_problem), {"reason": REASON}).status_code == 404
    )
    assert not ConsultationRequest.objects.exists()


def test_the_leader_accepts_on_the_request_page(client_as, fresh_problem, lead_staff, leader):
    consultation = ask(lead_staff, fresh_problem)
    client = client_as(leader)
    home = client.get(reverse("home"))
    assert b'id="home-consultations"' in home.content
    page = client.get(detail_url(consultation))
    assert b'id="accept-form"' in page.content and b'id="decline-form"' in page.content
    starts = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT10:00")

    response = client.post(
        accept_url(consultation),
        {"version": consultation.version, "title": "会商", "starts_at": starts, "venue": "三楼"},
        follow=True,
    )

    meeting = CoordinationMeeting.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "meetings:coordination_detail", kwargs={"pk": meeting.pk}
    )
    assert list(meeting.problems.all()) == [fresh_problem]


def test_declining_without_a_reason_on_the_page_changes_nothing(
    client_as, fresh_problem, lead_staff, leader
):
    consultation = ask(lead_staff, fresh_problem)
    response = client_as(leader).post(
        decline_url(consultation), {"version": consultation.version, "reason": ""}, follow=True
    )
    assert any("Write why the request is declined." in t for _, t in messages_of(response))
    consultation.refresh_from_db()
    assert consultation.state == ConsultationRequest.State.PENDING


def test_a_stale_decline_page_is_told_to_check(client_as, fresh_problem, lead_staff, leader):
    consultation = ask(lead_staff, fresh_problem)
    accept(leader, consultation)
    response = client_as(leader).post(
        decline_url(consultation), {"version": consultation.version, "reason": "不"}, follow=True
    )
    assert any("already answered" in t for _, t in messages_of(response))
    consultation.refresh_from_db()
    assert consultation.state == ConsultationRequest.State.ACCEPTED


def test_who_sees_and_answers_a_request(
    client_as,
    fresh_problem,
    lead_staff,
    co_staff,
    other_staff,
    enterprise_user,
    leader,
    principal,
    office,
):
    other_leader = make_user("other_leader", Role.LEADER)
    consultation = ask(lead_staff, fresh_problem)
    seen = {
        "lead_staff": 200,
        "co_staff": 404,
        "other_staff": 404,
        "enterprise_user": 404,
        "leader": 200,
        "principal": 200,
        "office": 200,
        "other_leader": 200,
    }
    users = [lead_staff, co_staff, other_staff, enterprise_user, leader, principal, office]
    for user in [*users, other_leader]:
        status = client_as(user).get(detail_url(consultation)).status_code
        assert status == seen[user.username], user.username
    # Answering: the leader asked and principals only; the rest get a 404 and nothing changes.
    for user in [lead_staff, co_staff, enterprise_user, office, other_leader]:
        response = client_as(user).post(
            decline_url(consultation), {"version": consultation.version, "reason": "不"}
        )
        assert response.status_code == 404, user.username
    # Only those who may answer see the forms.
    page = client_as(other_leader).get(detail_url(consultation))
    assert b'id="accept-form"' not in page.content
    page = client_as(principal).get(detail_url(consultation))
    assert b'id="accept-form"' in page.content
    consultation.refresh_from_db()
    assert consultation.state == ConsultationRequest.State.PENDING


def test_the_list_shows_each_role_its_requests(
    client_as, make_problem, lead_staff, other_staff, enterprise_user, leader, office
):
    for _ in range(3):
        ask(lead_staff, make_problem(Status.IN_PROGRESS, now=timezone.now()))
    assert client_as(enterprise_user).get(LIST_URL).status_code == 404
    assert len(client_as(other_staff).get(LIST_URL).context["page"].object_list) == 0
    assert len(client_as(lead_staff).get(LIST_URL).context["page"].object_list) == 3
    assert len(client_as(leader).get(LIST_URL).context["page"].object_list) == 3
    assert len(client_as(office).get(LIST_URL).context["page"].object_list) == 3


@pytest.mark.parametrize("n", [1, 6])
def test_the_list_costs_the_same_whatever_its_length(
    client_as, make_problem, lead_staff, leader, django_assert_num_queries, n
):
    for _ in range(n):
        ask(lead_staff, make_problem(Status.IN_PROGRESS, now=timezone.now()))
    client = client_as(leader)
    client.get(LIST_URL)  # warm the session, the calendar and the two-factor check
    # 1 session, 2 user, 3 profile, 4 the paginator's count, 5 the page with its problem,
    # enterprise, department, requester and leader; plus the two-factor device. None per row.
    with django_assert_num_queries(5 + TWO_FACTOR_DEVICE):
        response = client.get(LIST_URL)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == n


def test_the_request_page_costs_the_same_in_every_state(
    client_as, make_problem, lead_staff, leader, django_assert_num_queries
):
    """Among six requests: one pending (the leader's forms, the department's withdrawal),
    one accepted (its meeting), one declined. 1 session, 2 user, 3 profile, 4 the request
    with its problem, enterprise, department, requester, leader, answerer and meeting;
    plus the two-factor device. The forms and the permission checks ask nothing."""
    requests = [
        ask(lead_staff, make_problem(Status.IN_PROGRESS, now=timezone.now())) for _ in range(6)
    ]
    pending, accepted, declined = requests[:3]
    accept(leader, accepted)
    services.consultation_decline(
        consultation_id=declined.pk, actor=leader, reason="由部门自行办理"
    )
    for user, consultation, shown in [
        (leader, pending, b'id="accept-form"'),
        (lead_staff, pending, b'id="withdraw-consultation-'),
        (leader, accepted, b'id="consultation-meeting"'),
        (lead_staff, declined, b'id="consultation-decline-reason"'),
    ]:
        client = client_as(user)
        client.get(detail_url(consultation))  # warm the session, calendar, two-factor check
        with django_assert_num_queries(4 + TWO_FACTOR_DEVICE):
            response = client.get(detail_url(consultation))
        assert shown in response.content, (user.username, consultation.state)


# --- the action item fix -----------------------------------------------------------------


def test_a_department_with_an_action_item_opens_the_problem_and_others_do_not(
    client_as, leader, open_problem, other_department, other_head
):
    meeting = convene(leader, [open_problem], days_ago=2)
    url = problem_url(open_problem)
    assert client_as(other_head).get(url).status_code == 404

    add_item(meeting, other_department, problem=open_problem)

    assert client_as(other_head).get(url).status_code == 200
    # A department with no action item (nor any other tie) still gets a 404.
    fourth = Department.objects.create(name="区市场监督管理局", short_name="市场监管")
    stranger = make_user("stranger", Role.DEPARTMENT_STAFF, department=fourth)
    assert client_as(stranger).get(url).status_code == 404


def test_an_item_naming_no_problem_opens_every_problem_of_its_meeting(
    client_as, leader, make_problem, other_department, other_head
):
    problems = [make_problem(Status.IN_PROGRESS), make_problem(Status.DISPATCHED)]
    meeting = convene(leader, problems, days_ago=2)
    add_item(meeting, other_department)
    for problem in problems:
        assert client_as(other_head).get(problem_url(problem)).status_code == 200


# --- the demo ----------------------------------------------------------------------------


def test_the_demo_has_an_accepted_a_declined_and_a_waiting_consultation():
    from dashboard.management.commands import seed_demo
    from issues.demo import seed_problems
    from meetings.demo_coordination import seed_consultations, seed_coordination

    district = seed_demo.DemoDistrict()
    for step in (
        seed_demo.seed_officials,
        seed_demo.seed_departments,
        seed_demo.seed_department_users,
        seed_demo.seed_enterprises,
        seed_problems,
        seed_coordination,
    ):
        step(district)
    seed_consultations(district)

    states = dict(ConsultationRequest.objects.values_list("state", "meeting__title"))
    assert set(states) == {"accepted", "declined", "pending"}
    accepted = ConsultationRequest.objects.get(state="accepted")
    assert list(accepted.meeting.problems.all()) == [accepted.problem]
    assert accepted.meeting.starts_at > timezone.now()  # before the deadline, still planned
    assert accepted.problem.due_at > timezone.now()
    assert ConsultationRequest.objects.get(state="declined").decline_reason
    seed_consultations(district)  # a second run adds nothing
    assert ConsultationRequest.objects.count() == 3


# --- every role against every consultation page ------------------------------------------

# persona -> (asks: status of the POST, sees the request, may accept)
MATRIX = {
    "enterprise_user": (404, 404, 404),
    "lead_staff": (302, 200, 404),
    "lead_head": (302, 200, 404),
    "co_staff": (404, 404, 404),
    "other_head": (404, 404, 404),
    "office": (404, 200, 404),
    "leader": (404, 200, 302),
    "principal": (404, 200, 302),
}


@pytest.mark.parametrize("persona, expected", MATRIX.items(), ids=MATRIX.keys())
def test_permission_matrix(client_as, request, fresh_problem, lead_head, persona, expected):
    asks, sees, accepts = expected
    client = client_as(request.getfixturevalue(persona))
    assert client.post(ask_url(fresh_problem), {"reason": REASON}).status_code == asks
    if asks == 302:
        assert ConsultationRequest.objects.filter(requested_by__username=persona).exists()
    consultation = ConsultationRequest.objects.first() or ask(lead_head, fresh_problem)
    assert client.get(detail_url(consultation)).status_code == sees
    starts = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    response = client.post(
        accept_url(consultation),
        {"version": consultation.version, "title": "会商", "starts_at": starts, "venue": "三楼"},
    )
    assert response.status_code == accepts
    assert CoordinationMeeting.objects.exists() == (accepts == 302)


def test_anonymous_is_sent_to_log_in(client, fresh_problem, lead_staff):
    consultation = ask(lead_staff, fresh_problem)
    for url in (LIST_URL, detail_url(consultation)):
        assert client.get(url).status_code == 302
    assert client.post(ask_url(fresh_problem), {"reason": REASON}).status_code == 302
    assert client.post(accept_url(consultation), {}).status_code == 302
    assert ConsultationRequest.objects.count() == 1
    assert not CoordinationMeeting.objects.exists()
