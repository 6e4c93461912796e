"""The demo's coordination meetings (meetings.demo_coordination.seed_coordination)."""

from __future__ import annotations

import pytest

from dashboard.management.commands import seed_demo
from issues.demo import seed_problems
from issues.models import OPEN_STATUSES, EventKind, ProblemEvent
from meetings import coordination_selectors
from meetings.demo_coordination import seed_coordination
from meetings.models import ActionItem, CoordinationMeeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def district():
    """The demo district's people, organisations and problems: what the step runs after."""
    district = seed_demo.DemoDistrict()
    for step in (
        seed_demo.seed_officials,
        seed_demo.seed_departments,
        seed_demo.seed_department_users,
        seed_demo.seed_enterprises,
        seed_problems,
    ):
        step(district)
    return district


def test_it_seeds_two_held_meetings_with_items_done_overdue_and_running(district):
    seed_coordination(district)

    meetings = list(CoordinationMeeting.objects.order_by("starts_at"))
    assert len(meetings) == 2
    assert all(m.status == CoordinationMeeting.Status.HELD and m.decisions for m in meetings)
    for meeting in meetings:
        assert meeting.action_items.exists()
        # Its subject names what it is about, whatever the demo's most overdue problems are.
        assert any(p.title in meeting.title for p in meeting.problems.all()), meeting.title
        assert all(p.status in OPEN_STATUSES for p in meeting.problems.all())
        for problem in meeting.problems.all():
            kinds = set(ProblemEvent.objects.filter(problem=problem).values_list("kind", flat=True))
            assert {EventKind.COORDINATION_CONVENED, EventKind.ACTION_ITEM_ADDED} <= kinds
    last_week = meetings[0]
    assert all(p.title in last_week.decisions for p in last_week.problems.all())
    today = coordination_selectors.today_of()
    items = ActionItem.objects.all()
    assert items.filter(done=True).count() == 1
    assert items.filter(done=False, due_date__lt=today).count() == 1  # overdue, for the leader
    assert items.filter(done=False, due_date__gte=today).exists()


def test_it_adds_nothing_on_a_second_run(district):
    seed_coordination(district)
    counts = (CoordinationMeeting.objects.count(), ActionItem.objects.count())
    events = ProblemEvent.objects.count()

    seed_coordination(district)

    assert (CoordinationMeeting.objects.count(), ActionItem.objects.count()) == counts
    assert ProblemEvent.objects.count() == events
