"""Key-task forms keep dates in a sane window and texts to a length (tests/keytasks/conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from keytasks.models import (
    DESCRIPTION_MAX_LENGTH,
    EVIDENCE_MAX_LENGTH,
    REPORT_MAX_LENGTH,
    TARGET_MAX_LENGTH,
    KeyTask,
    Milestone,
)
from liaison.models import Role

from .conftest import YEAR

pytestmark = pytest.mark.django_db

WINDOW = "Enter a date from 2000-01-01 to 2100-12-31."


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("due_date", ["9999-12-31", "0001-01-01"])
def test_a_milestone_due_in_the_year_9999_is_refused_with_a_message(
    client, district, make_task, due_date
):
    task = make_task()
    client.force_login(district.user(Role.LEADER))

    response = client.post(
        reverse("keytasks:milestone_add", args=[task.pk]),
        {"title": "方案", "due_date": due_date},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert _messages(response) == [f"Due date: {WINDOW}"]
    assert not task.milestones.exists()


def test_a_milestone_done_in_the_year_9999_is_refused_with_a_message(client, district, make_task):
    task = make_task()
    milestone = Milestone.objects.create(task=task, title="方案", due_date=dt.date(YEAR, 3, 1))
    client.force_login(district.user(Role.LEADER))

    response = client.post(
        reverse("keytasks:milestone_tick", args=[task.pk, milestone.pk]),
        {"done_date": "9999-12-31"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert _messages(response) == [f"Done on: {WINDOW}"]
    milestone.refresh_from_db()
    assert milestone.done_date is None


def admin_form(task, **milestone) -> dict:
    """The admin's change form of `task` as it stands, with one new milestone if given."""
    return {
        "year": task.year,
        "number": task.number,
        "title": task.title,
        "description": task.description,
        "target": task.target,
        "leader": task.leader_id,
        "lead_department": task.lead_department_id,
        "milestones-TOTAL_FORMS": "1" if milestone else "0",
        "milestones-INITIAL_FORMS": "0",
        **{f"milestones-0-{name}": value for name, value in milestone.items()},
        "reports-TOTAL_FORMS": "0",
        "reports-INITIAL_FORMS": "0",
    }


def test_the_admin_refuses_a_milestone_in_the_year_9999(client, district, make_task):
    task = make_task()
    client.force_login(district.user(Role.ADMIN))

    response = client.post(
        reverse("admin:keytasks_keytask_change", args=[task.pk]),
        admin_form(task, title="方案", due_date="9999-12-31", evidence=""),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert WINDOW in response.content.decode()
    assert not task.milestones.exists()


def test_the_admin_adds_a_milestone_but_does_not_tick_it(client, district, make_task):
    """Ticked only through milestone_tick (who ticked it, when; the task's status follows):
    a done date sent to the admin is not read."""
    task = make_task()
    client.force_login(district.user(Role.ADMIN))

    response = client.post(
        reverse("admin:keytasks_keytask_change", args=[task.pk]),
        admin_form(
            task,
            title="方案",
            due_date=f"{task.year}-06-30",
            done_date=f"{task.year}-06-01",
            evidence="已完成",
        ),
    )

    assert response.status_code == 302
    milestone = task.milestones.get()
    assert (milestone.title, milestone.done_date, milestone.evidence) == ("方案", None, "")
    task.refresh_from_db()
    assert task.status == KeyTask.Status.NOT_STARTED


# --- texts -------------------------------------------------------------------------------


def too_long(limit: int) -> str:
    return "字" * (limit + 1)


def refusal(limit: int) -> str:
    return f"Ensure this value has at most {limit} characters (it has {limit + 1})."


@pytest.mark.parametrize(
    "field, limit",
    [("title", 200), ("description", DESCRIPTION_MAX_LENGTH), ("target", TARGET_MAX_LENGTH)],
)
def test_an_over_long_key_task_is_refused_at_its_field(client, district, field, limit):
    client.force_login(district.user(Role.OFFICE))
    data = {
        "year": YEAR,
        "number": 7,
        "title": "小城镇环境综合整治",
        "target": "全部通过省级验收",
        "leader": district.user(Role.LEADER).pk,
        "lead_department": district.department.pk,
    }

    response = client.post(
        reverse("keytasks:task_create"), {**data, field: too_long(limit)}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [refusal(limit)]
    assert not KeyTask.objects.exists()


def test_an_over_long_milestone_is_refused_with_a_message(client, district, make_task):
    task = make_task()
    client.force_login(district.user(Role.LEADER))

    response = client.post(
        reverse("keytasks:milestone_add", args=[task.pk]),
        {"title": too_long(200), "due_date": f"{YEAR}-09-30"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert _messages(response) == [f"Milestone: {refusal(200)}"]
    assert not task.milestones.exists()


def test_over_long_evidence_does_not_tick_a_milestone(client, district, make_task):
    task = make_task()
    milestone = Milestone.objects.create(task=task, title="方案", due_date=dt.date(YEAR, 3, 1))
    client.force_login(district.user(Role.LEADER))

    response = client.post(
        reverse("keytasks:milestone_tick", args=[task.pk, milestone.pk]),
        {"done_date": f"{YEAR}-02-27", "evidence": too_long(EVIDENCE_MAX_LENGTH)},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert _messages(response) == [f"Evidence: {refusal(EVIDENCE_MAX_LENGTH)}"]
    milestone.refresh_from_db()
    assert (milestone.done_date, milestone.evidence) == (None, "")


def test_an_over_long_progress_report_is_refused_with_a_message(client, district, make_task):
    task = make_task()
    client.force_login(district.user(Role.DEPARTMENT_STAFF))

    response = client.post(
        reverse("keytasks:report_add", args=[task.pk]),
        {"text": too_long(REPORT_MAX_LENGTH), "percent": "20"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert _messages(response) == [f"Progress: {refusal(REPORT_MAX_LENGTH)}"]
    assert not task.reports.exists()
    task.refresh_from_db()
    assert task.status == KeyTask.Status.NOT_STARTED


def test_the_admin_refuses_an_over_long_target(client, district, make_task):
    task = make_task()
    client.force_login(district.user(Role.ADMIN))

    response = client.post(
        reverse("admin:keytasks_keytask_change", args=[task.pk]),
        {
            **admin_form(task),
            "target": too_long(TARGET_MAX_LENGTH),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert refusal(TARGET_MAX_LENGTH) in response.content.decode()
    task.refresh_from_db()
    assert task.target == "淘汰落后喷水织机，废水全部纳管"


def test_a_report_larger_than_five_attachments_is_refused_unread(client, district, make_task):
    class Unreadable:
        def read(self, *args):
            raise AssertionError("the request body was read")

        readline = read

    task = make_task()
    client.force_login(district.user(Role.DEPARTMENT_STAFF))

    response = client.generic(
        "POST",
        reverse("keytasks:report_add", args=[task.pk]),
        content_type="multipart/form-data; boundary=liaison",
        CONTENT_LENGTH=str(150 * 1024 * 1024),
        HTTP_ACCEPT_LANGUAGE="en",
        **{"wsgi.input": Unreadable()},
    )

    assert response.status_code == 413
    assert "more than this page accepts (101.0\xa0MB)" in response.content.decode()
    assert not task.reports.exists()
