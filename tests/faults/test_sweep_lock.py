"""Two deadline sweeps at once (a second beat, a redelivered task) do not split one run.

Each sweep claims the due problems with SELECT ... FOR UPDATE SKIP LOCKED: a second
sweep whose claim ran while the first one's was midway took the problems the first
had not locked yet, and a leader told about many of them got two grouped e-mails
instead of one. The sweep task now takes a lock, and a second sweep skips.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from issues import deadlines, tasks
from issues.models import EventKind, Problem, Status
from liaison.locks import session_lock
from notifications.models import Notification
from tests.conftest import require_service
from tests.issues.conftest import copy_problems

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PROBLEMS = 40


@pytest.fixture
def overdue(make_problem):
    require_service(connection.vendor == "postgresql", "the sweeps' locks are PostgreSQL's")
    first = make_problem(Status.IN_PROGRESS)  # long overdue today
    return [first, *copy_problems(first, PROBLEMS - 1)]


def test_a_second_sweep_during_the_first_one_s_claim_does_not_split_the_run(
    overdue, monkeypatch, leader, lead_head
):
    midway, second_done = threading.Event(), threading.Event()
    real_claim = deadlines._claim_and_mark

    def claim_in_two_steps(condition, order_by, batch_size, returning, **values):
        """The first sweep's escalation claim, caught halfway: half the rows locked."""
        if threading.current_thread().name == "first-sweep" and order_by == "due_at":
            due = Problem.objects.filter(condition).order_by(order_by, "pk")
            list(due.select_for_update(of=("self",)).values_list("pk")[: PROBLEMS // 2])
            midway.set()
            second_done.wait(timeout=30)
        return real_claim(condition, order_by, batch_size, returning, **values)

    monkeypatch.setattr(deadlines, "_claim_and_mark", claim_in_two_steps)
    results = {}

    def first_sweep() -> None:
        try:
            results["first"] = tasks.enforce_deadlines.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_sweep, name="first-sweep")
    thread.start()
    assert midway.wait(timeout=30)
    try:
        results["second"] = tasks.enforce_deadlines.run()
    finally:
        second_done.set()
        thread.join(timeout=60)

    # One grouped message each, listing every problem of the run.
    grouped = Notification.objects.filter(kind=EventKind.ESCALATED, event__isnull=True)
    for person in (leader, lead_head):
        assert grouped.filter(recipient=person, channel="in_app").count() == 1
    assert results["second"] == {"skipped": "another sweep is running"}
    assert results["first"]["escalated"] == PROBLEMS


def test_a_sweep_skips_while_another_holds_the_lock_and_runs_once_it_is_free(overdue):
    holding, release = threading.Event(), threading.Event()

    def other_sweep() -> None:
        try:
            with session_lock(tasks.SWEEP_LOCK) as taken:
                assert taken
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    other = threading.Thread(target=other_sweep)
    other.start()
    assert holding.wait(timeout=30)
    try:
        assert tasks.enforce_deadlines.run() == {"skipped": "another sweep is running"}
    finally:
        release.set()
        other.join(timeout=30)
    assert tasks.enforce_deadlines.run()["escalated"] == PROBLEMS
