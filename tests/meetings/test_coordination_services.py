"""Coordination meetings and action items: the services, their rights and their bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from issues import workflow
from issues.models import EventKind, Problem, ProblemEvent, Status
from meetings import coordination_selectors, coordination_services
from meetings.models import ActionItem, CoordinationMeeting
from tests.meetings.fixtures_coordination import *  # noqa: F403
from tests.meetings.fixtures_coordination import TITLE, VENUE, add_item, convene

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Refusals are matched in English; the default language is Chinese."""
    with translation.override("en"):
        yield


def events(problem: Problem, kind: str) -> list[ProblemEvent]:
    return list(ProblemEvent.objects.filter(problem=problem, kind=kind).order_by("pk"))


# --- convene -----------------------------------------------------------------------------


def test_it_convenes_for_open_problems_and_tells_each_timeline(
    leader, make_problem, lead_department, co_department, enterprise
):
    dispatched = make_problem(Status.DISPATCHED)
    in_progress = make_problem(Status.IN_PROGRESS)
    before = {p.pk: (p.status, p.version) for p in (dispatched, in_progress)}

    meeting = convene(
        leader,
        [dispatched, in_progress],
        departments=[lead_department, co_department],
        enterprises=[enterprise],
    )

    assert meeting.convened_by == leader
    assert meeting.status == CoordinationMeeting.Status.PLANNED
    assert set(meeting.problems.all()) == {dispatched, in_progress}
    assert set(meeting.departments.all()) == {lead_department, co_department}
    assert list(meeting.enterprises.all()) == [enterprise]
    for problem in (dispatched, in_progress):
        [event] = events(problem, EventKind.COORDINATION_CONVENED)
        assert event.is_public  # the enterprise learns of it (coordination_services)
        assert event.actor == leader
        assert TITLE in event.text and VENUE in event.text
        # The time is data, put in each reader's language where it is shown.
        assert event.data == {
            "coordination_meeting": meeting.pk,
            "starts_at": meeting.starts_at.isoformat(),
        }
        problem.refresh_from_db()
        # A meeting helps a problem along; it neither moves its state nor stales its forms.
        assert (problem.status, problem.version) == before[problem.pk]


def test_a_principal_leader_may_convene(principal, open_problem):
    assert convene(principal, [open_problem]).convened_by == principal


@pytest.mark.parametrize(
    "persona", ["office", "lead_head", "lead_staff", "enterprise_user", "superuser"]
)
def test_only_leaders_convene(request, persona, open_problem):
    with pytest.raises(coordination_services.CoordinationError, match="Only district leaders"):
        convene(request.getfixturevalue(persona), [open_problem])
    assert not CoordinationMeeting.objects.exists()
    assert not events(open_problem, EventKind.COORDINATION_CONVENED)


@pytest.mark.parametrize("state", [Status.SUBMITTED, Status.RESOLVED, Status.CLOSED])
def test_it_refuses_a_problem_that_is_not_open(leader, make_problem, open_problem, state):
    other = make_problem(state)

    with pytest.raises(coordination_services.CoordinationError) as refused:
        convene(leader, [open_problem, other])

    assert other.reference in refused.value.message
    assert not CoordinationMeeting.objects.exists()
    assert not events(open_problem, EventKind.COORDINATION_CONVENED)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": "  "}, "subject"),
        ({"venue": ""}, "where"),
        ({"starts_at": timezone.now() - dt.timedelta(days=1)}, "cannot be in the past"),
    ],
)
def test_it_refuses_bad_convening_input(leader, open_problem, changes, message):
    with pytest.raises(coordination_services.CoordinationError, match=message):
        convene(leader, [open_problem], **changes)
    assert not CoordinationMeeting.objects.exists()


def test_it_refuses_a_meeting_without_problems(leader):
    with pytest.raises(coordination_services.CoordinationError, match="at least one problem"):
        convene(leader, [])
    assert not CoordinationMeeting.objects.exists()


def test_it_refuses_an_inactive_attending_department(leader, open_problem, other_department):
    other_department.is_active = False
    other_department.save(update_fields=["is_active"])

    with pytest.raises(coordination_services.CoordinationError, match="no longer active"):
        convene(leader, [open_problem], departments=[other_department])
    assert not CoordinationMeeting.objects.exists()


# --- update and mark held ----------------------------------------------------------------


