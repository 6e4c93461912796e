"""The key-task rule of the deadline sweep: overdue milestones flagged once, leaders told once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import translation

from keytasks import deadlines
from keytasks.models import KeyTask, Milestone
from liaison.models import Role
from notifications.models import Notification

from .conftest import NOW, YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are matched in English; the default language is Chinese."""
    with translation.override("en"):
        yield


Status = KeyTask.Status


def _milestone(task, due: dt.date, **kwargs) -> Milestone:
    return Milestone.objects.create(task=task, title=f"节点 {due}", due_date=due, **kwargs)


def _sweep(now=NOW, batch_size=deadlines.BATCH_SIZE) -> int:
    with transaction.atomic():
        return deadlines.flag_overdue_milestones(now, batch_size)


def test_it_flags_an_overdue_milestone_and_tells_the_leader_and_the_head_once(
    make_task, district, leader
):
    task = make_task()
    KeyTask.objects.filter(pk=task.pk).update(status=Status.ON_TRACK)
    overdue = _milestone(task, dt.date(YEAR, 6, 13))
    _milestone(task, dt.date(YEAR, 6, 16))  # due today: not overdue yet
    _milestone(task, dt.date(YEAR, 6, 1), done_date=dt.date(YEAR, 6, 1))

    assert _sweep() == 1

    task.refresh_from_db()
    overdue.refresh_from_db()
    assert task.status == Status.AT_RISK
    assert overdue.flagged_at == NOW
    assert overdue.behind_at is None
    told = Notification.objects.filter(kind=deadlines.KIND, channel="in_app")
    head = district.user(Role.DEPARTMENT_HEAD)
    assert sorted(told.values_list("recipient", flat=True)) == sorted([leader.pk, head.pk])
    assert all(f"/tasks/{task.pk}/" in n.url for n in told)
    # In the recipient's language (the default, Chinese).
    assert "有风险" in told.first().subject

    # A second run (and a third) finds nothing and tells nobody again.
    count = Notification.objects.count()
    assert _sweep() == 0
    assert _sweep(NOW + dt.timedelta(hours=1)) == 0
    assert Notification.objects.count() == count


def test_it_puts_the_task_behind_once_the_milestone_is_two_weeks_late(make_task, leader):
    task = make_task()
    milestone = _milestone(task, dt.date(YEAR, 6, 13))
    assert _sweep() == 1

    later = NOW + dt.timedelta(days=15)
    assert _sweep(later) == 1
    assert _sweep(later) == 0

    task.refresh_from_db()
    milestone.refresh_from_db()
    assert task.status == Status.BEHIND
    assert milestone.behind_at == later
    subjects = Notification.objects.filter(recipient=leader, channel="in_app").values_list(
        "subject", flat=True
    )
    assert sorted("滞后" in s for s in subjects) == [False, True]


def test_two_overdue_milestones_put_the_task_behind(make_task):
    task = make_task()
    _milestone(task, dt.date(YEAR, 6, 10))
    _milestone(task, dt.date(YEAR, 6, 12))

    assert _sweep() == 2

    task.refresh_from_db()
    assert task.status == Status.BEHIND


def test_it_never_moves_a_done_task(make_task):
    task = make_task()
    KeyTask.objects.filter(pk=task.pk).update(status=Status.DONE, done_at=NOW)
    _milestone(task, dt.date(YEAR, 6, 10))

    _sweep()

    task.refresh_from_db()
    assert task.status == Status.DONE


def test_a_small_batch_leaves_the_rest_to_the_next_run(make_task):
    task = make_task()
    for day in range(1, 6):
        _milestone(task, dt.date(YEAR, 6, day))

    assert _sweep(batch_size=3) == 3
    assert _sweep(batch_size=3) == 2
    assert _sweep(batch_size=3) == 0


def _many(make_task, n: int) -> None:
    """n overdue milestones: one each on 5 tasks (at risk), the rest on 5 others (behind)."""
    tasks = [make_task(number) for number in range(1, 11)]
    recent = [
        Milestone(task=task, title="节点", due_date=dt.date(YEAR, 6, 12)) for task in tasks[5:]
    ]
    Milestone.objects.bulk_create(
        recent
        + [
            Milestone(task=tasks[i % 5], title=f"节点 {i}", due_date=dt.date(YEAR, 5, 1 + i % 30))
            for i in range(n - 5)
        ]
    )


@pytest.mark.parametrize("n", [10, 1000])
def test_it_uses_a_fixed_number_of_queries(make_task, django_assert_num_queries, n):
    _many(make_task, n)

    # 1 claim the milestones (FOR UPDATE SKIP LOCKED on PostgreSQL), 2 mark them,
    # 3 count each task's overdue milestones, 4 tasks behind, 5 tasks at risk,
    # 6 the leaders and heads, 7 the people's names and settings (write_direct),
    # 8 the notifications (one INSERT ... SELECT)
    with transaction.atomic(), django_assert_num_queries(8):
        assert deadlines.flag_overdue_milestones(NOW) == n
    assert KeyTask.objects.filter(status=Status.BEHIND).count() == 5
    assert KeyTask.objects.filter(status=Status.AT_RISK).count() == 5
