"""Key-task fixtures on the small district of tests/liaison/conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest

from keytasks import services
from keytasks.models import KeyTask
from liaison import workdays
from liaison.models import Role
from tests.liaison.conftest import build_district

YEAR = 2025
# A Monday in the task year, 10:00 in Shanghai.
NOW = dt.datetime(2025, 6, 16, 10, 0, tzinfo=workdays.SHANGHAI)


@pytest.fixture
def district(db):
    return build_district()


@pytest.fixture
def office(district):
    return district.user(Role.OFFICE)


@pytest.fixture
def leader(district):
    return district.user(Role.LEADER)


@pytest.fixture
def lead_staff(district):
    return district.user(Role.DEPARTMENT_STAFF)


@pytest.fixture
def make_task(district, office, leader):
    """make_task(number=1, supporting=(town,)) -> a key task led by `leader` and the
    district's environment department ("eco"), supported by the town."""

    def _make(number: int = 1, *, year: int = YEAR, **kwargs) -> KeyTask:
        values = {
            "title": f"喷水织机整治 {number}",
            "target": "淘汰落后喷水织机，废水全部纳管",
            "leader": leader,
            "lead_department": district.department,
            "supporting_departments": [district.town],
        }
        values.update(kwargs)
        return services.key_task_create(
            actor=office, year=year, number=number, now=NOW - dt.timedelta(days=150), **values
        )

    return _make
