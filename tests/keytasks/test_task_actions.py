"""selectors.task_actions: the names of what a user may do on a key task."""

from __future__ import annotations

import pytest

from keytasks import selectors
from keytasks.models import KeyTask
from liaison.models import Role

pytestmark = pytest.mark.django_db
MANAGE = {"tick_milestone", "link_problem", "link_meeting", "complete", "add_milestone"}


def test_the_leader_manages_and_the_departments_report(district, make_task, leader, lead_staff):
    task = make_task()

    assert selectors.task_actions(user=leader, task=task) == MANAGE
    assert selectors.task_actions(user=lead_staff, task=task) == {"report"}
    assert selectors.task_actions(user=district.user(Role.ENTERPRISE), task=task) == set()


def test_a_done_task_takes_no_report_milestone_or_completion(make_task, office, lead_staff):
    task = make_task()
    task.status = KeyTask.Status.DONE

    assert selectors.task_actions(user=office, task=task) == {
        "tick_milestone",
        "link_problem",
        "link_meeting",
    }
    assert selectors.task_actions(user=lead_staff, task=task) == set()
