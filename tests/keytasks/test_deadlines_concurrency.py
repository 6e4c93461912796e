"""Two sweeps at the same instant on PostgreSQL: each overdue milestone is flagged once.

Two threads, two database connections, released together by a barrier; the data is
committed for real (transactional test). SELECT ... FOR UPDATE SKIP LOCKED makes them
share the work; the conditional UPDATE and the notifications' dedupe keys make sure
each milestone is flagged, and each person told about it, once.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from keytasks import deadlines
from keytasks.models import KeyTask, Milestone
from notifications.models import Notification
from tests.conftest import require_service
from tests.issues.test_deadlines_concurrency import _in_parallel

from .conftest import NOW, YEAR

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MILESTONES = 300
ROUNDS = 3


def _run(batch_size: int = deadlines.BATCH_SIZE) -> int:
    with transaction.atomic():
        return deadlines.flag_overdue_milestones(NOW, batch_size)


def test_it_flags_each_milestone_once_when_two_sweeps_start_together(make_task, leader):
    require_service(connection.vendor == "postgresql", "the concurrency test needs PostgreSQL")
    tasks = [make_task(number) for number in range(1, 11)]
    Milestone.objects.bulk_create(
        Milestone(task=tasks[i % 10], title=f"节点 {i}", due_date=dt.date(YEAR, 6, 1 + i % 14))
        for i in range(MILESTONES)
    )

    flagged = 0
    for _ in range(ROUNDS):
        flagged += sum(_in_parallel(2, _run))

    assert flagged == MILESTONES
    assert not Milestone.objects.filter(flagged_at__isnull=True).exists()
    assert KeyTask.objects.filter(status=KeyTask.Status.BEHIND).count() == 10
    # The leader and the lead department's head: one in-app message per milestone each.
    told = Notification.objects.filter(kind=deadlines.KIND, channel="in_app")
    assert told.count() == 2 * MILESTONES
    assert told.filter(recipient=leader).values("dedupe_key").distinct().count() == MILESTONES


def test_two_sweeps_share_the_work_in_small_batches(make_task):
    require_service(connection.vendor == "postgresql", "the concurrency test needs PostgreSQL")
    task = make_task()
    Milestone.objects.bulk_create(
        Milestone(task=task, title=f"节点 {i}", due_date=dt.date(YEAR, 6, 10))
        for i in range(MILESTONES)
    )

    counts = _in_parallel(2, lambda: _run(batch_size=50))
    while Milestone.objects.filter(flagged_at__isnull=True).exists():
        counts.append(_run(batch_size=50))

    assert sum(counts) == MILESTONES
