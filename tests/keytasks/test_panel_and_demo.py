"""The dashboard's key-task panel (one query), the leader's home card, and the demo data."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from keytasks.models import KeyTask, Milestone, ProgressReport
from keytasks.selectors import leader_panel
from liaison.models import Role

from .conftest import YEAR

pytestmark = pytest.mark.django_db
Status = KeyTask.Status


def test_leader_panel_counts_each_leaders_tasks_by_status_in_one_query(
    make_task, district, leader, django_assert_num_queries
):
    principal = district.user(Role.PRINCIPAL)
    for number, (who, status) in enumerate(
        [
            (leader, Status.DONE),
            (leader, Status.BEHIND),
            (leader, Status.BEHIND),
            (principal, Status.AT_RISK),
            (principal, Status.ON_TRACK),
        ],
        start=1,
    ):
        task = make_task(number, leader=who)
        KeyTask.objects.filter(pk=task.pk).update(status=status, done_at=task.created_at)
    make_task(1, year=YEAR - 1)  # another year: not counted

    with django_assert_num_queries(1):
        rows = {row.leader.pk: row for row in leader_panel(YEAR)}
        html = render_to_string(
            "keytasks/_dashboard_panel.html",
            {"key_task_panel": list(rows.values()), "key_task_year": YEAR},
        )

    assert (rows[leader.pk].done, rows[leader.pk].behind, rows[leader.pk].total) == (1, 2, 3)
    assert (rows[principal.pk].at_risk, rows[principal.pk].on_track) == (1, 1)
    assert 'id="key-task-panel"' in html


def test_the_leader_home_shows_their_key_tasks(client, make_task, district, leader):
    from django.utils import timezone

    task = make_task(year=timezone.localdate().year)
    client.force_login(leader)

    html = client.get("/").content.decode()

    assert f'id="home-key-task-{task.pk}"' in html


def test_the_demo_seeds_29_done_tasks_last_year_and_a_mix_this_year(db):
    from django.utils import timezone

    from dashboard.management.commands.seed_demo import (
        DemoDistrict,
        seed_department_users,
        seed_departments,
        seed_officials,
    )
    from keytasks.demo import seed_key_tasks

    district = DemoDistrict()
    for step in (seed_officials, seed_departments, seed_department_users):
        step(district)
    year = timezone.localdate().year

    seed_key_tasks(district)
    counts = (KeyTask.objects.count(), Milestone.objects.count(), ProgressReport.objects.count())
    seed_key_tasks(district)  # idempotent

    assert (
        KeyTask.objects.count(),
        Milestone.objects.count(),
        ProgressReport.objects.count(),
    ) == counts
    past = KeyTask.objects.filter(year=year - 1)
    assert past.count() == 29
    assert set(past.values_list("status", flat=True)) == {Status.DONE}
    assert not Milestone.objects.filter(task__year=year - 1, done_date__isnull=True).exists()
    assert past.filter(title__contains="喷水织机").exists()
    current = set(KeyTask.objects.filter(year=year).values_list("status", flat=True))
    assert {Status.ON_TRACK, Status.AT_RISK, Status.BEHIND, Status.DONE} <= current
    assert all(m.due_date.year == m.task.year for m in Milestone.objects.select_related("task"))
