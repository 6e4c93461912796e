"""The deadline sweep against the working-day calendar, with time frozen.

Calendar facts used (2025, from the data migration): 1-8 October is the National Day
holiday, Sunday 28 September and Saturday 11 October are make-up working days.
Dispatched Fri 2025-09-26 10:00 → due Thu 2025-10-16 23:59:59, warning from
Wed 2025-10-15 00:00.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
import time

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core.management import call_command
from django.db import connection, transaction

from issues import deadlines, notifications, workflow
from issues.models import EventKind, Problem, ProblemEvent, Satisfaction, Status
from issues.tasks import enforce_deadlines
from liaison import workdays
from liaison.models import CalendarDay, CalendarYear, Role
from notifications.models import Notification
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import NOW, at, copy_problems, make_user

DUE = at("2025-10-16 23:59:59")
WARN = at("2025-10-15 00:00")
ESCALATED = at("2025-10-17 00:00:01")
# Five working days after Fri 17 October: Mon 20 ... Fri 24 October.
ESCALATE_AGAIN = at("2025-10-24 23:59:59")

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(office, leader, principal, lead_head):
    """Everyone the sweep may tell: office, supervising leader, principal, lead head."""
    return {"office": office, "leader": leader, "principal": principal, "head": lead_head}


def sweep(moment: dt.datetime) -> dict:
    with time_machine.travel(moment, tick=False):
        return deadlines.sweep().as_dict()


def events(problem, kind) -> list[ProblemEvent]:
    return list(ProblemEvent.objects.filter(problem=problem, kind=kind).order_by("pk"))


def told(event) -> set[str]:
    """Usernames with an in-app notification of `event`."""
    return set(
        Notification.objects.filter(event=event, channel="in_app").values_list(
            "recipient__username", flat=True
        )
    )


def first_number(text: str) -> int:
    """The count a grouped message starts with ("25 problems …", "有25个问题…")."""
    return int(re.search(r"\d+", text).group())


def fresh(problem) -> Problem:
    return Problem.objects.get(pk=problem.pk)


# --- stored times --------------------------------------------------------------------------


def test_it_stores_the_times_on_dispatch(make_problem):
    problem = make_problem(Status.DISPATCHED)

    assert (problem.due_at, problem.warn_at) == (DUE, WARN)
    assert problem.deadline_version == 1
    assert problem.warned_at is problem.escalated_at is None
    assert problem.remind_at is None


def test_it_reminds_counting_a_make_up_sunday(make_problem):
    problem = make_problem(Status.SUBMITTED)

    # Fri 26 Sep: the next working day is Sunday 28 September (调休).
    assert problem.remind_at == at("2025-09-28 23:59:59")


def test_it_closes_after_five_working_days_across_the_holiday(make_problem):
    problem = make_problem(Status.RESOLVED)

    # Answered Fri 26 Sep: Sun 28, Mon 29, Tue 30 Sep, Thu 9, Fri 10 Oct.
    assert problem.autoclose_at == at("2025-10-10 23:59:59")


# --- the warning -----------------------------------------------------------------------


def test_it_does_nothing_before_the_warning_time(make_problem, people):
    problem = make_problem(Status.IN_PROGRESS)

    assert sweep(at("2025-10-14 23:59"))["warned"] == 0

    assert events(problem, EventKind.WARNED) == []


def test_it_warns_the_lead_head_once(make_problem, people):
    problem = make_problem(Status.IN_PROGRESS)

    assert sweep(at("2025-10-15 00:01"))["warned"] == 1
    assert sweep(at("2025-10-15 09:00"))["warned"] == 0

    [event] = events(problem, EventKind.WARNED)
    assert event.dedupe_key == "warn:1"
    assert event.is_public is False
    assert told(event) == {"lead_head"}
    assert fresh(problem).warned_at == at("2025-10-15 00:01")


# --- escalation ------------------------------------------------------------------------


def test_it_does_not_escalate_on_the_due_day(make_problem, people):
    problem = make_problem(Status.IN_PROGRESS)

    assert sweep(DUE)["escalated"] == 0

    assert fresh(problem).escalation_level == 0


def test_it_escalates_to_the_supervising_leader_once(make_problem, people):
    problem = make_problem(Status.IN_PROGRESS)

    first = sweep(ESCALATED)
    second = sweep(ESCALATED + dt.timedelta(minutes=5))

    assert (first["escalated"], second["escalated"]) == (1, 0)
    problem = fresh(problem)
    assert problem.escalation_level == 1
    assert problem.escalated_at == ESCALATED
    assert problem.escalate_again_at == ESCALATE_AGAIN
    [event] = events(problem, EventKind.ESCALATED)
    assert event.dedupe_key == "escalate1:1"
    assert event.is_public is False
    assert event.data["level"] == 1
    assert event.data["recipients"] == ["leader"]
    assert told(event) == {"leader", "office", "lead_head"}


def test_it_escalates_to_the_responsible_leader_when_set(make_problem, people, office):
    responsible = make_user("responsible", Role.LEADER)
    problem = make_problem(Status.SUBMITTED)
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=people["head"].profile.department,
        responsible_leader=responsible,
        now=NOW,
    )

    sweep(ESCALATED)

    [event] = events(problem, EventKind.ESCALATED)
    assert event.data["recipients"] == ["responsible"]
    assert told(event) == {"responsible", "office", "lead_head"}


def test_an_overdue_problem_never_warned_is_escalated_not_warned(make_problem, people):
    problem = make_problem(Status.IN_PROGRESS)

    result = sweep(ESCALATED)

    assert (result["warned"], result["escalated"]) == (0, 1)
    assert fresh(problem).warned_at == ESCALATED
    assert sweep(ESCALATED + dt.timedelta(hours=1))["warned"] == 0


def test_it_escalates_to_the_principals_five_working_days_later_once(make_problem, people):
    problem = make_problem(Status.IN_PROGRESS)
    sweep(ESCALATED)

    assert sweep(ESCALATE_AGAIN)["escalated_again"] == 0
    assert sweep(ESCALATE_AGAIN + dt.timedelta(seconds=2))["escalated_again"] == 1
    assert sweep(at("2025-10-30 10:00"))["escalated_again"] == 0

    problem = fresh(problem)
    assert problem.escalation_level == 2
    assert problem.escalate_again_at is None
    first, second = events(problem, EventKind.ESCALATED)
    assert second.dedupe_key == "escalate2:1"
    assert second.data["recipients"] == ["principal"]
    assert told(second) == {"principal", "office"}


def test_it_does_not_escalate_a_resolved_problem(make_problem, people):
    problem = make_problem(Status.RESOLVED)

    sweep(ESCALATED)

    assert events(problem, EventKind.ESCALATED) == []


# Rule: an approved extension starts a new deadline version. If the new deadline is
# ahead, the problem stops being overdue: its warning and pending escalations are
# cleared (escalation_level stays as history). When the new deadline passes too, it is
# escalated again, once (key escalate1:{new version}); the principals' 5-day clock
# starts from that new escalation.
def test_an_extension_after_escalation_ends_overdue_until_the_new_deadline(
    make_problem, people, lead_staff, leader
):
    problem = make_problem(Status.IN_PROGRESS)
    sweep(ESCALATED)
    request = workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=10, reason="需协调", now=ESCALATED
    )
    approved_at = at("2025-10-17 10:00")
    workflow.problem_decide_extension(
        extension_id=request.pk, actor=leader, approve=True, now=approved_at
    )

    problem = fresh(problem)
    # Thu 16 Oct + 10 working days: Thu 30 October.
    assert problem.due_at == at("2025-10-30 23:59:59")
    assert problem.due_at > approved_at  # no longer overdue
    assert (problem.escalation_level, problem.deadline_version) == (1, 2)
    assert problem.escalated_at is problem.escalate_again_at is problem.warned_at is None

    # Past the first escalation's 5 working days, before the new deadline: nothing.
    result = sweep(ESCALATE_AGAIN + dt.timedelta(seconds=2))
    assert (result["escalated"], result["escalated_again"]) == (0, 0)
    assert sweep(at("2025-10-29 00:01"))["warned"] == 1
    assert sweep(at("2025-10-30 23:00"))["escalated"] == 0
    # The new deadline passes: escalated again, once.
    assert sweep(at("2025-10-31 00:00:01"))["escalated"] == 1
    assert sweep(at("2025-10-31 08:00"))["escalated"] == 0
    keys = [e.dedupe_key for e in events(problem, EventKind.ESCALATED)]
    assert keys == ["escalate1:1", "escalate1:2"]
    assert [e.dedupe_key for e in events(problem, EventKind.WARNED)] == ["warn:2"]


def test_an_extension_that_ends_in_the_past_does_not_escalate_twice(
    make_problem, people, lead_staff, leader
):
    problem = make_problem(Status.IN_PROGRESS)
    sweep(ESCALATED)
    request = workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=1, reason="需协调", now=ESCALATED
    )
    workflow.problem_decide_extension(
        extension_id=request.pk, actor=leader, approve=True, now=at("2025-10-27 10:00")
    )

    assert fresh(problem).escalated_at == ESCALATED  # still late: kept
    assert sweep(at("2025-10-27 11:00"))["escalated"] == 0


def test_reopening_starts_a_fresh_clock_that_can_warn_and_escalate_again(
    make_problem, people, enterprise_user, lead_staff
):
    problem = make_problem(Status.IN_PROGRESS)
    sweep(ESCALATED)
    workflow.problem_resolve(
        problem_id=problem.pk, actor=lead_staff, answer="已处理", now=at("2025-10-20 09:00")
    )
    workflow.problem_reopen(
        problem_id=problem.pk, actor=enterprise_user, reason="未解决", now=at("2025-10-21 09:00")
    )

    problem = fresh(problem)
    assert (problem.escalation_level, problem.deadline_version) == (0, 2)
    assert problem.escalated_at is problem.warned_at is problem.autoclose_at is None
    # Tue 21 Oct + 10 working days: Tue 4 November.
    assert problem.due_at == at("2025-11-04 23:59:59")

    assert sweep(at("2025-11-03 00:01"))["warned"] == 1
    assert sweep(at("2025-11-05 00:00:01"))["escalated"] == 1
    assert [e.dedupe_key for e in events(problem, EventKind.ESCALATED)] == [
        "escalate1:1",
        "escalate1:2",
    ]


# --- reminders and auto-close ----------------------------------------------------------


def test_it_reminds_the_office_once_of_a_problem_left_submitted(make_problem, people):
    problem = make_problem(Status.SUBMITTED)

    assert sweep(at("2025-09-28 23:00"))["reminded"] == 0
    assert sweep(at("2025-09-29 00:00:01"))["reminded"] == 1
    assert sweep(at("2025-09-29 09:00"))["reminded"] == 0

    [event] = events(problem, EventKind.REMINDED)
    assert told(event) == {"office"}
    assert event.is_public is False


def test_a_returned_problem_reminds_the_office_again(make_problem, people, lead_staff, office):
    problem = make_problem(Status.SUBMITTED)
    sweep(at("2025-09-29 00:00:01"))
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=lead_staff.profile.department,
        now=at("2025-09-29 09:00"),
    )
    workflow.problem_return(
        problem_id=problem.pk, actor=lead_staff, reason="非本部门职责", now=at("2025-09-29 10:00")
    )

    assert fresh(problem).remind_at == at("2025-09-30 23:59:59")
    assert sweep(at("2025-10-09 08:00"))["reminded"] == 1

    assert len(events(problem, EventKind.REMINDED)) == 2


def test_it_closes_an_answer_not_evaluated_in_five_working_days(make_problem, people):
    problem = make_problem(Status.RESOLVED)

    assert sweep(at("2025-10-10 23:00"))["auto_closed"] == 0
    assert sweep(at("2025-10-11 00:00:01"))["auto_closed"] == 1
    assert sweep(at("2025-10-11 09:00"))["auto_closed"] == 0

    problem = fresh(problem)
    assert problem.status == Status.CLOSED
    assert problem.satisfaction == Satisfaction.NOT_EVALUATED
    assert problem.closed_at == at("2025-10-11 00:00:01")
    [event] = events(problem, EventKind.AUTO_CLOSED)
    assert event.is_public is True
    assert (event.from_status, event.to_status) == (Status.RESOLVED, Status.CLOSED)
    assert told(event) == {"enterprise_user"}


def test_an_evaluated_problem_is_not_auto_closed(make_problem, people):
    problem = make_problem(Status.CLOSED)

    assert sweep(at("2025-10-20 00:00"))["auto_closed"] == 0

    assert fresh(problem).satisfaction == Satisfaction.SATISFIED


# --- exactly once ----------------------------------------------------------------------


def test_it_writes_one_event_and_one_set_of_notifications_when_run_twice(make_problem, people):
    problems = [make_problem(Status.IN_PROGRESS) for _ in range(3)]

    sweep(ESCALATED)
    escalations = Notification.objects.filter(kind=EventKind.ESCALATED)
    after_first = escalations.count()
    sweep(ESCALATED)

    for problem in problems:
        assert len(events(problem, EventKind.ESCALATED)) == 1
    assert escalations.count() == after_first == 3 * 3  # leader, office, head; in-app only


def test_the_unique_key_backstops_an_event_already_recorded(make_problem, people):
    problem = make_problem(Status.IN_PROGRESS)
    sweep(ESCALATED)
    # As if a bug reset the marker: the sweep claims the problem again.
    Problem.objects.filter(pk=problem.pk).update(escalated_at=None)

    assert sweep(ESCALATED + dt.timedelta(minutes=1))["escalated"] == 0

    assert len(events(problem, EventKind.ESCALATED)) == 1


class Crash(BaseException):
    """A worker killed mid-sweep: not an error the sweep could catch."""


def test_a_sweep_killed_after_the_first_rule_is_finished_by_the_next(
    make_problem, people, monkeypatch
):
    overdue = [make_problem(Status.IN_PROGRESS) for _ in range(2)]
    resolved = make_problem(Status.RESOLVED)
    # Ten working days in: overdue ones to escalate, the answer to auto-close.
    moment = ESCALATED

    def crash(now, batch_size):
        raise Crash

    with monkeypatch.context() as patched:
        patched.setitem(deadlines.SWEEP_RULES, "warned", crash)
        with pytest.raises(Crash):
            sweep(moment)
    # The escalation committed before the crash; the auto-close did not run.
    assert all(fresh(p).escalation_level == 1 for p in overdue)
    assert fresh(resolved).status == Status.RESOLVED

    result = sweep(moment + dt.timedelta(minutes=2))

    assert (result["escalated"], result["auto_closed"]) == (0, 1)
    for problem in overdue:
        assert len(events(problem, EventKind.ESCALATED)) == 1
    assert fresh(resolved).status == Status.CLOSED


def test_a_failing_rule_is_reported_and_the_others_still_run(make_problem, people, monkeypatch):
    problem = make_problem(Status.RESOLVED)

    def broken(now, batch_size):
        raise RuntimeError("broken rule")

    monkeypatch.setitem(deadlines.SWEEP_RULES, "escalated", broken)
    result = sweep(at("2025-10-11 00:00:01"))

    assert result["failed"] == ["escalated"]
    assert result["auto_closed"] == 1
    assert fresh(problem).status == Status.CLOSED


def _out_of_time(now, batch_size):
    raise SoftTimeLimitExceeded()


def _stopping_at_warn(monkeypatch) -> list[str]:
    """The rules with `warned` running out of time; returns the names of the rules that ran."""
    ran: list[str] = []

    def tracked(name, rule):
        def run(now, batch_size):
            ran.append(name)
            return rule(now, batch_size)

        return run

    for name, rule in list(deadlines.SWEEP_RULES.items()):
        monkeypatch.setitem(
            deadlines.SWEEP_RULES, name, tracked(name, _out_of_time if name == "warned" else rule)
        )
    return ran


def test_a_rule_out_of_time_stops_the_sweep(make_problem, people, monkeypatch, caplog):
    overdue = make_problem(Status.IN_PROGRESS)
    answered = make_problem(Status.RESOLVED)
    ran = _stopping_at_warn(monkeypatch)

    with pytest.raises(SoftTimeLimitExceeded):
        sweep(ESCALATED)

    # The rules before it are committed; none after it ran.
    assert ran == ["escalated_again", "escalated", "warned"]
    assert fresh(overdue).escalation_level == 1
    assert fresh(answered).status == Status.RESOLVED
    assert "deadline sweep stopped during rule warned" in caplog.text
    assert "failed" not in caplog.text


def test_the_task_ends_cleanly_at_its_soft_time_limit(make_problem, people, monkeypatch):
    answered = make_problem(Status.RESOLVED)
    ran = _stopping_at_warn(monkeypatch)

    with time_machine.travel(ESCALATED, tick=False):
        outcome = enforce_deadlines.apply()

    assert outcome.successful()
    assert outcome.result == {"stopped": "soft_time_limit"}
    assert "auto_closed" not in ran
    assert fresh(answered).status == Status.RESOLVED


@pytest.fixture
def soft_time_limit():
    """soft_time_limit(seconds): SoftTimeLimitExceeded raised by a signal, as the worker does."""

    def raise_it(signum, frame):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, raise_it)
    yield lambda seconds: signal.setitimer(signal.ITIMER_REAL, seconds)
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_a_sweep_overrunning_its_time_stops_when_the_limit_strikes(
    make_problem, people, monkeypatch, soft_time_limit
):
    answered = make_problem(Status.RESOLVED)
    ran = []

    def slow(now, batch_size):  # a rule that would take 30 s
        ran.append("slow")
        Problem.objects.filter(pk=answered.pk).update(answer="half done")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.01)
        return 1

    # The slow rule first, then the others.
    others = {name: rule for name, rule in deadlines.SWEEP_RULES.items() if name != "warned"}
    monkeypatch.setattr(deadlines, "SWEEP_RULES", {"warned": slow, **others})
    started = time.monotonic()
    soft_time_limit(0.5)
    outcome = enforce_deadlines.apply()

    assert time.monotonic() - started < 10
    assert (outcome.successful(), outcome.result) == (True, {"stopped": "soft_time_limit"})
    assert ran == ["slow"]  # the other rules did not run
    # The rule's transaction rolled back; nothing else moved.
    assert fresh(answered).answer == "已联系有资质的处置单位上门收运。"
    assert fresh(answered).status == Status.RESOLVED


# --- query count -----------------------------------------------------------------------

# The sweep's queries when only the escalation rule has work, whatever the number of
# problems: escalate_again's claim and mark (one UPDATE ... RETURNING; nothing);
# escalation: claim and mark (one UPDATE ... RETURNING), the lead departments'
# supervising leaders, recipients, the enterprises' commissioners (service), INSERT of
# the events, the webhooks' subscriptions (none here: api.webhooks.fanout), then
# write_for_events: problems, people, INSERT of the outbox;
# warn (claim and mark), remind, auto-close and the key tasks' milestones
# (keytasks.deadlines): one claim
# each (nothing). Each rule runs in its own transaction: inside the test's transaction,
# a SAVEPOINT and a RELEASE each. The five rules of the problems first hold the calendar
# (on PostgreSQL an advisory lock; SQLite's transaction already holds it) and read its
# revision; before the rules, the calendar catch-up reads the revision and the problems
# left of another revision (none).
RULES = 6
CALENDAR = 2 + 5 * (2 if connection.vendor == "postgresql" else 1)
ESCALATION_SWEEP_QUERIES = 1 + 5 + 1 + 3 + 4 + RULES * 2 + CALENDAR
IDLE_SWEEP_QUERIES = RULES + RULES * 2 + CALENDAR


@pytest.mark.parametrize("n", [10, 1000])
def test_the_sweep_makes_the_same_number_of_queries_for_10_and_1000(
    make_problem, people, django_assert_num_queries, warm_calendar, n
):
    problem = make_problem(Status.IN_PROGRESS)
    copy_problems(problem, n - 1)

    with time_machine.travel(ESCALATED, tick=False):
        with django_assert_num_queries(ESCALATION_SWEEP_QUERIES):
            result = deadlines.sweep()

    assert result.escalated == n
    # More than 3 each: leader, office and head get one message listing them.
    told = Notification.objects.filter(kind=EventKind.ESCALATED)
    assert told.count() == 3
    assert {first_number(row.subject) for row in told} == {n}


def test_a_sweep_with_nothing_due_reads_one_query_per_rule(
    make_problem, people, django_assert_num_queries, warm_calendar
):
    make_problem(Status.IN_PROGRESS)

    with time_machine.travel(at("2025-10-01 10:00"), tick=False):
        with django_assert_num_queries(IDLE_SWEEP_QUERIES):
            deadlines.sweep()


# --- calendar edits --------------------------------------------------------------------


def test_a_calendar_edit_moves_the_stored_deadline(
    make_problem, people, django_capture_on_commit_callbacks, celery_eager
):
    problem = make_problem(Status.IN_PROGRESS)
    late = make_problem(Status.RESOLVED)

    # Thu 9 October becomes a holiday: everything after it moves by one working day.
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=dt.date(2025, 10, 9), kind="holiday", name="test")

    problem = fresh(problem)
    assert problem.due_at == at("2025-10-17 23:59:59")
    assert problem.warn_at == at("2025-10-16 00:00")
    assert problem.original_due_at == at("2025-10-17 23:59:59")
    assert problem.deadline_version == 2
    assert fresh(late).autoclose_at == at("2025-10-11 23:59:59")

    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.filter(date=dt.date(2025, 10, 9)).delete()

    assert fresh(problem).due_at == DUE


def test_a_calendar_edit_keeps_approved_extensions(
    make_problem, people, lead_staff, leader, django_capture_on_commit_callbacks, celery_eager
):
    problem = make_problem(Status.IN_PROGRESS)
    request = workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=3, reason="需协调", now=at("2025-10-10 09:00")
    )
    workflow.problem_decide_extension(
        extension_id=request.pk, actor=leader, approve=True, now=at("2025-10-10 10:00")
    )
    assert fresh(problem).due_at == at("2025-10-21 23:59:59")

    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=dt.date(2025, 10, 20), kind="holiday", name="test")

    assert fresh(problem).due_at == at("2025-10-22 23:59:59")


def test_confirming_a_year_updates_provisional_deadlines(
    make_problem, people, django_capture_on_commit_callbacks, celery_eager
):
    CalendarYear.objects.filter(year=2025).update(confirmed=False)

    workdays.invalidate()
    problem = make_problem(Status.IN_PROGRESS)
    assert fresh(problem).deadline_provisional is True

    with django_capture_on_commit_callbacks(execute=True):
        year = CalendarYear.objects.get(year=2025)
        year.confirmed = True
        year.save(update_fields=["confirmed"])

    assert fresh(problem).deadline_provisional is False


@pytest.fixture
def calendar_restored():
    """The calendar this process caches is re-read after the test's edits are rolled back."""
    yield

    workdays.invalidate()


