"""Hand-made problems and meetings for the metrics and statistics tests.

Rows are written directly (not through the workflow), with exactly the columns each
metric reads, so every expected figure can be counted by hand. The district is the
small one of tests/liaison/conftest.py: a department, a town, an enterprise, one user
per role.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from issues.models import Category, Problem, Status
from liaison.models import Enterprise
from meetings.models import Invitation, Meeting
from tests.liaison.conftest import District, build_district, credit_code

SHANGHAI = ZoneInfo("Asia/Shanghai")
_reference = itertools.count(1)
_enterprise_serial = itertools.count(100)


def at(text: str) -> dt.datetime:
    """An aware datetime in Asia/Shanghai from "YYYY-MM-DD HH:MM"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def district(db) -> District:
    return build_district()


@pytest.fixture
def category(district) -> Category:
    return Category.objects.create(
        name_zh="环保", name_en="Environment", default_lead_department=district.department
    )


def make_problem(district, category, status: str = Status.SUBMITTED, **fields) -> Problem:
    """A problem row in `status`; accepted ones get a lead department and a deadline."""
    values: dict = {
        "reference": f"2025-{next(_reference):05d}",
        "enterprise": district.enterprise,
        "submitted_by": district.users["office"],
        "title": "危废处置渠道不畅",
        "description": "漆渣无处处置。",
        "category": category,
        "status": status,
    }
    if status in (Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED):
        values.update(
            lead_department=district.department,
            clock_started_at=at("2025-09-26 10:00"),
            due_at=at("2025-10-16 23:59:59"),
            original_due_at=at("2025-10-16 23:59:59"),
        )
    if status in (Status.RESOLVED, Status.CLOSED):
        values.update(
            first_resolved_at=at("2025-10-09 16:00"),
            last_resolved_at=at("2025-10-09 16:00"),
            first_resolved_due_at=at("2025-10-16 23:59:59"),
        )
    if status == Status.CLOSED:
        values["closed_at"] = at("2025-10-10 10:00")
    if status == Status.REJECTED:
        values.update(rejection_reason="不属于政府职能范围", closed_at=at("2025-09-26 12:00"))
    values.update(fields)
    return Problem.objects.create(**values)


def make_enterprise(district, name: str) -> Enterprise:
    return Enterprise.objects.create(
        name=name, credit_code=credit_code(next(_enterprise_serial)), town=district.town
    )


def make_meeting(
    district,
    *,
    year: int = 2025,
    number: int = 1,
    status: str = Meeting.Status.CLOSED,
    starts_at: dt.datetime | None = None,
    theme: str = "危废处置专题",
) -> Meeting:
    starts_at = starts_at or at(f"{year}-03-{10 + number:02d} 09:00")
    held_at = None if status == Meeting.Status.PLANNED else starts_at + dt.timedelta(hours=2)
    return Meeting.objects.create(
        year=year,
        number=number,
        theme=theme,
        starts_at=starts_at,
        venue="区行政中心",
        status=status,
        held_at=held_at,
        closed_at=held_at if status == Meeting.Status.CLOSED else None,
        created_by=district.users["office"],
    )


def invite(meeting: Meeting, *enterprises: Enterprise, attended: bool | None = True) -> None:
    Invitation.objects.bulk_create(
        Invitation(meeting=meeting, enterprise=e, attended=attended) for e in enterprises
    )