def update(meeting, actor, **changes):
    values = {
        "meeting_id": meeting.pk,
        "actor": actor,
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "venue": meeting.venue,
        "departments": list(meeting.departments.all()),
        "enterprises": list(meeting.enterprises.all()),
        "decisions": meeting.decisions,
        "expected_version": meeting.version,
        "now": meeting.created_at,
        **changes,
    }
    return coordination_services.coordination_update(**values)


def test_the_convening_leader_and_the_office_edit_a_meeting(meeting, office, co_department):
    updated = update(meeting, meeting.convened_by, venue="企业现场", departments=[co_department])
    assert (updated.venue, updated.version) == ("企业现场", 2)
    assert list(updated.departments.all()) == [co_department]

    again = update(updated, office, title="第二次协调")
    assert (again.title, again.version) == ("第二次协调", 3)


def test_another_leader_may_not_edit_a_meeting(meeting, principal):
    with pytest.raises(coordination_services.CoordinationError, match="convening leader"):
        update(meeting, principal, venue="别处")
    meeting.refresh_from_db()
    assert meeting.venue == VENUE


def test_it_refuses_an_edit_from_a_stale_page(meeting):
    update(meeting, meeting.convened_by, venue="企业现场")

    with pytest.raises(coordination_services.StaleCoordination):
        update(meeting, meeting.convened_by, venue="别处")  # still carries version 1
    meeting.refresh_from_db()
    assert (meeting.venue, meeting.version) == ("企业现场", 2)


def test_it_refuses_to_move_a_meeting_after_its_action_items(meeting, lead_department):
    add_item(meeting, lead_department, due_date=coordination_selectors.meeting_day(meeting))

    with pytest.raises(coordination_services.CoordinationError, match="due before"):
        update(meeting, meeting.convened_by, starts_at=meeting.starts_at + dt.timedelta(days=2))


def test_it_marks_a_meeting_held_once(meeting):
    leader = meeting.convened_by

    assert coordination_services.coordination_mark_held(
        meeting_id=meeting.pk, actor=leader, decisions="会议议定三项任务。", expected_version=1
    )
    meeting.refresh_from_db()
    first = (meeting.status, meeting.held_at, meeting.decisions, meeting.version)
    assert first[0] == CoordinationMeeting.Status.HELD
    assert first[2] == "会议议定三项任务。"

    # A second click (even from the stale page) changes nothing.
    assert not coordination_services.coordination_mark_held(
        meeting_id=meeting.pk, actor=leader, decisions="另一份纪要", expected_version=1
    )
    meeting.refresh_from_db()
    assert (meeting.status, meeting.held_at, meeting.decisions, meeting.version) == first


def test_it_refuses_to_mark_held_a_meeting_that_has_not_started(leader, open_problem):
    meeting = convene(leader, [open_problem], starts_at=timezone.now() + dt.timedelta(days=2))

    with pytest.raises(coordination_services.CoordinationError, match="not started"):
        coordination_services.coordination_mark_held(meeting_id=meeting.pk, actor=leader)
    meeting.refresh_from_db()
    assert meeting.status == CoordinationMeeting.Status.PLANNED


def test_it_refuses_to_mark_held_from_a_stale_page(meeting):
    update(meeting, meeting.convened_by, venue="企业现场")

    with pytest.raises(coordination_services.StaleCoordination):
        coordination_services.coordination_mark_held(
            meeting_id=meeting.pk, actor=meeting.convened_by, expected_version=1
        )
    meeting.refresh_from_db()
    assert meeting.status == CoordinationMeeting.Status.PLANNED


# --- action items ------------------------------------------------------------------------


def test_it_adds_an_action_item_to_the_problems_timeline(meeting, open_problem, lead_department):
    item = add_item(meeting, lead_department, problem=open_problem, due_in=3)

    assert (item.meeting, item.problem, item.department) == (meeting, open_problem, lead_department)
    assert not item.done
    [event] = events(open_problem, EventKind.ACTION_ITEM_ADDED)
    assert not event.is_public
    assert lead_department.name in event.text and item.task in event.text
    assert event.data == {
        "coordination_meeting": meeting.pk,
        "action_item": item.pk,
        "item_due_date": item.due_date.isoformat(),
    }


