"""Fixtures for the face-to-face meeting tests (imported by tests/meetings/test_meeting_*.py).

The personas and problems of tests/issues/conftest.py, plus a planned meeting on Tue
2025-09-30 (the day before the National Day week) to which `enterprise` is invited.
"""

from __future__ import annotations

import datetime as dt

import pytest

from issues import workflow
from issues.models import Problem
from meetings import services
from meetings.models import Meeting
from tests.issues.conftest import (  # noqa: F401 - fixtures, used by name
    NOW,
    at,
    category,
    client_as,
    co_department,
    co_staff,
    enterprise,
    enterprise_user,
    lead_department,
    lead_head,
    lead_staff,
    leader,
    make_problem,
    office,
    other_department,
    other_enterprise,
    other_enterprise_user,
    other_staff,
    principal,
    warm_calendar,
)

# Planned on Fri 2025-09-26 (NOW) for Tue 2025-09-30 14:30.
MEETING_AT = at("2025-09-30 14:30")


@pytest.fixture
def meeting(office, leader, lead_department, enterprise) -> Meeting:  # noqa: F811 - fixtures by name
    return services.meeting_create(
        actor=office,
        theme="园区企业危废处置专题",
        starts_at=MEETING_AT,
        venue="区行政中心 3 楼会议室",
        presiding_leaders=[leader],
        departments=[lead_department],
        enterprises=[enterprise],
        now=NOW,
    )


@pytest.fixture
def raise_problem(enterprise_user, category):  # noqa: F811 - fixtures by name
    """raise_problem(meeting, title=...) -> a problem the enterprise submits for `meeting`."""

    def raise_(meeting: Meeting, *, title: str = "漆渣无处处置", actor=None, now=NOW) -> Problem:
        actor = actor or enterprise_user
        return workflow.problem_submit(
            actor=actor,
            enterprise=enterprise_user.profile.enterprise,
            title=title,
            description="喷漆车间每月约 2 吨漆渣，原处置单位停止收运。",
            category=category,
            meeting=meeting,
            now=now,
        )

    return raise_


@pytest.fixture
def dispatch(office, lead_department):  # noqa: F811 - fixtures by name
    def dispatch_(problem: Problem, *, now=NOW + dt.timedelta(hours=1), **kwargs) -> Problem:
        return workflow.problem_dispatch(
            problem_id=problem.pk,
            actor=office,
            lead_department=kwargs.pop("lead_department", lead_department),
            now=now,
            **kwargs,
        )

    return dispatch_
