"""Commissioners assigned, visits recorded, problems raised from a visit, follow-ups."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from issues.models import Channel, EventKind, Problem
from notifications.models import Notification
from service import selectors, services
from service.models import CommissionerAssignment, Visit, VisitProblem
from service.services import ServiceError
from tests.issues.conftest import make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 9, 26)
NOW = dt.datetime(2025, 9, 26, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def record(actor, enterprise, **changes):
    kwargs = {
        "actor": actor,
        "enterprise": enterprise,
        "visited_on": TODAY - dt.timedelta(days=1),
        "status": Visit.Status.DONE,
        "purpose": "了解企业用工需求",
        "findings": "企业反映招工难。",
        "now": NOW,
    }
    kwargs.update(changes)
    return services.visit_record(**kwargs)


# --- commissioners ---------------------------------------------------------------------


def test_it_assigns_one_commissioner_per_enterprise(office, enterprise, commissioner, lead_staff):
    first = services.commissioner_assign(
        actor=office, enterprise=enterprise, commissioner=commissioner
    )
    again = services.commissioner_assign(
        actor=office, enterprise=enterprise, commissioner=commissioner
    )
    assert again.pk == first.pk
    second = services.commissioner_assign(
        actor=office, enterprise=enterprise, commissioner=lead_staff
    )
    first.refresh_from_db()
    assert not first.active and first.ended_at is not None
    assert second.active and second.assigned_by == office
    assert selectors.commissioner_of(enterprise.pk) == lead_staff


def test_an_official_serves_many_enterprises(office, enterprise, other_enterprise, commissioner):
    for company in (enterprise, other_enterprise):
        services.commissioner_assign(actor=office, enterprise=company, commissioner=commissioner)
    assert (
        CommissionerAssignment.objects.filter(commissioner=commissioner, active=True).count() == 2
    )


def test_only_the_office_assigns_and_only_officials_serve(
    office, enterprise, commissioner, enterprise_user, lead_head
):
    with pytest.raises(ServiceError):
        services.commissioner_assign(
            actor=lead_head, enterprise=enterprise, commissioner=commissioner
        )
    with pytest.raises(ServiceError):
        services.commissioner_assign(
            actor=office, enterprise=enterprise, commissioner=enterprise_user
        )
    assert not CommissionerAssignment.objects.exists()


def test_unassigning_ends_the_assignment(office, enterprise, assigned):
    assert services.commissioner_unassign(actor=office, enterprise=enterprise) == 1
    assert selectors.commissioner_of(enterprise.pk) is None


# --- visits ----------------------------------------------------------------------------


def test_a_visit_is_recorded_with_its_people(commissioner, enterprise, leader, lead_staff):
    visit = record(commissioner, enterprise, officials=[lead_staff], leader=leader)
    assert set(visit.officials.all()) == {commissioner, lead_staff}
    assert visit.leader == leader
    assert visit.department == commissioner.profile.department


def test_a_visit_in_the_future_marked_done_is_refused(commissioner, enterprise):
    with pytest.raises(ServiceError, match="future"):
        record(commissioner, enterprise, visited_on=TODAY + dt.timedelta(days=3))
    assert not Visit.objects.exists()
    planned = record(
        commissioner, enterprise, visited_on=TODAY + dt.timedelta(days=3), status="planned"
    )
    with pytest.raises(ServiceError, match="future"):
        services.visit_mark_done(
            actor=commissioner, visit_id=planned.pk, expected_version=1, findings="x", now=NOW
        )
    planned.refresh_from_db()
    assert planned.status == Visit.Status.PLANNED and planned.version == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"visited_on": dt.date(2020, 1, 1)},
        {"visited_on": TODAY + dt.timedelta(days=400), "status": "planned"},
        {"purpose": "x" * 201},
        {"purpose": "   "},
        {"findings": "x" * 5001},
        {"follow_up_on": TODAY - dt.timedelta(days=2)},
        {"follow_up_on": TODAY + dt.timedelta(days=500)},
        {"status": "cancelled"},
    ],
)
def test_bad_input_changes_nothing(commissioner, enterprise, changes):
    with pytest.raises(ServiceError):
        record(commissioner, enterprise, **changes)
    assert not Visit.objects.exists()


def test_enterprises_do_not_record_visits(enterprise_user, enterprise):
    with pytest.raises(ServiceError):
        record(enterprise_user, enterprise)
    assert not Visit.objects.exists()


def test_a_double_submitted_visit_is_recorded_once(commissioner, enterprise):
    key = uuid.uuid4()
    first = record(commissioner, enterprise, submission_key=key)
    with pytest.raises(services.DuplicateVisit) as raised:
        record(commissioner, enterprise, submission_key=key)
    assert raised.value.visit == first
    assert Visit.objects.count() == 1


def test_marking_done_from_a_stale_page_is_refused(commissioner, enterprise):
    planned = record(commissioner, enterprise, visited_on=TODAY, status="planned")
    services.visit_mark_done(
        actor=commissioner, visit_id=planned.pk, expected_version=1, findings="好", now=NOW
    )
    with pytest.raises(ServiceError, match="changed"):
        services.visit_mark_done(
            actor=commissioner, visit_id=planned.pk, expected_version=1, findings="再", now=NOW
        )
    planned.refresh_from_db()
    assert planned.findings == "好" and planned.version == 2


# --- problems raised from a visit ------------------------------------------------------


def test_a_problem_raised_from_a_visit_has_channel_visit(
    commissioner, enterprise, category, office
):
    visit = record(commissioner, enterprise)
    problem = services.visit_raise_problem(
        actor=commissioner,
        visit=visit,
        expected_version=visit.version,
        title="招工难",
        description="一线工人缺口五十人。",
        category=category,
    )
    assert problem.channel == Channel.VISIT
    assert problem.enterprise == enterprise and problem.submitted_by == commissioner
    assert VisitProblem.objects.get(problem=problem).visit == visit
    # The office is told of it as of any new problem.
    assert Notification.objects.filter(recipient=office, problem=problem).exists()


def test_a_problem_cannot_be_raised_from_a_planned_or_stale_visit(
    commissioner, enterprise, category
):
    planned = record(commissioner, enterprise, visited_on=TODAY, status="planned")
    with pytest.raises(ServiceError):
        services.visit_raise_problem(
            actor=commissioner,
            visit=planned,
            expected_version=1,
            title="t",
            description="d",
            category=category,
        )
    done = record(commissioner, enterprise)
    with pytest.raises(ServiceError):
        services.visit_raise_problem(
            actor=commissioner,
            visit=done,
            expected_version=5,
            title="t",
            description="d",
            category=category,
        )
    assert not Problem.objects.exists()


def test_the_web_channel_is_still_the_enterprises_own(commissioner, enterprise, category):
    from issues import workflow

    with pytest.raises(workflow.TransitionError):
        workflow.problem_submit(
            actor=commissioner,
            enterprise=enterprise,
            title="t",
            description="d",
            category=category,
        )
    with pytest.raises(workflow.TransitionError):
        workflow.problem_submit(
            actor=commissioner,
            enterprise=enterprise,
            title="t",
            description="d",
            category=category,
            channel=Channel.PHONE,
        )


# --- the commissioner is told ----------------------------------------------------------


def test_the_commissioner_is_told_of_submission_and_dispatch(assigned, commissioner, make_problem):
    problem = make_problem("dispatched")
    kinds = set(
        Notification.objects.filter(recipient=commissioner, problem=problem).values_list(
            "event__kind", flat=True
        )
    )
    assert kinds == {EventKind.SUBMITTED, EventKind.DISPATCHED}


def test_another_enterprises_commissioner_is_not_told(office, other_enterprise, make_problem):
    from liaison.models import Role

    someone = make_user("someone", Role.OFFICE)
    services.commissioner_assign(actor=office, enterprise=other_enterprise, commissioner=someone)
    problem = make_problem("dispatched")
    assert (
        not Notification.objects.filter(recipient=someone, problem=problem)
        .exclude(event__kind=EventKind.SUBMITTED)
        .exists()
    )


def test_the_commissioner_is_told_of_an_escalation(assigned, commissioner, make_problem):
    from issues import deadlines

    problem = make_problem("dispatched")
    deadlines.escalate(problem.due_at + dt.timedelta(hours=1))
    assert Notification.objects.filter(
        recipient=commissioner, problem=problem, event__kind=EventKind.ESCALATED
    ).exists()


# --- follow-up reminders ---------------------------------------------------------------


def test_follow_ups_due_are_reminded_once(commissioner, enterprise, assigned, lead_staff):
    visit = record(lead_staff, enterprise, follow_up_on=TODAY + dt.timedelta(days=7))
    assert services.follow_ups_remind(today=TODAY + dt.timedelta(days=6)) == 0
    assert services.follow_ups_remind(today=TODAY + dt.timedelta(days=7)) == 1
    assert services.follow_ups_remind(today=TODAY + dt.timedelta(days=7)) == 0
    told = set(
        Notification.objects.filter(kind=services.FOLLOW_UP_KIND).values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {lead_staff.pk, commissioner.pk}
    visit.refresh_from_db()
    assert visit.follow_up_reminded_on == TODAY + dt.timedelta(days=7)


def test_the_task_is_scheduled_daily():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["remind-visit-follow-ups"]
    assert entry["task"] == "service.tasks.remind_follow_ups"


# --- statistics ------------------------------------------------------------------------


def test_statistics_count_visits_and_enterprises_not_visited(
    commissioner, enterprise, other_enterprise, assigned, leader
):
    record(commissioner, enterprise, leader=leader)
    record(commissioner, enterprise, visited_on=TODAY - dt.timedelta(days=40))
    stats = selectors.statistics(year=2025, months=6, today=TODAY)
    assert stats["total"] == 2
    assert stats["leader_total"] == 1
    assert stats["by_department"] == [
        {"department__name": commissioner.profile.department.name, "n": 2}
    ]
    assert stats["by_commissioner"][0]["n"] == 2
    assert dict(stats["by_month"])[9] == 1 and dict(stats["by_month"])[8] == 1
    assert [e.pk for e in stats["not_visited"]] == [other_enterprise.pk]
    assert timezone.now()  # the page's own default year is today's


def test_statistics_per_commissioner_count_their_enterprises_problems(
    office,
    commissioner,
    lead_head,
    enterprise,
    other_enterprise,
    other_enterprise_user,
    assigned,
    make_problem,
):
    """Raised, open, escalated, on-time and satisfaction rates (issues.metrics) of the
    problems the served enterprises raised in the year; visits done and the last one."""
    from decimal import Decimal

    from issues.models import Satisfaction

    services.commissioner_assign(actor=office, enterprise=other_enterprise, commissioner=lead_head)
    closed = make_problem("closed")  # answered two hours after dispatch: on time, satisfied
    open_one = make_problem("dispatched")
    escalated = make_problem("in_progress")
    Problem.objects.filter(pk=escalated.pk).update(escalation_level=1)
    unsatisfied = make_problem("resolved")
    Problem.objects.filter(pk=unsatisfied.pk).update(
        status="closed", satisfaction=Satisfaction.UNSATISFIED, closed_at=NOW
    )
    make_problem("dispatched", now=NOW.replace(year=2024))  # another year
    record(commissioner, enterprise, visited_on=TODAY - dt.timedelta(days=3))
    record(commissioner, enterprise, visited_on=dt.date(2024, 5, 1))
    rows = {
        row["commissioner_id"]: row for row in selectors.commissioner_statistics(year=2025, now=NOW)
    }
    mine = rows[commissioner.pk]
    assert (mine["enterprises"], mine["n"], mine["last_visit"]) == (
        1,
        1,
        TODAY - dt.timedelta(days=3),
    )
    figures = mine["problems"]
    assert (figures["received"], figures["open"], figures["escalated"]) == (4, 2, 1)
    assert figures["on_time_rate"] == Decimal(100)  # both concluded were answered in time
    assert figures["satisfaction_rate"] == Decimal(50)  # one satisfied of two evaluated
    assert closed.pk and open_one.pk
    # The other commissioner's enterprise raised nothing: zeros, no rates.
    theirs = rows[lead_head.pk]
    assert (theirs["enterprises"], theirs["n"], theirs["last_visit"]) == (1, 0, None)
    assert theirs["problems"]["received"] == 0
    assert theirs["problems"]["satisfaction_rate"] is None


def test_each_escalated_problem_tells_its_own_enterprises_commissioner(
    office,
    enterprise,
    other_enterprise,
    commissioner,
    lead_head,
    make_problem,
    other_enterprise_user,
):
    from service.hooks import escalation_audience

    services.commissioner_assign(actor=office, enterprise=enterprise, commissioner=commissioner)
    services.commissioner_assign(actor=office, enterprise=other_enterprise, commissioner=lead_head)
    mine = [make_problem("dispatched") for _ in range(2)]
    theirs = make_problem("dispatched", submitter=other_enterprise_user)
    told = escalation_audience([p.pk for p in (*mine, theirs)])
    assert told == {
        mine[0].pk: [commissioner.pk],
        mine[1].pk: [commissioner.pk],
        theirs.pk: [lead_head.pk],
    }
