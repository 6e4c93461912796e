"""The dashboard's burden-relief panel (减负) and its sheet in the export."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from issues.models import Problem, ReliefOutcome
from liaison import workdays
from liaison.models import Role

from .test_dashboard_views import EXPECTED_QUERIES, URL, bulk_problems


def relieve(district, lines: int) -> None:
    """`lines` outcome lines on the answered problems, counted this year."""
    today = workdays.local_date(timezone.now())
    answered = list(Problem.objects.filter(first_resolved_at__isnull=False).order_by("id"))
    kinds = ["tax_fees", "power", "subsidy"]
    ReliefOutcome.objects.bulk_create(
        ReliefOutcome(
            problem=answered[i % len(answered)],
            kind=kinds[i % 3],
            amount=Decimal("100000000") if i % 3 == 0 else Decimal("10000000"),
            firms=2,
            jobs=1,
            counted_on=today.replace(month=1, day=10),
            recorded_by=district.users[Role.OFFICE],
        )
        for i in range(lines)
    )


@pytest.fixture
def warm_calendar(db):
    workdays.is_working_day(dt.date.today())


@pytest.mark.parametrize("lines", [3, 60])
def test_the_panel_is_two_queries_whatever_the_lines(
    client, district, warm_calendar, django_assert_num_queries, lines
):
    bulk_problems(district, 12)
    relieve(district, lines)
    client.force_login(district.users[Role.LEADER])
    # As the page without relief, plus the names of the lines' departments and towns.
    with django_assert_num_queries(EXPECTED_QUERIES[Role.LEADER] + 1):
        response = client.get(URL)
    assert response.context["relief"].total.lines == lines


@pytest.mark.parametrize(
    "language, headline, power",
    [
        ("zh-hans", "为企业减负 1.2 亿元", "1,000 万元"),
        ("en", "Relieved enterprises of 120,000,000 yuan", "10,000,000 yuan"),
    ],
)
def test_the_headline_reads_in_both_languages(
    client, district, warm_calendar, language, headline, power
):
    bulk_problems(district, 12)
    relieve(district, 3)  # 1 亿 tax, 1000 万 power, 1000 万 subsidy
    client.force_login(district.users[Role.LEADER])
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert headline in html
    assert power in html


def test_a_department_head_sees_the_relief_of_their_department(client, district, warm_calendar):
    bulk_problems(district, 12)
    relieve(district, 6)
    client.force_login(district.users[Role.DEPARTMENT_HEAD])
    relief = client.get(URL).context["relief"]
    own = ReliefOutcome.objects.filter(problem__lead_department=district.department)
    assert relief.total.lines == own.count()
    assert [row.key for row in relief.by_department] == [district.department.pk]


def test_the_export_has_a_relief_sheet_of_numbers(client, district, warm_calendar):
    bulk_problems(district, 12)
    relieve(district, 3)
    client.force_login(district.users[Role.LEADER])
    response = client.get(URL + "export.xlsx", HTTP_ACCEPT_LANGUAGE="en")
    sheet = load_workbook(io.BytesIO(response.content))["Burden relief"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0] == ["Relieved enterprises of 120,000,000 yuan", 120000000, 6, 3]
    assert ["Tax and fees", 100000000, 2, 1] in rows
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