def test_an_item_for_the_whole_meeting_goes_on_every_problems_timeline(
    leader, make_problem, lead_department
):
    problems = [make_problem(Status.IN_PROGRESS), make_problem(Status.DISPATCHED)]
    meeting = convene(leader, problems)

    item = add_item(meeting, lead_department, due_in=1)

    assert item.problem is None
    for problem in problems:
        assert len(events(problem, EventKind.ACTION_ITEM_ADDED)) == 1


def test_the_office_may_add_action_items(meeting, office, lead_department):
    assert add_item(meeting, lead_department, actor=office).created_by == office


@pytest.mark.parametrize("persona", ["principal", "lead_head", "enterprise_user"])
def test_others_may_not_add_action_items(request, meeting, lead_department, persona):
    with pytest.raises(coordination_services.CoordinationError, match="convening leader"):
        add_item(meeting, lead_department, actor=request.getfixturevalue(persona))
    assert not ActionItem.objects.exists()


def test_it_refuses_an_action_item_for_an_inactive_department(
    meeting, open_problem, other_department
):
    other_department.is_active = False
    other_department.save(update_fields=["is_active"])

    with pytest.raises(coordination_services.CoordinationError) as refused:
        add_item(meeting, other_department)

    assert refused.value.message == (
        "区人力资源和社会保障局 is no longer active; an action item needs an active department."
    )
    assert not ActionItem.objects.exists()
    assert not events(open_problem, EventKind.ACTION_ITEM_ADDED)


def test_it_refuses_a_due_date_before_the_meeting(meeting, lead_department):
    with pytest.raises(coordination_services.CoordinationError, match="before the meeting"):
        add_item(
            meeting,
            lead_department,
            due_date=coordination_selectors.meeting_day(meeting) - dt.timedelta(days=1),
        )
    # On the meeting's own day is fine.
    assert add_item(meeting, lead_department, due_date=coordination_selectors.meeting_day(meeting))


def test_it_refuses_a_problem_that_is_not_the_meetings(meeting, make_problem, lead_department):
    elsewhere = make_problem(Status.IN_PROGRESS)

    with pytest.raises(coordination_services.CoordinationError, match="not one of this meeting"):
        add_item(meeting, lead_department, problem=elsewhere)
    assert not ActionItem.objects.exists()
    assert not events(elsewhere, EventKind.ACTION_ITEM_ADDED)


def test_it_refuses_an_empty_task(meeting, lead_department):
    with pytest.raises(coordination_services.CoordinationError, match="Write the task"):
        add_item(meeting, lead_department, task="   ")


# --- completing action items -------------------------------------------------------------


def complete(item, actor, **changes):
    values = {"item_id": item.pk, "actor": actor, "note": "已签订处置合同。", **changes}
    return coordination_services.action_item_complete(**values)


@pytest.mark.parametrize("persona", ["lead_staff", "lead_head", "leader", "office"])
def test_the_department_the_leader_or_the_office_ticks_an_item_off(
    request, meeting, open_problem, lead_department, persona
):
    item = add_item(meeting, lead_department, problem=open_problem)
    actor = request.getfixturevalue(persona)

    assert complete(item, actor, expected_version=item.version)

    item.refresh_from_db()
    assert (item.done, item.done_by, item.note, item.version) == (
        True,
        actor,
        "已签订处置合同。",
        2,
    )
    assert item.done_at is not None
    [event] = events(open_problem, EventKind.ACTION_ITEM_DONE)
    assert not event.is_public
    assert event.actor == actor
    assert "已签订处置合同。" in event.text


@pytest.mark.parametrize("persona", ["other_staff", "principal", "enterprise_user", "co_head"])
def test_others_may_not_tick_an_item_off(request, meeting, lead_department, persona):
    item = add_item(meeting, lead_department)

    with pytest.raises(coordination_services.CoordinationError, match="Only the department"):
        complete(item, request.getfixturevalue(persona))
    item.refresh_from_db()
    assert not item.done


def test_ticking_off_twice_changes_nothing_the_second_time(
    meeting, open_problem, lead_department, lead_staff, lead_head
):
    item = add_item(meeting, lead_department, problem=open_problem)
    assert complete(item, lead_staff, expected_version=1)
    item.refresh_from_db()
    first = (item.done_at, item.done_by, item.note, item.version)

    assert not complete(item, lead_head, note="重复提交", expected_version=1)

    item.refresh_from_db()
    assert (item.done_at, item.done_by, item.note, item.version) == first
    assert len(events(open_problem, EventKind.ACTION_ITEM_DONE)) == 1


