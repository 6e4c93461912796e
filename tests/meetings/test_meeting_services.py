"""Face-to-face meeting services and the workflow around them (DESIGN.md §5, §6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from issues import workflow
from issues.models import Channel, EventKind, ProblemEvent, Status
from liaison import workdays
from meetings import services
from meetings.models import Invitation, Meeting, MeetingCounter
from tests.issues.conftest import snapshot
from tests.meetings.fixtures_f2f import *  # noqa: F403 - fixtures
from tests.meetings.fixtures_f2f import MEETING_AT, NOW, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Refusals are matched in English; the default language is Chinese."""
    with translation.override("en"):
        yield


def create(office, *, starts_at=MEETING_AT, now=NOW, **kwargs):
    return services.meeting_create(
        actor=office,
        theme=kwargs.pop("theme", "稳外贸专题"),
        starts_at=starts_at,
        venue=kwargs.pop("venue", "区行政中心"),
        now=now,
        **kwargs,
    )


# --- create, number, edit ------------------------------------------------------------


def test_it_numbers_meetings_per_year(office, meeting):
    second = create(office, starts_at=MEETING_AT + dt.timedelta(days=1))
    next_year = create(office, starts_at=at("2026-01-08 09:00"))

    assert (meeting.year, meeting.number) == (2025, 1)
    assert (second.year, second.number) == (2025, 2)
    assert (next_year.year, next_year.number) == (2026, 1)


def numbers(year=2025) -> list[tuple[str, int]]:
    return list(
        Meeting.objects.filter(year=year).order_by("starts_at").values_list("theme", "number")
    )


def test_it_numbers_the_years_meetings_by_date_not_by_creation(office):
    create(office, theme="十月", starts_at=at("2025-10-20 09:00"))
    create(office, theme="九月底", starts_at=MEETING_AT)
    # Entered afterwards: it took place before both.
    earlier = create(office, theme="九月初", starts_at=at("2025-09-01 09:30"))
    create(office, theme="次年", starts_at=at("2026-01-08 09:00"))

    assert numbers() == [("九月初", 1), ("九月底", 2), ("十月", 3)]
    assert earlier.number == 1
    assert numbers(2026) == [("次年", 1)]


def test_moving_a_meeting_renumbers_the_year(office):
    first = create(office, theme="甲", starts_at=at("2025-10-10 09:00"))
    create(office, theme="乙", starts_at=at("2025-10-20 09:00"))
    create(office, theme="丙", starts_at=at("2025-11-05 09:00"))

    moved = update(office, first, starts_at=at("2025-11-20 09:00"))

    assert numbers() == [("乙", 1), ("丙", 2), ("甲", 3)]
    assert moved.number == 3
    # Back again, and an edit that does not move it keeps every number.
    first.refresh_from_db()
    update(office, first, starts_at=at("2025-10-01 09:00"))
    first.refresh_from_db()
    update(office, first, venue="新会场")
    assert numbers() == [("甲", 1), ("乙", 2), ("丙", 3)]


def test_the_numbers_stay_unique_and_counted_while_many_move(office):
    # Created latest first: every new one takes number 1 and pushes the others up.
    for day in range(30, 10, -1):
        create(office, theme=f"10月{day}日", starts_at=at(f"2025-10-{day} 09:00"))

    assert [n for _theme, n in numbers()] == list(range(1, 21))
    assert numbers()[0] == ("10月11日", 1)
    assert MeetingCounter.objects.get(year=2025).last_number == 20


def test_it_records_leaders_departments_and_invitations(
    meeting, leader, lead_department, enterprise
):
    assert meeting.status == Meeting.Status.PLANNED
    assert list(meeting.presiding_leaders.all()) == [leader]
    assert list(meeting.departments.all()) == [lead_department]
    invitation = Invitation.objects.get(meeting=meeting)
    assert invitation.enterprise == enterprise
    assert invitation.attended is None


def test_a_meeting_that_took_place_is_entered_afterwards(office, meeting, enterprise):
    past = create(office, starts_at=NOW - dt.timedelta(minutes=1), enterprises=[enterprise])

    assert past.entered_afterwards
    assert past.status == Meeting.Status.PLANNED
    assert list(past.enterprises.all()) == [enterprise]
    assert not meeting.entered_afterwards


