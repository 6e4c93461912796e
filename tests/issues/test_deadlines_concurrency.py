"""Two deadline sweeps at the same instant on PostgreSQL: each problem is escalated once.

Two threads, two database connections, released together by a barrier; the data is
committed for real (transactional test). SELECT ... FOR UPDATE SKIP LOCKED makes them
share the work; the conditional UPDATE and the unique dedupe key make sure that,
whichever way they interleave, one escalation event and one set of notifications is
written per problem.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from issues import deadlines
from issues.models import EventKind, Problem, ProblemEvent, Status
from notifications.models import Notification
from tests.conftest import require_service

from .conftest import copy_problems
from .test_deadlines import ESCALATED, first_number

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROBLEMS = 300
ROUNDS = 3


def _in_parallel(n: int, run) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = run()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_it_escalates_each_problem_once_when_two_sweeps_start_together(
    make_problem, office, leader, lead_head
):
    require_service(connection.vendor == "postgresql", "the concurrency test needs PostgreSQL")
    first = make_problem(Status.IN_PROGRESS)
    copy_problems(first, PROBLEMS - 1)

    for _ in range(ROUNDS):
        results = _in_parallel(2, lambda: deadlines.sweep(ESCALATED))
        assert all(not r.failed for r in results)

    events = ProblemEvent.objects.filter(kind=EventKind.ESCALATED)
    assert events.count() == PROBLEMS
    assert events.values("problem").distinct().count() == PROBLEMS
    assert Problem.objects.filter(escalation_level=1).count() == PROBLEMS
    # Leader, office and head, in the app: each is told of every problem once, in
    # messages that list them (one per sweep that escalated some) or one by one.
    told = Notification.objects.filter(kind=EventKind.ESCALATED)
    assert told.values("recipient").distinct().count() == 3
    for recipient in (office, leader, lead_head):
        mine = told.filter(recipient=recipient)
        singles = mine.filter(event__isnull=False).count()
        grouped = sum(first_number(row.subject) for row in mine.filter(event__isnull=True))
        assert singles + grouped == PROBLEMS


def test_two_sweeps_share_the_work_and_both_finish(make_problem, office, leader, lead_head):
    require_service(connection.vendor == "postgresql", "the concurrency test needs PostgreSQL")
    first = make_problem(Status.IN_PROGRESS)
    copy_problems(first, PROBLEMS - 1)

    results = _in_parallel(2, lambda: deadlines.sweep(ESCALATED, batch_size=50))
    # Small batches: each sweep claims 50 at a time; whatever is left, the next run does.
    # (Bounded: a sweep that fails each time must fail the test, not hang it.)
    for _ in range(PROBLEMS // 50 + 5):
        if not Problem.objects.filter(status__in=["dispatched", "in_progress"], escalated_at=None):
            break
        results += [deadlines.sweep(ESCALATED, batch_size=50)]

    assert all(not r.failed for r in results)

    assert sum(r.escalated for r in results) == PROBLEMS
    assert ProblemEvent.objects.filter(kind=EventKind.ESCALATED).count() == PROBLEMS