def test_a_calendar_edit_queues_the_recompute_for_the_worker(
    make_problem, people, django_capture_on_commit_callbacks, monkeypatch, calendar_restored
):
    problem = make_problem(Status.IN_PROGRESS)
    queued = []
    monkeypatch.setattr(
        "liaison.celery.send_or_false", lambda task, args=(): queued.append(task.name) or True
    )

    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=dt.date(2025, 10, 9), kind="holiday", name="test")

    assert queued == ["issues.tasks.recompute_deadlines"]
    assert fresh(problem).due_at == DUE  # not yet: the worker does it


def test_with_the_broker_down_a_calendar_edit_recomputes_at_once(
    make_problem, people, django_capture_on_commit_callbacks, caplog, calendar_restored
):
    from liaison.celery import app

    problem = make_problem(Status.IN_PROGRESS)
    previous = app.conf.get("broker_write_url")
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    try:
        with django_capture_on_commit_callbacks(execute=True):
            CalendarDay.objects.create(date=dt.date(2025, 10, 9), kind="holiday", name="test")
    finally:
        app.conf.broker_write_url = previous

    assert "could not queue issues.tasks.recompute_deadlines" in caplog.text
    assert fresh(problem).due_at == at("2025-10-17 23:59:59")


def test_a_deadline_computed_with_a_calendar_read_before_the_edit_is_recomputed_first(
    make_problem, people, office, lead_staff, calendar_restored
):
    problem = make_problem(Status.SUBMITTED)
    workdays.is_working_day(dt.date(2025, 10, 9))  # this process has read the calendar
    # The edit commits (here: in the test's transaction; its after-commit re-read and
    # recompute do not run), while this process still holds the calendar it read before.
    CalendarDay.objects.create(date=dt.date(2025, 10, 9), kind="holiday", name="test")
    workflow.problem_dispatch(
        problem_id=problem.pk, actor=office, lead_department=lead_staff.profile.department, now=NOW
    )
    assert fresh(problem).due_at == DUE  # the deadline the edited calendar no longer gives

    result = sweep(ESCALATED)

    assert (result["escalated"], result["recomputed"]) == (0, 1)
    assert fresh(problem).due_at == at("2025-10-17 23:59:59")
    assert fresh(problem).calendar_revision == workdays.in_force()