@pytest.mark.parametrize("persona", ["leader", "lead_head", "enterprise_user"])
def test_only_the_office_plans_meetings(request, persona):
    with pytest.raises(services.MeetingError, match="Only the liaison office"):
        create(request.getfixturevalue(persona))

    assert not Meeting.objects.exists()


def test_it_refuses_an_inactive_department_or_a_non_leader(office, lead_department, lead_head):
    lead_department.is_active = False
    lead_department.save(update_fields=["is_active"])

    with pytest.raises(services.MeetingError, match="not active"):
        create(office, departments=[lead_department])
    with pytest.raises(services.MeetingError, match="district leaders"):
        create(office, presiding_leaders=[lead_head])


def update(office, meeting, **changes):
    values = {
        "theme": meeting.theme,
        "starts_at": meeting.starts_at,
        "venue": meeting.venue,
        "expected_version": meeting.version,
        "now": NOW,
    }
    values.update(changes)
    return services.meeting_update(meeting_id=meeting.pk, actor=office, **values)


def test_it_moves_a_planned_meeting_and_bumps_its_version(office, meeting):
    moved = update(office, meeting, starts_at=at("2025-10-10 09:00"), venue="梅湾街道会议室")

    meeting.refresh_from_db()
    assert meeting.starts_at == at("2025-10-10 09:00")
    assert meeting.venue == "梅湾街道会议室"
    assert meeting.version == moved.version == 2


def test_it_refuses_an_edit_from_a_stale_page(office, meeting):
    with pytest.raises(services.StaleMeeting):
        update(office, meeting, theme="新主题", expected_version=meeting.version - 1)

    meeting.refresh_from_db()
    assert meeting.theme == "园区企业危废处置专题"


def test_it_refuses_to_move_a_meeting_into_another_year(office, meeting):
    with pytest.raises(services.MeetingError, match="another year"):
        update(office, meeting, starts_at=at("2026-01-05 09:00"))


def test_a_meeting_that_started_earlier_than_planned_is_moved_to_its_real_time(office):
    meeting = create(office, starts_at=at("2025-09-30 15:53"), now=NOW)

    moved = update(office, meeting, starts_at=at("2025-09-30 15:30"), now=at("2025-09-30 15:46"))
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=at("2025-09-30 15:46"))

    assert moved.starts_at == at("2025-09-30 15:30")
    assert not moved.entered_afterwards  # it was planned ahead
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD


def test_a_held_meeting_keeps_its_date(office, meeting):
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)
    meeting.refresh_from_db()

    with pytest.raises(services.MeetingError, match="cannot change"):
        update(office, meeting, starts_at=at("2025-10-10 09:00"), now=MEETING_AT)
    # Its minutes can still be written.
    update(office, meeting, minutes="会议纪要", now=MEETING_AT)
    meeting.refresh_from_db()
    assert meeting.minutes == "会议纪要"


# --- invitations -----------------------------------------------------------------------


def test_it_invites_once_and_withdraws(office, meeting, enterprise, other_enterprise):
    added = services.meeting_invite(
        meeting_id=meeting.pk, actor=office, enterprises=[enterprise, other_enterprise], now=NOW
    )

    assert added == 1
    assert set(meeting.invitations.values_list("enterprise", flat=True)) == {
        enterprise.pk,
        other_enterprise.pk,
    }
    services.meeting_uninvite(meeting_id=meeting.pk, actor=office, enterprise=other_enterprise)
    assert list(meeting.invitations.values_list("enterprise", flat=True)) == [enterprise.pk]


def test_an_enterprise_with_problems_for_the_meeting_stays_invited(
    office, meeting, enterprise, raise_problem
):
    raise_problem(meeting)

    with pytest.raises(services.MeetingError, match="raised problems"):
        services.meeting_uninvite(meeting_id=meeting.pk, actor=office, enterprise=enterprise)
    assert meeting.invitations.count() == 1


def test_invitations_do_not_change_after_the_meeting_is_held(office, meeting, other_enterprise):
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)

    with pytest.raises(services.MeetingError, match="already held"):
        services.meeting_invite(meeting_id=meeting.pk, actor=office, enterprises=[other_enterprise])
    assert meeting.invitations.count() == 1


# --- problems raised for a meeting ------------------------------------------------------


