"""A calendar edit racing the deadline sweep, on PostgreSQL, with real concurrency.

Threads, each with its own database connection, committing for real (transactional
test); events pause one of them at the moment that matters. 120 problems were
dispatched Fri 26 September 2025 and are due Thu 16 October; the sweep runs at
Fri 17 October 00:00:01, when they are overdue under the calendar as loaded. The edit
makes Thu 9 October a holiday: every deadline moves to Fri 17 October 23:59:59, so not
one of them is overdue any more. Whatever the interleaving, the sweep must not escalate
on the old deadlines (issues.deadlines, "The working-day calendar").
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse

from issues import deadlines
from issues import recompute as recomputing
from issues.models import EventKind, Problem, ProblemEvent, Status
from liaison import workdays
from liaison.models import CalendarDay
from liaison.services import calendar_load_from_package
from notifications.models import Notification
from tests.conftest import require_service

from .conftest import at, copy_problems
from .test_deadlines import ESCALATED, first_number

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROBLEMS = 120
NEW_DUE = at("2025-10-17 23:59:59")
PAUSE = 30  # seconds a paused thread waits at most (a failing test must still end)


@pytest.fixture
def recompute_left_to_the_test(monkeypatch):
    """The edit's commit queues the recompute for a worker: here the test runs it."""
    monkeypatch.setattr("liaison.celery.send_or_false", lambda task, args=(): True)
    yield
    workdays.invalidate()  # this process's copy of the calendar: the restored one


@pytest.fixture
def overdue(recompute_left_to_the_test, make_problem, office, leader, lead_head):
    require_service(connection.vendor == "postgresql", "the calendar race needs PostgreSQL")
    # The official 2025 schedule: a transactional test run earlier (the browser tests)
    # may have emptied the calendar's tables.
    calendar_load_from_package()
    first = make_problem(Status.IN_PROGRESS)
    assert first.due_at == at("2025-10-16 23:59:59")
    copy_problems(first, PROBLEMS - 1)
    return Problem.objects.filter(status=Status.IN_PROGRESS)


class Thread(threading.Thread):
    """Runs `target` with its own connection; its exception is raised again by `result`."""

    def __init__(self, target) -> None:
        super().__init__(daemon=True)
        self.target, self.value, self.error = target, None, None

    def run(self) -> None:
        try:
            self.value = self.target()
        except BaseException as error:
            self.error = error
        finally:
            connections.close_all()

    def result(self, timeout: float = 60):
        if not self.is_alive() and self.ident is None:
            self.start()
        self.join(timeout)
        assert not self.is_alive(), "the thread did not finish"
        if self.error is not None:
            raise self.error
        return self.value


def add_holiday() -> None:
    with transaction.atomic():
        CalendarDay.objects.create(date=dt.date(2025, 10, 9), kind="holiday", name="test")


def add_holiday_in_the_admin(office):
    """The office adds the holiday in the admin, as a user would (its own connection)."""
    client = Client()
    client.force_login(office)
    return client.post(
        reverse("admin:liaison_calendarday_add"),
        {"date": "2025-10-09", "kind": "holiday", "name": "补登", "source": "manual"},
    )


def escalations() -> int:
    return ProblemEvent.objects.filter(kind=EventKind.ESCALATED).count()


def test_a_sweep_during_the_recompute_escalates_nothing(
    overdue, recompute_left_to_the_test, monkeypatch
):
    monkeypatch.setattr(recomputing, "RECOMPUTE_BATCH", 30)
    holding, go_on = threading.Event(), threading.Event()
    recomputed = recomputing._recomputed
    calls = []

    def slow(problem, now):
        # Two batches done and committed; the third locked, held until the sweep is over.
        calls.append(problem.pk)
        if len(calls) == 61:
            holding.set()
            go_on.wait(PAUSE)
        return recomputed(problem, now)

    monkeypatch.setattr(recomputing, "_recomputed", slow)
    add_holiday()

    recompute = Thread(lambda: recomputing.deadlines_recompute(ESCALATED))
    recompute.start()
    assert holding.wait(PAUSE)
    result = Thread(lambda: deadlines.sweep(ESCALATED)).result()
    go_on.set()
    changed = recompute.result()

    assert (result.escalated, result.failed) == (0, [])
    # The sweep caught up with the batches not yet reached; the held one was left alone.
    assert result.recomputed == PROBLEMS - 90
    assert result.recomputed + changed == PROBLEMS
    assert escalations() == 0
    assert set(overdue.values_list("due_at", flat=True)) == {NEW_DUE}
    assert deadlines.sweep(ESCALATED + dt.timedelta(minutes=5)).escalated == 0
    assert escalations() == 0


