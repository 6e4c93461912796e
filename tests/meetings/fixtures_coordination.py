"""Fixtures for the coordination-meeting tests, on top of the issues tests' personas.

The issues conftest only serves tests/issues/; its fixtures are imported here, and each
coordination test module imports this one (`from tests.meetings.fixtures_coordination
import *`), so they work whether or not tests/meetings/ has a conftest of its own.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from issues.models import Status
from meetings import coordination_services
from tests.issues.conftest import (  # noqa: F401 - fixtures, used by name
    NOW,
    at,
    category,
    client_as,
    co_department,
    co_head,
    co_staff,
    enterprise,
    enterprise_user,
    lead_department,
    lead_head,
    lead_staff,
    leader,
    make_problem,
    make_user,
    messages_of,
    office,
    other_department,
    other_enterprise,
    other_enterprise_user,
    other_head,
    other_staff,
    principal,
    superuser,
    warm_calendar,
)

VENUE = "区行政中心三楼第二会议室"
TITLE = "危废处置专题协调会"


def convene(convener, problems, *, days_ago: int = 0, departments=(), **changes):
    """A coordination meeting convened `days_ago` days ago (now if 0), starting an hour later."""
    now = timezone.now() - dt.timedelta(days=days_ago)
    values = {
        "actor": convener,
        "title": TITLE,
        "starts_at": now + dt.timedelta(hours=1),
        "venue": VENUE,
        "problems": problems,
        "departments": departments,
        "now": now,
        **changes,
    }
    return coordination_services.coordination_convene(**values)


def add_item(meeting, department, *, actor=None, due_in: int = 7, **changes):
    """An action item due `due_in` days after today (negative: already overdue)."""
    values = {
        "meeting_id": meeting.pk,
        "actor": actor or meeting.convened_by,
        "department": department,
        "task": "联系两家持证处置单位上门评估，三日内报送处置方案。",
        "due_date": timezone.localdate() + dt.timedelta(days=due_in),
        "now": meeting.starts_at,
        **changes,
    }
    return coordination_services.action_item_add(**values)


@pytest.fixture
def open_problem(make_problem):  # noqa: F811 - the imported fixture
    return make_problem(Status.IN_PROGRESS)


@pytest.fixture
def meeting(leader, open_problem, lead_department):  # noqa: F811 - the imported fixtures
    """Convened ten days ago by the district leader for one open problem."""
    return convene(leader, [open_problem], days_ago=10, departments=[lead_department])