def test_an_invited_enterprise_submits_for_a_planned_meeting(meeting, raise_problem):
    problem = raise_problem(meeting)

    assert problem.meeting == meeting
    assert problem.status == Status.SUBMITTED
    assert problem.events.get().data["meeting"] == meeting.pk


def test_an_enterprise_cannot_submit_for_a_meeting_it_is_not_invited_to(
    meeting, other_enterprise_user, category
):
    with pytest.raises(workflow.NotAllowed, match="not invited"):
        workflow.problem_submit(
            actor=other_enterprise_user,
            enterprise=other_enterprise_user.profile.enterprise,
            title="用工难",
            description="招工难。",
            category=category,
            meeting=meeting,
            now=NOW,
        )
    assert not meeting.problems.exists()


def test_an_enterprise_cannot_submit_for_a_held_meeting(office, meeting, raise_problem):
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)

    with pytest.raises(workflow.NotAllowed, match="already held"):
        raise_problem(meeting, now=MEETING_AT + dt.timedelta(hours=3))
    assert not meeting.problems.exists()


def test_the_office_registers_a_problem_raised_at_a_held_meeting(
    office, meeting, enterprise, category
):
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)

    problem = workflow.problem_submit(
        actor=office,
        enterprise=enterprise,
        title="现场提出：用电增容",
        description="会上口头提出。",
        category=category,
        channel=Channel.MEETING,
        meeting=meeting,
        now=MEETING_AT + dt.timedelta(hours=2),
    )

    assert problem.meeting == meeting


# --- early dispatch and the clock -------------------------------------------------------


def test_dispatch_before_the_meeting_does_not_start_the_clock(meeting, raise_problem, dispatch):
    problem = dispatch(raise_problem(meeting))

    assert problem.status == Status.DISPATCHED
    assert problem.clock_started_at is None
    assert problem.due_at is problem.warn_at is problem.original_due_at is None
    event = problem.events.get(kind=EventKind.DISPATCHED)
    assert event.data["due_at"] is None
    assert event.data["clock_waits_for_meeting"] is True


def test_the_lead_cannot_acknowledge_before_the_meeting(
    meeting, raise_problem, dispatch, lead_staff
):
    problem = dispatch(raise_problem(meeting))
    before = snapshot(problem)

    with pytest.raises(workflow.NotAllowed, match="not yet held"):
        workflow.problem_acknowledge(problem_id=problem.pk, actor=lead_staff, now=NOW)
    assert snapshot(problem) == before


def test_marking_held_starts_the_clock_on_the_meeting_date_across_the_holiday(
    office, meeting, raise_problem, dispatch, enterprise
):
    problem = dispatch(raise_problem(meeting))
    marked_at = at("2025-10-09 10:00")  # after the National Day week

    result = services.meeting_mark_held(
        meeting_id=meeting.pk, actor=office, attended=[enterprise.pk], now=marked_at
    )

    problem.refresh_from_db()
    # Tue 2025-09-30; Oct 1-8 off; Sat Oct 11 a make-up working day: day 10 is Tue Oct 21.
    assert workdays.local_date(problem.due_at) == dt.date(2025, 10, 21)
    assert problem.due_at == workdays.deadline_after(MEETING_AT, 10).value
    assert problem.due_at == workdays.end_of_day(dt.date(2025, 10, 21))
    assert problem.clock_started_at == MEETING_AT
    assert problem.original_due_at == problem.due_at
    assert workdays.local_date(problem.warn_at) == dt.date(2025, 10, 20)
    assert problem.deadline_version == 1
    assert result.started == [problem.pk]
    assert not result.already_held
    event = problem.events.get(kind=EventKind.MEETING_HELD)
    assert event.is_public
    assert event.actor == office
    assert event.created_at == marked_at
    assert event.data["due_date"] == "2025-10-21"


def test_marking_held_records_attendance(office, meeting, enterprise, other_enterprise):
    services.meeting_invite(meeting_id=meeting.pk, actor=office, enterprises=[other_enterprise])

    services.meeting_mark_held(
        meeting_id=meeting.pk, actor=office, attended=[other_enterprise.pk], now=MEETING_AT
    )

    attendance = dict(meeting.invitations.values_list("enterprise_id", "attended"))
    assert attendance == {enterprise.pk: False, other_enterprise.pk: True}
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert (meeting.held_at, meeting.held_by) == (MEETING_AT, office)