def test_before_the_recompute_the_sweep_leaves_the_moved_deadlines_alone(
    overdue, recompute_left_to_the_test, monkeypatch
):
    # No catching up in the sweep: only the claims' check stands between it and the times.
    monkeypatch.setattr(deadlines, "CATCH_UP", 0, raising=False)
    add_holiday()

    result = Thread(lambda: deadlines.sweep(ESCALATED)).result()

    assert escalations() == 0
    assert (result.escalated, result.recomputed) == (0, 0)
    assert recomputing.deadlines_recompute(ESCALATED) == PROBLEMS
    assert deadlines.sweep(ESCALATED).escalated == 0
    # Its new deadline passed: escalated, once each.
    assert deadlines.sweep(at("2025-10-18 00:00:01")).escalated == PROBLEMS


def test_a_holiday_added_in_the_admin_waits_for_the_sweep_rule_in_progress_then_withdraws(
    overdue, recompute_left_to_the_test, monkeypatch, office, leader, lead_head
):
    """The sweep escalates on the calendar in force; the edit commits after it, and the
    recompute withdraws those escalations: no longer overdue, and everyone told."""
    escalating, go_on = threading.Event(), threading.Event()
    notify = deadlines._notify

    def paused(recorded, recipients_of):
        if recorded and recorded[0].kind == EventKind.ESCALATED:
            escalating.set()
            go_on.wait(PAUSE)
        return notify(recorded, recipients_of)

    monkeypatch.setattr(deadlines, "_notify", paused)
    sweep = Thread(lambda: deadlines.sweep(ESCALATED))
    sweep.start()
    assert escalating.wait(PAUSE)

    edit = Thread(lambda: add_holiday_in_the_admin(office))
    edit.start()
    edit.join(1.5)
    assert edit.is_alive(), "the edit did not wait for the sweep rule holding the calendar"
    go_on.set()
    assert sweep.result().escalated == PROBLEMS  # on the deadline then in force
    assert edit.result().status_code == 302

    withdrawn_at = ESCALATED + dt.timedelta(minutes=3)
    assert recomputing.deadlines_recompute(withdrawn_at) == PROBLEMS

    assert overdue.filter(escalation_level=0, escalated_at=None, due_at=NEW_DUE).count() == (
        PROBLEMS
    )
    withdrawn = ProblemEvent.objects.filter(kind=EventKind.ESCALATION_WITHDRAWN)
    assert withdrawn.count() == PROBLEMS
    assert escalations() == PROBLEMS  # recorded: they were true when made
    # The leader, the head and the office hear it once, in one message listing them.
    told = Notification.objects.filter(kind=EventKind.ESCALATION_WITHDRAWN, channel="in_app")
    assert sorted(told.values_list("recipient__username", flat=True)) == [
        "lead_head",
        "leader",
        "office",
    ]
    assert {first_number(n.subject) for n in told} == {PROBLEMS}
    # Due again on the new deadline, and escalated again once it passes.
    assert deadlines.sweep(withdrawn_at).escalated == 0
    assert deadlines.sweep(at("2025-10-18 00:00:01")).escalated == PROBLEMS


def test_a_sweep_waits_for_a_calendar_edit_being_committed(
    overdue, recompute_left_to_the_test, monkeypatch, office
):
    """The admin's transaction has added the holiday and not committed yet: the sweep
    waits for it, then finds every deadline moved and escalates none."""
    saved, go_on = threading.Event(), threading.Event()

    def pause_before_the_commit(sender, **kwargs):
        saved.set()
        go_on.wait(PAUSE)

    post_save.connect(pause_before_the_commit, sender=CalendarDay, weak=False)
    try:
        edit = Thread(lambda: add_holiday_in_the_admin(office))
        edit.start()
        assert saved.wait(PAUSE)
        sweep = Thread(lambda: deadlines.sweep(ESCALATED))
        sweep.start()
        sweep.join(1.5)
        assert sweep.is_alive(), "the sweep did not wait for the calendar edit"
        go_on.set()
        assert edit.result().status_code == 302
        result = sweep.result()
    finally:
        post_save.disconnect(pause_before_the_commit, sender=CalendarDay)

    assert (result.escalated, result.warned) == (0, 0)
    assert escalations() == 0
