"""The lead department withdraws its pending consultation request (会商): a confirmed button
on the problem page and the request's page; the timeline says so, the leader is told; too
late, a double click, another department or a stale page: a clear message, nothing changed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from issues.models import EventKind, ProblemEvent, Status
from meetings import consultation_services as services
from meetings.consultation_notifications import WITHDRAWN
from meetings.coordination_services import CoordinationError
from meetings.models import ConsultationRequest
from notifications.models import Notification
from tests.meetings.fixtures_coordination import *  # noqa: F403
from tests.meetings.fixtures_coordination import messages_of

pytestmark = pytest.mark.django_db

REASON = "涉及环保、规划、消防三个部门，需区领导牵头协调。"
State = ConsultationRequest.State


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def fresh_problem(make_problem, co_staff):
    return make_problem(
        Status.IN_PROGRESS, now=timezone.now(), co_departments=[co_staff.profile.department]
    )


@pytest.fixture
def pending(fresh_problem, lead_staff):
    return services.consultation_request(actor=lead_staff, problem=fresh_problem, reason=REASON)


def withdraw_url(consultation) -> str:
    return reverse("meetings:consultation_withdraw", kwargs={"pk": consultation.pk})


def problem_url(problem) -> str:
    return reverse("issues:detail", kwargs={"reference": problem.reference})


def withdrawals(problem) -> int:
    return ProblemEvent.objects.filter(
        problem=problem, kind=EventKind.CONSULTATION_WITHDRAWN
    ).count()


def told_leader() -> list[str]:
    return list(
        Notification.objects.filter(kind=WITHDRAWN, channel="in_app").values_list(
            "recipient__username", flat=True
        )
    )


def state_of(consultation) -> str:
    consultation.refresh_from_db()
    return consultation.state


# --- the service -------------------------------------------------------------------------


def test_withdrawing_records_an_internal_event_and_tells_the_leader(
    pending, fresh_problem, lead_staff
):
    services.consultation_withdraw(
        consultation_id=pending.pk, actor=lead_staff, expected_version=pending.version
    )
    assert state_of(pending) == State.WITHDRAWN
    event = ProblemEvent.objects.get(problem=fresh_problem, kind=EventKind.CONSULTATION_WITHDRAWN)
    assert (event.actor, event.is_public) == (lead_staff, False)
    assert told_leader() == ["leader"]


def test_withdrawing_twice_an_answered_request_or_a_stale_page_is_refused(
    pending, fresh_problem, lead_staff, leader, make_problem
):
    version = pending.version
    services.consultation_withdraw(consultation_id=pending.pk, actor=lead_staff)
    with pytest.raises(CoordinationError, match="already withdrawn"):
        services.consultation_withdraw(consultation_id=pending.pk, actor=lead_staff)
    assert withdrawals(fresh_problem) == 1

    again = services.consultation_request(actor=lead_staff, problem=fresh_problem, reason=REASON)
    with pytest.raises(CoordinationError, match="changed meanwhile"):
        services.consultation_withdraw(
            consultation_id=again.pk, actor=lead_staff, expected_version=version + 5
        )
    services.consultation_decline(consultation_id=again.pk, actor=leader, reason="先行对接。")
    with pytest.raises(CoordinationError, match="already answered"):
        services.consultation_withdraw(consultation_id=again.pk, actor=lead_staff)
    assert state_of(again) == State.DECLINED
    assert withdrawals(fresh_problem) == 1


def test_only_the_lead_department_withdraws(pending, co_staff, other_staff, leader, office):
    for actor in (co_staff, other_staff, leader, office):
        with pytest.raises(CoordinationError, match="lead department"):
            services.consultation_withdraw(consultation_id=pending.pk, actor=actor)
    assert state_of(pending) == State.PENDING
    assert not told_leader()


# --- the pages ---------------------------------------------------------------------------


def test_the_lead_department_withdraws_from_the_problem_page(
    client_as, pending, fresh_problem, lead_staff
):
    client = client_as(lead_staff)
    page = client.get(problem_url(fresh_problem)).content.decode()
    assert f'id="withdraw-consultation-{pending.pk}"' in page
    assert "data-confirm=" in page
    assert 'id="consultation-form"' not in page  # one pending at a time

    response = client.post(withdraw_url(pending), {"version": pending.version}, follow=True)

    assert response.redirect_chain[-1][0] == problem_url(fresh_problem)
    assert (
        "success",
        "Your request was withdrawn; the leader is told there is nothing to answer.",
    ) in messages_of(response)
    assert state_of(pending) == State.WITHDRAWN
    page = response.content.decode()
    assert f'id="withdraw-consultation-{pending.pk}"' not in page
    assert 'id="consultation-form"' in page  # it may ask again


def test_a_double_click_gets_a_message_and_withdraws_once(
    client_as, pending, fresh_problem, lead_staff
):
    client = client_as(lead_staff)
    client.post(withdraw_url(pending), {"version": pending.version})
    response = client.post(withdraw_url(pending), {"version": pending.version}, follow=True)
    assert ("error", "This request was already withdrawn.") in messages_of(response)
    assert withdrawals(fresh_problem) == 1
    assert told_leader() == ["leader"]


def test_withdrawing_an_answered_request_gets_a_message(
    client_as, pending, fresh_problem, lead_staff, leader
):
    services.consultation_decline(consultation_id=pending.pk, actor=leader, reason="先行对接。")
    response = client_as(lead_staff).post(
        withdraw_url(pending), {"version": pending.version}, follow=True
    )
    assert any("already answered" in text for _, text in messages_of(response))
    assert state_of(pending) == State.DECLINED
    assert withdrawals(fresh_problem) == 0


def test_the_request_page_has_the_button_for_the_lead_department_only(
    client_as, pending, lead_staff, leader, office
):
    url = reverse("meetings:consultation_detail", kwargs={"pk": pending.pk})
    button = f'id="withdraw-consultation-{pending.pk}"'
    assert button in client_as(lead_staff).get(url).content.decode()
    for user in (leader, office):
        assert button not in client_as(user).get(url).content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("other_staff", 404),  # another department does not see the request
        ("co_staff", 404),  # a co-department neither
        ("enterprise_user", 404),
        (None, 302),  # to the sign-in page
    ],
)
def test_who_may_not_see_the_request_cannot_withdraw_it(
    client_as, request, pending, persona, status
):
    user = request.getfixturevalue(persona) if persona else None
    response = client_as(user).post(withdraw_url(pending), {"version": pending.version})
    assert response.status_code == status
    assert state_of(pending) == State.PENDING


@pytest.mark.parametrize("persona", ["leader", "office"])
def test_who_sees_but_does_not_lead_is_told_why(client_as, request, pending, persona):
    user = request.getfixturevalue(persona)
    response = client_as(user).post(
        withdraw_url(pending), {"version": pending.version}, follow=True
    )
    assert (
        "error",
        "Only the problem's lead department can withdraw its request.",
    ) in messages_of(response)
    assert state_of(pending) == State.PENDING


def test_withdrawing_needs_a_post_and_a_sane_version(client_as, pending, lead_staff):
    client = client_as(lead_staff)
    assert client.get(withdraw_url(pending)).status_code == 405
    response = client.post(withdraw_url(pending), {"version": "x"}, follow=True)
    assert any(kind == "error" for kind, _ in messages_of(response))
    assert state_of(pending) == State.PENDING


def test_the_message_is_in_chinese_for_a_chinese_reader(client_as, pending, lead_staff):
    client = client_as(lead_staff)
    client.post(withdraw_url(pending), {"version": pending.version})
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    response = client.post(withdraw_url(pending), {"version": pending.version}, follow=True)
    assert any("撤回" in text for _, text in messages_of(response))