def test_it_refuses_to_tick_off_from_a_stale_page(meeting, lead_department, lead_staff):
    item = add_item(meeting, lead_department)
    ActionItem.objects.filter(pk=item.pk).update(version=2)  # changed by someone meanwhile

    with pytest.raises(coordination_services.StaleCoordination):
        complete(item, lead_staff, expected_version=1)
    item.refresh_from_db()
    assert not item.done


def test_a_transition_error_handler_catches_coordination_errors(meeting, principal):
    # The views' pattern: anything refused is a TransitionError with a message to show.
    with pytest.raises(workflow.TransitionError):
        add_item(meeting, meeting.problems.first().lead_department, actor=principal)


# --- selectors ---------------------------------------------------------------------------


def test_a_department_sees_the_meetings_it_attends_is_tasked_in_or_handles(
    leader, make_problem, lead_staff, other_staff, co_staff, other_department, co_department
):
    own = make_problem(Status.IN_PROGRESS)  # led by lead_staff's department
    elsewhere = make_problem(Status.IN_PROGRESS, lead=other_staff)
    about_own = convene(leader, [own])
    attended = convene(leader, [elsewhere], departments=[co_department])
    tasked = convene(leader, [elsewhere])
    add_item(tasked, co_department)
    unrelated = convene(leader, [elsewhere])

    visible = coordination_selectors.meetings_visible_to

    assert set(visible(lead_staff)) == {about_own}
    assert set(visible(co_staff)) == {attended, tasked}
    assert set(visible(other_staff)) == {attended, tasked, unrelated}


def test_leaders_and_the_office_see_all_meetings_and_enterprises_none(
    meeting, office, principal, enterprise_user
):
    assert list(coordination_selectors.meetings_visible_to(office)) == [meeting]
    assert list(coordination_selectors.meetings_visible_to(principal)) == [meeting]
    assert not coordination_selectors.meetings_visible_to(enterprise_user).exists()


def test_it_counts_open_and_overdue_items(meeting, lead_department, lead_staff, leader, principal):
    add_item(meeting, lead_department, due_in=-2)  # overdue
    add_item(meeting, lead_department, due_in=0)  # due today: not yet overdue
    done = add_item(meeting, lead_department, due_in=-1)
    complete(done, lead_staff)

    [row] = coordination_selectors.meeting_list(leader)
    assert (row.problem_count, row.item_count, row.open_item_count, row.overdue_item_count) == (
        1,
        3,
        2,
        1,
    )
    assert coordination_selectors.leader_action_items(user=leader) == {"open": 2, "overdue": 1}
    assert coordination_selectors.leader_action_items(user=principal) == {"open": 0, "overdue": 0}
    assert not coordination_selectors.meeting_list(principal).exists()  # "mine"
    assert coordination_selectors.meeting_list(principal, show="all").count() == 1


def test_overdue_is_judged_by_the_date_in_shanghai(meeting, lead_department, lead_staff):
    item = add_item(meeting, lead_department, due_in=0)
    # 23:30 UTC is 07:30 the next day in Shanghai: the item, due "today" in UTC, is overdue.
    utc_late = dt.datetime.combine(item.due_date, dt.time(23, 30), tzinfo=dt.UTC)

    [listed] = coordination_selectors.department_open_items(
        lead_department.pk, user=lead_staff, now=utc_late
    )
    assert listed.overdue
    [listed] = coordination_selectors.department_open_items(
        lead_department.pk, user=lead_staff, now=utc_late - dt.timedelta(hours=8)
    )
    assert not listed.overdue


def test_a_problem_shows_its_items_and_the_whole_meetings_items(
    leader, make_problem, lead_department, lead_staff
):
    first, second = make_problem(Status.IN_PROGRESS), make_problem(Status.IN_PROGRESS)
    meeting = convene(leader, [first, second])
    for_first = add_item(meeting, lead_department, problem=first)
    for_all = add_item(meeting, lead_department)
    add_item(meeting, lead_department, problem=second)

    shown = coordination_selectors.problem_coordination(user=lead_staff, problem=first)

    assert shown.meetings == [meeting]
    assert {item.pk for item in shown.items} == {for_first.pk, for_all.pk}
    assert all(item.can_complete for item in shown.items)
    assert not shown.can_convene  # a department does not convene
    assert coordination_selectors.problem_coordination(user=leader, problem=first).can_convene