def test_only_dispatched_problems_waiting_for_the_meeting_start(
    office, meeting, raise_problem, dispatch, make_problem
):
    waiting = dispatch(raise_problem(meeting, title="待会议"))
    submitted = raise_problem(meeting, title="尚未交办")
    unrelated = make_problem(Status.DISPATCHED)

    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)

    waiting.refresh_from_db()
    submitted.refresh_from_db()
    assert waiting.clock_started_at == MEETING_AT
    assert submitted.clock_started_at is None and submitted.status == Status.SUBMITTED
    assert Status.DISPATCHED == unrelated.status
    assert unrelated.clock_started_at == NOW  # its own dispatch
    # Dispatched after the meeting was held: the clock starts on the meeting's date too.
    later = dispatch(submitted, now=at("2025-10-09 09:00"))
    assert later.clock_started_at == MEETING_AT
    assert later.due_at == waiting.due_at


def test_marking_held_twice_changes_nothing_the_second_time(
    office, meeting, raise_problem, dispatch, enterprise
):
    problem = dispatch(raise_problem(meeting))
    services.meeting_mark_held(
        meeting_id=meeting.pk, actor=office, attended=[enterprise.pk], now=MEETING_AT
    )
    meeting.refresh_from_db()
    before = (
        Meeting.objects.filter(pk=meeting.pk).values().get(),
        list(meeting.invitations.values()),
        snapshot(problem),
    )

    again = services.meeting_mark_held(
        meeting_id=meeting.pk,
        actor=office,
        attended=[],
        expected_version=meeting.version - 1,  # the same stale form, clicked twice
        now=MEETING_AT + dt.timedelta(hours=1),
    )

    assert again.already_held
    assert again.started == []
    after = (
        Meeting.objects.filter(pk=meeting.pk).values().get(),
        list(meeting.invitations.values()),
        snapshot(problem),
    )
    assert after == before
    assert ProblemEvent.objects.filter(kind=EventKind.MEETING_HELD).count() == 1


def test_a_meeting_cannot_be_marked_held_before_it_starts(office):
    meeting = create(office, starts_at=at("2025-09-30 15:53"))

    with pytest.raises(
        services.MeetingError,
        match=r"starts at 30 Sep 2025, 15:53: it can be marked held once it has started",
    ):
        services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=at("2025-09-30 15:46"))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED
    assert meeting.held_at is None

    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=at("2025-09-30 15:53"))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD


def test_only_invited_enterprises_are_recorded_as_attending(office, meeting, other_enterprise):
    with pytest.raises(services.MeetingError, match="invited"):
        services.meeting_mark_held(
            meeting_id=meeting.pk, actor=office, attended=[other_enterprise.pk], now=MEETING_AT
        )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED


def dispatched_for(meeting, raise_problem, dispatch, n):
    return [dispatch(raise_problem(meeting, title=f"问题 {i}")) for i in range(n)]


@pytest.mark.parametrize("n", [1, 6])
def test_marking_held_makes_a_fixed_number_of_queries(
    office, meeting, raise_problem, dispatch, n, django_assert_num_queries, warm_calendar, lead_head
):
    dispatched_for(meeting, raise_problem, dispatch, n)

    # 1 savepoint, 2 lock the meeting, 3 invited enterprises, 4 attendance UPDATE,
    # 5 the meeting UPDATE, 6 lock the waiting problems' ids, 7 their one UPDATE,
    # 8 the MEETING_HELD entries in one INSERT, 9 the webhooks' subscriptions (none here:
    # api.webhooks.fanout), then telling the lead heads: 10 the heads, 11 the people,
    # 12 the problems, 13 the outbox INSERT; 14 release the savepoint
    with django_assert_num_queries(14):
        result = services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)

    assert len(result.started) == n


# --- close -----------------------------------------------------------------------------


def test_a_meeting_is_closed_after_it_is_held_with_minutes(office, meeting):
    with pytest.raises(services.MeetingError, match="was held"):
        services.meeting_close(meeting_id=meeting.pk, actor=office, minutes="纪要")
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)
    with pytest.raises(services.MeetingError, match="minutes"):
        services.meeting_close(meeting_id=meeting.pk, actor=office, minutes="  ")

    closed = services.meeting_close(
        meeting_id=meeting.pk, actor=office, minutes="会议纪要：三个问题现场答复。", now=MEETING_AT
    )

    assert closed.status == Meeting.Status.CLOSED
    assert closed.closed_at == MEETING_AT
    assert closed.minutes == "会议纪要：三个问题现场答复。"
    with pytest.raises(services.MeetingError, match="already closed"):
        services.meeting_close(meeting_id=meeting.pk, actor=office, minutes="x")


