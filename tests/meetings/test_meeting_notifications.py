"""What people are told about a problem raised for a face-to-face meeting."""

from __future__ import annotations

import pytest

from issues.models import EventKind, Notification
from tests.meetings.fixtures_f2f import *  # noqa: F403 - fixtures

pytestmark = pytest.mark.django_db


def test_an_early_dispatch_says_the_clock_starts_at_the_meeting(
    meeting, raise_problem, dispatch, lead_head, enterprise_user
):
    for user in (lead_head, enterprise_user):
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
        user.profile.language = "en"
        user.profile.save(update_fields=["language"])

    dispatch(raise_problem(meeting))

    told = Notification.objects.filter(kind=EventKind.DISPATCHED, channel="email")
    head = told.get(recipient=lead_head)
    assert "ahead of the face-to-face meeting" in head.body
    assert "starts on the meeting's date" in head.body
    assert "Deadline:" not in head.body
    enterprise = told.get(recipient=enterprise_user)
    assert "prepares its answer for the face-to-face meeting" in enterprise.body
    assert "answer it by" not in enterprise.body


def test_marking_held_tells_the_lead_head_the_deadline(
    office, meeting, raise_problem, dispatch, lead_head
):
    from meetings import services
    from tests.meetings.fixtures_f2f import MEETING_AT

    lead_head.profile.language = "en"
    lead_head.profile.save(update_fields=["language"])
    problem = dispatch(raise_problem(meeting))

    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)

    told = Notification.objects.get(
        kind=EventKind.MEETING_HELD, recipient=lead_head, channel="in_app"
    )
    assert told.problem_id == problem.pk
    assert "its 10 working days started on the meeting's date" in told.body
