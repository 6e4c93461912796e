"""The demo's past year of face-to-face meetings (meetings.demo.seed_meetings).

It must reproduce the programme's real report: 9 meetings, 73 enterprises attending,
180 problems, every one concluded within 10 working days.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from dashboard.management.commands import seed_demo
from issues import metrics
from issues.models import Channel, EventKind, Problem, ProblemEvent, Satisfaction, Status
from liaison import workdays
from meetings import demo
from meetings.models import Invitation, Meeting, MeetingCounter
from meetings.statistics import year_statistics
from tests.conftest import rolled_back_at_the_end

pytestmark = pytest.mark.django_db

PAST_YEAR = timezone.localdate().year - 1


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo district's people and organisations, then the real seed_meetings: once
    for the module (it takes seconds), rolled back at its end."""
    with rolled_back_at_the_end(django_db_blocker):
        with django_db_blocker.unblock():
            district = seed_demo.DemoDistrict()
            for step in (
                seed_demo.seed_officials,
                seed_demo.seed_departments,
                seed_demo.seed_department_users,
                seed_demo.seed_enterprises,
            ):
                step(district)
            demo.seed_meetings(district)
        yield district


def past_problems():
    return Problem.objects.filter(meeting__year=PAST_YEAR)


# Each test below checks one aspect of the one seeded district thoroughly.


def test_it_reproduces_the_programmes_report(client, seeded):
    stats = year_statistics(PAST_YEAR)

    assert demo.past_year() == PAST_YEAR
    assert stats.meetings_held == 9
    assert stats.enterprises_attended == 73
    assert (stats.problems, stats.accepted, stats.concluded, stats.on_time) == (180, 180, 180, 180)
    assert str(stats.conclusion_rate) == "100.0"
    assert [row.meeting.number for row in stats.meetings] == list(range(1, 10))
    assert all(row.meeting.status == Meeting.Status.CLOSED for row in stats.meetings)
    # One enterprise raised 17 problems at the second meeting (the 72-day plant).
    per_enterprise = list(
        past_problems()
        .filter(meeting__number=2)
        .values("enterprise__name")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    assert per_enterprise[0] == {"enterprise__name": "浙江华科新材料有限公司", "n": 17}
    assert per_enterprise[1]["n"] < 17
    # Most were satisfied, a few basically satisfied.
    satisfaction = Counter(past_problems().values_list("satisfaction", flat=True))
    assert set(satisfaction) == {Satisfaction.SATISFIED, Satisfaction.BASICALLY}
    assert 0 < satisfaction[Satisfaction.BASICALLY] < 0.15 * 180

    # The statistics page shows the report's figures.
    client.force_login(seeded.users["office1"])
    response = client.get(reverse("meetings:statistics"), {"year": PAST_YEAR})

    html = response.content.decode()
    for key, value in (
        ("meetings_held", "9"),
        ("enterprises_attended", "73"),
        ("problems", "180"),
        ("concluded", "180"),
        ("on_time", "180"),
        ("conclusion_rate", "100%"),
    ):
        assert f'data-stat="{key}">{value}<' in html, key


def test_every_problem_went_through_the_workflow_within_ten_working_days(seeded):
    problems = list(past_problems().select_related("meeting"))

    assert len(problems) == 180
    for problem in problems:
        assert problem.status == Status.CLOSED
        assert problem.channel == Channel.MEETING
        # Dispatched on the meeting day, after the meeting was held: the clock starts at
        # the meeting (DESIGN.md §5).
        assert problem.clock_started_at == problem.meeting.starts_at
        assert workdays.local_date(problem.clock_started_at) == problem.meeting.local_date
        assert problem.first_resolved_due_at == problem.original_due_at
        assert problem.first_resolved_at <= problem.first_resolved_due_at
        days = workdays.working_days_between(
            workdays.local_date(problem.clock_started_at),
            workdays.local_date(problem.first_resolved_at),
        ).value
        assert 1 <= days <= 10
        assert problem.closed_at <= problem.meeting.closed_at < timezone.now()
    assert metrics.handling_time(past_problems())[None].average <= 10
    kinds = Counter(
        ProblemEvent.objects.filter(problem__meeting__year=PAST_YEAR).values_list("kind", flat=True)
    )
    assert {kind: kinds[kind] for kind in LIFE} == dict.fromkeys(LIFE, 180)

    meetings = Meeting.objects.filter(year=PAST_YEAR).order_by("number")
    assert MeetingCounter.objects.get(year=PAST_YEAR).last_number == 9
    dates = [m.local_date for m in meetings]
    assert dates == sorted(dates) and all(d.year == PAST_YEAR for d in dates)
    assert all(workdays.is_working_day(d) for d in dates)
    for meeting in meetings:
        assert meeting.presiding_leaders.exists()
        assert meeting.departments.exists()
        assert meeting.starts_at < meeting.held_at < meeting.closed_at
        attendees = set(
            meeting.invitations.filter(attended=True).values_list("enterprise", flat=True)
        )
        raisers = set(meeting.problems.values_list("enterprise", flat=True))
        assert raisers == attendees  # every attendee raised something, nobody else did
    assert Invitation.objects.filter(meeting__year=PAST_YEAR, attended=False).count() >= 3


LIFE = (
    EventKind.SUBMITTED,
    EventKind.DISPATCHED,
    EventKind.ACKNOWLEDGED,
    EventKind.RESOLVED,
    EventKind.EVALUATED,
)


def test_it_does_nothing_the_second_time(seeded):
    before = (Meeting.objects.count(), Problem.objects.count(), ProblemEvent.objects.count())

    demo.seed_meetings(seeded)

    assert (Meeting.objects.count(), Problem.objects.count(), ProblemEvent.objects.count()) == (
        before
    )