# --- answers on site -------------------------------------------------------------------


@pytest.fixture
def held_problem(office, meeting, raise_problem, dispatch):
    problem = dispatch(raise_problem(meeting))
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)
    problem.refresh_from_db()
    return problem


def test_an_on_site_answer_is_a_public_event(office, meeting, held_problem):
    problem = services.meeting_record_answer(
        meeting_id=meeting.pk,
        problem_id=held_problem.pk,
        actor=office,
        answer="生态环境分局现场答复：下周上门核查。",
        expected_version=held_problem.version,
        now=MEETING_AT + dt.timedelta(hours=1),
    )

    assert problem.status == Status.DISPATCHED
    event = problem.events.get(kind=EventKind.ANSWERED_ON_SITE)
    assert event.is_public
    assert event.text == "生态环境分局现场答复：下周上门核查。"
    assert problem.version == held_problem.version + 1


def test_a_problem_fully_answered_on_site_is_concluded(meeting, held_problem, lead_staff):
    problem = services.meeting_record_answer(
        meeting_id=meeting.pk,
        problem_id=held_problem.pk,
        actor=lead_staff,
        answer="已现场协调处置单位，本周收运。",
        resolve=True,
        now=MEETING_AT + dt.timedelta(hours=1),
    )

    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED
    assert problem.answer == "已现场协调处置单位，本周收运。"
    # Answered at the meeting, whenever it is recorded; evaluated from when it is told.
    assert problem.first_resolved_at == problem.last_resolved_at == MEETING_AT
    assert problem.first_resolved_due_at == problem.due_at
    assert problem.autoclose_at == workflow.autoclose_at_from(MEETING_AT + dt.timedelta(hours=1))
    kinds = list(problem.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.ANSWERED_ON_SITE, EventKind.RESOLVED]


def test_an_answer_from_a_stale_form_is_refused(office, meeting, held_problem):
    before = snapshot(held_problem)

    with pytest.raises(workflow.StaleProblem):
        services.meeting_record_answer(
            meeting_id=meeting.pk,
            problem_id=held_problem.pk,
            actor=office,
            answer="答复",
            expected_version=held_problem.version - 1,
        )
    assert snapshot(held_problem) == before


@pytest.mark.parametrize("persona", ["enterprise_user", "other_staff", "leader"])
def test_only_the_office_or_the_lead_records_on_site_answers(
    request, meeting, held_problem, persona
):
    with pytest.raises(workflow.NotAllowed, match="record answers"):
        services.meeting_record_answer(
            meeting_id=meeting.pk,
            problem_id=held_problem.pk,
            actor=request.getfixturevalue(persona),
            answer="答复",
        )
    assert not held_problem.events.filter(kind=EventKind.ANSWERED_ON_SITE).exists()


def test_on_site_answers_wait_for_the_meeting_and_belong_to_it(
    office, meeting, raise_problem, dispatch, make_problem
):
    problem = dispatch(raise_problem(meeting))
    with pytest.raises(workflow.NotAllowed, match="marked held"):
        services.meeting_record_answer(
            meeting_id=meeting.pk, problem_id=problem.pk, actor=office, answer="答复"
        )
    other = make_problem(Status.DISPATCHED)
    with pytest.raises(services.MeetingError, match="not raised for this meeting"):
        services.meeting_record_answer(
            meeting_id=meeting.pk, problem_id=other.pk, actor=office, answer="答复"
        )


# --- a meeting entered afterwards (补录) ------------------------------------------------

# Mon 2025-09-01: its problems' 10 working days ended on Mon 2025-09-15, before NOW.
TOOK_PLACE_AT = at("2025-09-01 09:30")


@pytest.fixture
def entered_afterwards(office, leader, lead_department, enterprise, other_enterprise):
    return create(
        office,
        theme="八月走访企业座谈",
        starts_at=TOOK_PLACE_AT,
        presiding_leaders=[leader],
        departments=[lead_department],
        enterprises=[enterprise, other_enterprise],
    )


