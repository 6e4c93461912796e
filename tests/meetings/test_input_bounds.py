"""The meeting and coordination forms keep dates in a sane window (and texts to a length)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from issues.models import ANSWER_MAX_LENGTH, Problem, Status
from liaison.validators import years_after
from meetings import services
from meetings.models import (
    MINUTES_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    TASK_MAX_LENGTH,
    ActionItem,
    CoordinationMeeting,
    Meeting,
)
from tests.issues.conftest import messages_of
from tests.meetings.fixtures_coordination import *  # noqa: F403 - fixtures
from tests.meetings.fixtures_coordination import TITLE, VENUE, add_item

pytestmark = pytest.mark.django_db

WINDOW = "Enter a date from 2000-01-01 to"


def far_ahead() -> str:
    """Six years from now: further ahead than anyone plans a meeting or a deadline."""
    return years_after(timezone.localdate(), 6).isoformat()


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize("starts_at", ["9999-12-31T10:00", "1999-12-31T10:00", "far-ahead"])
def test_a_meeting_date_out_of_the_window_is_refused_at_its_field(client_as, office, starts_at):
    if starts_at == "far-ahead":
        starts_at = f"{far_ahead()}T10:00"

    response = client_as(office).post(
        "/meetings/new/", {"theme": "数字经济专题", "starts_at": starts_at, "venue": "区行政中心"}
    )

    assert response.status_code == 200
    [error] = response.context["form"].errors["starts_at"]
    assert error.startswith(WINDOW)
    assert not Meeting.objects.exists()


def convene_data(problem, **changes) -> dict:
    starts = timezone.localtime() + dt.timedelta(days=1)
    return {
        "problems": [problem.pk],
        "title": TITLE,
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "venue": VENUE,
        **changes,
    }


@pytest.mark.parametrize("starts_at", ["9999-12-31T10:00", "far-ahead"])
def test_a_coordination_meeting_in_the_year_9999_is_refused_at_its_field(
    client_as, leader, open_problem, starts_at
):
    if starts_at == "far-ahead":
        starts_at = f"{far_ahead()}T10:00"

    response = client_as(leader).post(
        reverse("meetings:coordination_convene"), convene_data(open_problem, starts_at=starts_at)
    )

    assert response.status_code == 200
    [error] = response.context["form"].errors["starts_at"]
    assert error.startswith(WINDOW)
    assert not CoordinationMeeting.objects.exists()


def test_a_coordination_meeting_cannot_move_to_the_year_9999(client_as, leader, meeting):
    edit = reverse("meetings:coordination_edit", kwargs={"pk": meeting.pk})
    before = meeting.starts_at

    response = client_as(leader).post(
        edit,
        {
            "version": meeting.version,
            "title": TITLE,
            "starts_at": "9999-12-31T10:00",
            "venue": VENUE,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["starts_at"][0].startswith(WINDOW)
    meeting.refresh_from_db()
    assert meeting.starts_at == before


@pytest.mark.parametrize("due_date", ["9999-12-31", "far-ahead"])
def test_an_action_item_due_in_the_year_9999_is_refused_with_a_message(
    client_as, leader, meeting, lead_department, due_date
):
    if due_date == "far-ahead":
        due_date = far_ahead()
    add = reverse("meetings:coordination_item_add", kwargs={"pk": meeting.pk})

    response = client_as(leader).post(
        add,
        {"department": lead_department.pk, "task": "报送处置方案。", "due_date": due_date},
        follow=True,
    )

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith(f"Due date: {WINDOW}")
    assert not ActionItem.objects.exists()


# --- texts -------------------------------------------------------------------------------


def too_long(limit: int) -> str:
    return "字" * (limit + 1)


def refusal(limit: int) -> str:
    return f"Ensure this value has at most {limit} characters (it has {limit + 1})."


@pytest.fixture
def held_meeting(office, leader):
    """A face-to-face meeting held an hour ago (planned the day before)."""
    now = timezone.now()
    planned = services.meeting_create(
        actor=office,
        theme="园区企业危废处置专题",
        starts_at=now - dt.timedelta(hours=2),
        venue="区行政中心",
        presiding_leaders=[leader],
        now=now - dt.timedelta(days=1),
    )
    services.meeting_mark_held(meeting_id=planned.pk, actor=office, now=now - dt.timedelta(hours=1))
    return Meeting.objects.get(pk=planned.pk)


def meeting_row(meeting) -> dict:
    return Meeting.objects.filter(pk=meeting.pk).values().get()


@pytest.mark.parametrize("field, limit", [("theme", 200), ("venue", 200)])
def test_an_over_long_meeting_is_refused_at_its_field(client_as, office, field, limit):
    starts_at = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    data = {"theme": "数字经济专题", "starts_at": starts_at, "venue": "区行政中心"}

    response = client_as(office).post("/meetings/new/", {**data, field: too_long(limit)})

    assert response.context["form"].errors[field] == [refusal(limit)]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    "field, limit", [("theme", 200), ("venue", 200), ("minutes", MINUTES_MAX_LENGTH)]
)
def test_an_over_long_meeting_edit_is_refused_at_its_field(
    client_as, office, held_meeting, field, limit
):
    before = meeting_row(held_meeting)
    data = {
        "version": held_meeting.version,
        "theme": held_meeting.theme,
        "venue": held_meeting.venue,
        "minutes": "议定三项事项。",
    }

    response = client_as(office).post(
        f"/meetings/{held_meeting.pk}/edit/", {**data, field: too_long(limit)}
    )

    assert response.context["form"].errors[field] == [refusal(limit)]
    assert meeting_row(held_meeting) == before


def test_over_long_minutes_do_not_close_a_meeting(client_as, office, held_meeting):
    before = meeting_row(held_meeting)

    response = client_as(office).post(
        f"/meetings/{held_meeting.pk}/close/",
        {"version": held_meeting.version, "minutes": too_long(MINUTES_MAX_LENGTH)},
        follow=True,
    )

    assert messages_of(response) == [("error", f"Minutes: {refusal(MINUTES_MAX_LENGTH)}")]
    assert meeting_row(held_meeting) == before


def test_an_over_long_on_site_answer_is_refused(client_as, office, held_meeting, make_problem):
    problem = make_problem(Status.IN_PROGRESS)
    before = Problem.objects.filter(pk=problem.pk).values().get()

    response = client_as(office).post(
        f"/meetings/{held_meeting.pk}/answer/",
        {
            "problem": problem.pk,
            "version": problem.version,
            "answer": too_long(ANSWER_MAX_LENGTH),
            "resolve": "on",
        },
        follow=True,
    )

    assert messages_of(response) == [
        ("error", f"Answer given at the meeting: {refusal(ANSWER_MAX_LENGTH)}")
    ]
    assert Problem.objects.filter(pk=problem.pk).values().get() == before


@pytest.mark.parametrize("field, limit", [("title", 200), ("venue", 200)])
def test_an_over_long_coordination_meeting_is_refused_at_its_field(
    client_as, leader, open_problem, field, limit
):
    response = client_as(leader).post(
        reverse("meetings:coordination_convene"),
        convene_data(open_problem, **{field: too_long(limit)}),
    )

    assert response.context["form"].errors[field] == [refusal(limit)]
    assert not CoordinationMeeting.objects.exists()


def coordination_row(meeting) -> dict:
    return CoordinationMeeting.objects.filter(pk=meeting.pk).values().get()


def test_over_long_decisions_are_refused_on_the_edit_page(client_as, leader, meeting):
    before = coordination_row(meeting)
    starts_at = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%dT%H:%M")

    response = client_as(leader).post(
        reverse("meetings:coordination_edit", kwargs={"pk": meeting.pk}),
        {
            "version": meeting.version,
            "title": TITLE,
            "starts_at": starts_at,
            "venue": VENUE,
            "decisions": too_long(MINUTES_MAX_LENGTH),
        },
    )

    assert response.context["form"].errors["decisions"] == [refusal(MINUTES_MAX_LENGTH)]
    assert coordination_row(meeting) == before


def test_over_long_decisions_do_not_mark_a_coordination_meeting_held(client_as, leader, meeting):
    before = coordination_row(meeting)

    response = client_as(leader).post(
        reverse("meetings:coordination_held", kwargs={"pk": meeting.pk}),
        {"version": meeting.version, "decisions": too_long(MINUTES_MAX_LENGTH)},
        follow=True,
    )

    assert messages_of(response) == [
        ("error", f"Decisions and minutes: {refusal(MINUTES_MAX_LENGTH)}")
    ]
    assert coordination_row(meeting) == before


def test_an_over_long_action_item_is_refused(client_as, leader, meeting, lead_department):
    due_date = (timezone.localdate() + dt.timedelta(days=3)).isoformat()

    response = client_as(leader).post(
        reverse("meetings:coordination_item_add", kwargs={"pk": meeting.pk}),
        {"department": lead_department.pk, "task": too_long(TASK_MAX_LENGTH), "due_date": due_date},
        follow=True,
    )

    assert messages_of(response) == [("error", f"Task: {refusal(TASK_MAX_LENGTH)}")]
    assert not ActionItem.objects.exists()


def test_an_over_long_note_does_not_tick_an_action_item_off(
    client_as, lead_staff, meeting, lead_department
):
    item = add_item(meeting, lead_department)

    response = client_as(lead_staff).post(
        reverse("meetings:coordination_item_done", kwargs={"pk": item.pk}),
        {"version": item.version, "note": too_long(NOTE_MAX_LENGTH)},
        follow=True,
    )

    assert messages_of(response) == [("error", f"Note: {refusal(NOTE_MAX_LENGTH)}")]
    item.refresh_from_db()
    assert (item.done, item.note) == (False, "")
