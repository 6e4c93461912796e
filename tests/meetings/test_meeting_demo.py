"""The demo's meetings of this year: planned, held and in follow-up, made through the services."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from dashboard.management.commands.seed_demo import STEPS, DemoDistrict
from issues.models import EventKind, Problem, Status
from liaison import workdays
from meetings.demo_current import seed_current_year
from meetings.models import Meeting

pytestmark = pytest.mark.django_db


# A fixed day: in early January there is no room for a past meeting of this year.
@time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=workdays.SHANGHAI), tick=True)
def test_it_seeds_planned_held_and_closed_meetings_of_this_year_once():
    # The whole demo district (a few seconds): one test, so it is seeded once.
    demo = DemoDistrict()
    for step in STEPS:
        step(demo)
    year = timezone.localdate().year
    meetings = list(Meeting.objects.filter(year=year).order_by("starts_at"))

    assert [m.status for m in meetings] == ["closed", "held", "planned", "planned"]
    assert [m.number for m in meetings] == [1, 2, 3, 4]
    closed, held, planned, later = meetings
    assert closed.minutes
    assert closed.invitations.filter(attended=True).count() == closed.invitations.count() - 1

    # Held meetings started their problems' clocks on their date; one was answered on site.
    for meeting in (closed, held):
        problems = list(meeting.problems.all())
        assert problems
        for problem in problems:
            assert problem.clock_started_at == meeting.starts_at
            assert problem.due_at == workdays.deadline_after(meeting.starts_at, 10).value
            assert problem.events.filter(kind=EventKind.MEETING_HELD).count() == 1
        assert meeting.problems.filter(
            events__kind=EventKind.ANSWERED_ON_SITE, status__in=[Status.RESOLVED, Status.CLOSED]
        ).exists()
    assert set(closed.problems.values_list("status", flat=True)) == {Status.CLOSED}
    # In follow-up: some still open.
    assert {Status.DISPATCHED, Status.IN_PROGRESS} <= set(
        held.problems.values_list("status", flat=True)
    )
    # Planned: dispatched early (no clock yet), and one still in triage.
    assert planned.problems.filter(status=Status.DISPATCHED, due_at__isnull=True).count() == 3
    assert planned.problems.filter(status=Status.SUBMITTED).count() == 1
    # Some invited enterprises have replied whether they will attend.
    for meeting in (planned, later):
        replies = list(meeting.invitations.values_list("reply", flat=True))
        assert sorted(r for r in replies if r) == ["confirmed", "declined"]
        assert replies.count("") == len(replies) - 2

    before = (Meeting.objects.count(), Problem.objects.count())
    seed_current_year(demo)
    assert (Meeting.objects.count(), Problem.objects.count()) == before