def register(office, meeting, enterprise, category, title, now=NOW):
    return workflow.problem_submit(
        actor=office,
        enterprise=enterprise,
        title=title,
        description="会上口头提出。",
        category=category,
        channel=Channel.MEETING,
        meeting=meeting,
        now=now,
    )


def test_the_problems_of_a_meeting_entered_afterwards_wait_until_it_is_marked_held(
    office, entered_afterwards, enterprise, category
):
    with pytest.raises(workflow.NotAllowed, match="mark it held first"):
        register(office, entered_afterwards, enterprise, category, "用电增容")
    assert not entered_afterwards.problems.exists()


def test_the_office_records_a_meeting_that_took_place_with_its_problems_and_answers(
    office,
    entered_afterwards,
    enterprise,
    other_enterprise,
    category,
    lead_department,
    lead_head,
    leader,
    enterprise_user,
):
    from issues import deadlines
    from notifications.models import Notification

    meeting = entered_afterwards
    assert meeting.entered_afterwards
    services.meeting_mark_held(
        meeting_id=meeting.pk, actor=office, attended=[enterprise.pk], now=NOW
    )
    answered = register(office, meeting, enterprise, category, "用电增容")
    follow_up = register(office, meeting, other_enterprise, category, "排污许可延续")

    # Fully answered at the meeting: dispatched to the department that answered, and
    # concluded, in one step.
    answered = services.meeting_record_answer(
        meeting_id=meeting.pk,
        problem_id=answered.pk,
        actor=office,
        answer="供电公司现场答复：本月完成增容。",
        resolve=True,
        lead_department=lead_department,
        expected_version=answered.version,
        now=NOW + dt.timedelta(minutes=5),
    )
    # Not answered there: dispatched, its clock from the meeting's date, already overdue.
    follow_up = workflow.problem_dispatch(
        problem_id=follow_up.pk,
        actor=office,
        lead_department=lead_department,
        now=NOW + dt.timedelta(minutes=10),
    )
    result = deadlines.sweep(NOW + dt.timedelta(minutes=15))
    services.meeting_close(
        meeting_id=meeting.pk,
        actor=office,
        minutes="补录：两个问题。",
        now=NOW + dt.timedelta(hours=1),
    )

    answered.refresh_from_db()
    follow_up.refresh_from_db()
    assert answered.status == Status.RESOLVED
    assert answered.lead_department == lead_department
    assert answered.clock_started_at == TOOK_PLACE_AT
    assert answered.first_resolved_at == TOOK_PLACE_AT  # on time: answered at the meeting
    assert answered.first_resolved_at <= answered.first_resolved_due_at
    assert answered.escalated_at is None
    kinds = list(answered.events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.SUBMITTED,
        EventKind.DISPATCHED,
        EventKind.ANSWERED_ON_SITE,
        EventKind.RESOLVED,
    ]
    # Its department is not told to handle what was concluded; the enterprise is told
    # of the answer.
    assert not Notification.objects.filter(problem=answered, recipient=lead_head).exists()
    assert Notification.objects.filter(
        problem=answered, recipient=enterprise_user, kind=EventKind.RESOLVED
    ).exists()

    assert follow_up.clock_started_at == TOOK_PLACE_AT
    assert follow_up.due_at == workdays.end_of_day(dt.date(2025, 9, 15))
    assert follow_up.escalation_level == 1
    assert result.escalated == 1
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED


def test_a_registered_problem_answered_on_site_needs_the_department_that_answered(
    office, entered_afterwards, enterprise, category, lead_staff
):
    services.meeting_mark_held(meeting_id=entered_afterwards.pk, actor=office, now=NOW)
    problem = register(office, entered_afterwards, enterprise, category, "用电增容")
    before = snapshot(problem)

    with pytest.raises(workflow.NotAllowed, match="department that answered"):
        services.meeting_record_answer(
            meeting_id=entered_afterwards.pk,
            problem_id=problem.pk,
            actor=office,
            answer="现场答复",
            resolve=True,
        )
    # A department cannot record an answer to a problem that is not yet its own.
    with pytest.raises(workflow.NotAllowed, match="record answers"):
        services.meeting_record_answer(
            meeting_id=entered_afterwards.pk,
            problem_id=problem.pk,
            actor=lead_staff,
            answer="现场答复",
            resolve=True,
            lead_department=lead_staff.profile.department,
        )
    assert snapshot(problem) == before