def test_an_escalation_a_calendar_edit_makes_premature_is_withdrawn(
    make_problem,
    people,
    client_as,
    django_capture_on_commit_callbacks,
    celery_eager,
    calendar_restored,
):
    problem = make_problem(Status.IN_PROGRESS)
    leader = _with_contacts(people["leader"], email="leader@example.gov.cn", phone="13800000009")
    assert sweep(ESCALATED)["escalated"] == 1

    # The office enters a holiday it had missed: the deadline is now tonight.
    with time_machine.travel(at("2025-10-17 09:00"), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            CalendarDay.objects.create(date=dt.date(2025, 10, 9), kind="holiday", name="补登")

    problem = fresh(problem)
    assert problem.due_at == at("2025-10-17 23:59:59")
    assert (problem.escalation_level, problem.escalated_at, problem.escalate_again_at) == (
        0,
        None,
        None,
    )
    (escalation,) = events(problem, EventKind.ESCALATED)  # it stays recorded
    (withdrawn,) = events(problem, EventKind.ESCALATION_WITHDRAWN)
    assert (withdrawn.dedupe_key, withdrawn.is_public) == ("withdrawn:2", False)
    assert dt.datetime.fromisoformat(withdrawn.data["previous_due_at"]) == DUE
    assert told(withdrawn) == told(escalation) == {"leader", "office", "lead_head"}
    mine = Notification.objects.filter(event=withdrawn, recipient=leader)
    assert sorted(mine.values_list("channel", flat=True)) == ["email", "in_app", "sms"]
    email = mine.get(channel="email")
    assert "Escalation withdrawn" in email.subject
    assert "deadline is now Fri 17 Oct 2025, so it is no longer overdue" in email.body
    # Off the leader's list; the page says what happened and shows no escalation in force.
    client = client_as(leader)
    assert problem.reference not in client.get("/problems/escalations/").content.decode()
    page = client.get(f"/problems/{problem.reference}/").content.decode()
    assert 'id="problem-escalated-to"' not in page and 'id="problem-escalation"' not in page
    assert "Escalation withdrawn: the calendar changed" in page
    assert "Told: leader" in page

    # Still open when the new deadline passes: escalated again, once.
    assert sweep(at("2025-10-18 00:00:01"))["escalated"] == 1
    assert sweep(at("2025-10-18 00:10"))["escalated"] == 0
    keys = [e.dedupe_key for e in events(problem, EventKind.ESCALATED)]
    assert keys == ["escalate1:1", "escalate1:2"]


def test_a_withdrawn_second_escalation_is_told_to_the_principal_leaders(
    make_problem, people, django_capture_on_commit_callbacks, celery_eager, calendar_restored
):
    problem = make_problem(Status.IN_PROGRESS)
    sweep(ESCALATED)
    assert sweep(ESCALATE_AGAIN + dt.timedelta(seconds=2))["escalated_again"] == 1

    # A week the district closed, entered late: 9 October to 17 October. The 10th working
    # day is now Mon 27 October.
    closed = [9, 10, 13, 14, 15, 16, 17]
    with time_machine.travel(at("2025-10-25 09:00"), tick=False):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            for day in closed:
                CalendarDay.objects.create(date=dt.date(2025, 10, day), kind="holiday")

    problem = fresh(problem)
    assert (problem.due_at, problem.escalation_level) == (at("2025-10-27 23:59:59"), 0)
    (withdrawn,) = events(problem, EventKind.ESCALATION_WITHDRAWN)
    assert withdrawn.data["previous_level"] == 2
    assert told(withdrawn) == {"leader", "principal", "office", "lead_head"}


# --- the command -----------------------------------------------------------------------


def test_the_command_runs_the_sweep_and_prints_the_counts(make_problem, people, capsys):
    make_problem(Status.IN_PROGRESS)

    with time_machine.travel(ESCALATED, tick=False):
        call_command("enforce_deadlines")

    out = capsys.readouterr().out
    assert "escalated: 1" in out
    assert "warned: 0" in out


# --- the leader's queue and the problem page --------------------------------------------


@pytest.fixture
def escalated(make_problem, people):
    """Two overdue problems, escalated; the first is then escalated to level 2.

    The second was dispatched Mon 22 September: due Sat 11 October (a make-up day).
    """
    first = make_problem(Status.IN_PROGRESS)
    second = make_problem(Status.DISPATCHED, now=at("2025-09-22 10:00"))
    sweep(ESCALATED + dt.timedelta(days=1))
    Problem.objects.filter(pk=first.pk).update(escalate_again_at=at("2025-10-20 00:00"))
    sweep(at("2025-10-20 00:00:01"))
    return fresh(first), fresh(second)


def test_the_leader_sees_their_escalations_most_overdue_first(escalated, client_as, leader):
    first, second = escalated

    with time_machine.travel(at("2025-10-21 10:00"), tick=False):
        response = client_as(leader).get("/problems/escalations/")

    assert response.status_code == 200
    assert [p.reference for p in response.context["page"].object_list] == [
        second.reference,
        first.reference,
    ]
    page = response.content.decode()
    assert "overdue by 7 working days" in page
    assert "overdue by 3 working days" in page


def test_the_principal_sees_only_the_second_level(escalated, client_as, principal):
    first, _ = escalated

    response = client_as(principal).get("/problems/escalations/")

    assert [p.reference for p in response.context["page"].object_list] == [first.reference]


def test_another_leader_sees_none(escalated, client_as):
    other = make_user("other_leader", Role.LEADER)

    response = client_as(other).get("/problems/escalations/")

    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("role_fixture", ["lead_head", "enterprise_user"])
def test_the_queue_does_not_exist_for_others(escalated, client_as, request, role_fixture):
    user = request.getfixturevalue(role_fixture)

    assert client_as(user).get("/problems/escalations/").status_code == 404


def test_the_queue_makes_a_fixed_number_of_queries(
    escalated, client_as, leader, django_assert_num_queries, warm_calendar
):
    first, _ = escalated
    copy_problems(first, 30)
    client = client_as(leader)
    client.get("/problems/escalations/")  # session, calendar and templates warmed

    # session, user, profile (context processor), count, page of problems.
    with django_assert_num_queries(5 + TWO_FACTOR_DEVICE):
        client.get("/problems/escalations/")


def test_the_problem_page_says_to_whom_it_was_escalated(escalated, client_as, office):
    first, _ = escalated

    page = client_as(office).get(f"/problems/{first.reference}/").content.decode()

    assert "Escalated (level 2)" in page
    assert "Level 1, to leader" in page
    assert "Level 2, to principal" in page


def test_the_enterprise_does_not_see_the_escalation(escalated, client_as, enterprise_user):
    first, _ = escalated

    page = client_as(enterprise_user).get(f"/problems/{first.reference}/").content.decode()

    assert "Escalated" not in page


def test_the_leader_home_links_to_the_escalations(escalated, client_as, leader):
    page = client_as(leader).get("/").content.decode()

    assert 'href="/problems/escalations/"' in page
    assert "escalated to me" in page


# --- grouped messages --------------------------------------------------------------------


def _with_contacts(user, *, email: str, phone: str = "", language: str = "en"):
    user.email = email
    user.save(update_fields=["email"])
    user.profile.phone = phone
    user.profile.language = language
    user.profile.save(update_fields=["phone", "language"])
    return user


def test_up_to_the_threshold_each_problem_has_its_own_message(make_problem, people):
    # Someone told about more than 3 problems in one run gets one message listing them.
    problems = [make_problem(Status.IN_PROGRESS) for _ in range(3)]

    sweep(ESCALATED)

    for problem in problems:
        (event,) = events(problem, EventKind.ESCALATED)
        assert told(event) == {"leader", "office", "lead_head"}
    assert not Notification.objects.exclude(dedupe_key="").exists()


def test_above_the_threshold_each_person_gets_one_message_listing_the_problems(
    make_problem, people
):
    leader = _with_contacts(people["leader"], email="leader@example.gov.cn", phone="13800000009")
    _with_contacts(people["head"], email="head@example.gov.cn", language="zh-hans")
    n = 4  # one more than 3: the smallest number that is grouped
    problems = [make_problem(Status.IN_PROGRESS) for _ in range(n)]

    sweep(ESCALATED)

    mine = Notification.objects.filter(recipient=leader, kind=EventKind.ESCALATED)
    assert sorted(mine.values_list("channel", flat=True)) == ["email", "in_app", "sms"]
    in_app = mine.get(channel="in_app")
    assert in_app.subject == f"{n} problems passed their deadline and were escalated to you."
    assert in_app.url == "/problems/escalations/"
    assert in_app.event_id is None and in_app.problem_id is None
    email = mine.get(channel="email")
    assert all(problem.reference in email.body for problem in problems)
    assert all(problem.reference in email.body_html for problem in problems)
    assert "http://127.0.0.1:8000/problems/escalations/" in mine.get(channel="sms").body
    head_email = Notification.objects.get(
        recipient=people["head"], channel="email", kind=EventKind.ESCALATED
    )
    assert head_email.url == "/problems/department/"
    assert first_number(head_email.subject) == n
    assert "升级" in head_email.subject  # in the head's language
    # The office follows the sweep in the app only.
    office = Notification.objects.filter(recipient=people["office"], kind=EventKind.ESCALATED)
    assert list(office.values_list("channel", flat=True)) == ["in_app"]
    # Each problem's timeline still names the leader it went to.
    for problem in problems:
        (event,) = events(problem, EventKind.ESCALATED)
        assert event.data["recipients"]


def test_a_grouped_message_lists_twenty_and_counts_the_rest(make_problem, people):
    _with_contacts(people["leader"], email="leader@example.gov.cn")
    problem = make_problem(Status.IN_PROGRESS)
    copy_problems(problem, 24)

    sweep(ESCALATED)

    message = Notification.objects.get(recipient=people["leader"], channel="in_app")
    assert first_number(message.subject) == 25
    assert len(re.findall(r"^\d{4}-\d{5} ", message.body, re.M)) == notifications.GROUP_LISTED
    assert "notification settings" not in message.body
    email = Notification.objects.get(recipient=people["leader"], channel="email")
    assert len(re.findall(r"/problems/\d{4}-\d{5}/", email.body)) == notifications.GROUP_LISTED
    assert "and 5 more" in message.body


def test_grouped_messages_are_written_once_when_the_sweep_runs_again(make_problem, people):
    problem = make_problem(Status.IN_PROGRESS)
    copy_problems(problem, 9)

    sweep(ESCALATED)
    sweep(ESCALATED + dt.timedelta(minutes=2))

    assert Notification.objects.filter(kind=EventKind.ESCALATED).count() == 3


# --- the rule registry ------------------------------------------------------------------


def test_the_sweep_runs_the_registered_rules_most_urgent_first(monkeypatch):
    # keytasks registers its rule when it loads (KeytasksConfig.ready).
    assert list(deadlines.SWEEP_RULES) == [
        "escalated_again",
        "escalated",
        "warned",
        "reminded",
        "auto_closed",
        "key_task_milestones",
    ]
    monkeypatch.setattr(deadlines, "SWEEP_RULES", dict(deadlines.SWEEP_RULES))

    def replacement(now, batch_size):
        return 0

    deadlines.register_rule("warned", replacement)  # a name again: same place, new rule
    assert list(deadlines.SWEEP_RULES)[2] == "warned"
    assert deadlines.SWEEP_RULES["warned"] is replacement
    assert len(deadlines.SWEEP_RULES) == 6
