"""The dashboard's figures (dashboard.figures) on a hand-made data set, counted by hand.

Rows are written directly with exactly the columns the metrics read. Year 2025,
"now" is 2025-12-01 for the selector tests. The eight problems received in 2025:

  #  dept  cat  enterprise  status       on time  satisfaction   handling (working days)
  1  A     C1   E1 (town)   closed       yes      satisfied      Mar 3 -> Mar 10: 5
  2  A     C1   E1          closed       no       unsatisfied    Mar 3 -> Mar 20: 13
  3  A     C2   E2 (none)   resolved     yes      -              Apr 1 -> Apr 3: 2
  4  A     C1   E1          in progress  overdue, escalated (leader)
  5  B     C2   E1          dispatched   due 2030
  6  -     C2   E2          submitted
  7  -     C1   E1          rejected
  8  B     C2   E2          closed       yes      basically      Jun 2 -> Jun 4: 2
and one problem received in December 2024 (outside the year). Problems 1 and 2 were
raised at face-to-face meeting 2025-01. Appeal types (APPEAL_TYPES): consultation 1 and 6,
request 3, 7 and 8, suggestion 5, complaint 2, 4 and 9.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.utils import translation

from dashboard import figures as dashboard
from dashboard.filters import DashboardFilter
from issues import metrics
from issues.models import AppealType, Category, Problem, Status
from liaison import workdays
from liaison.models import Enterprise, Role
from meetings.models import ActionItem, CoordinationMeeting, Meeting
from meetings.statistics import year_statistics

from .conftest import credit_code

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 12, 1, 10, 0, tzinfo=SHANGHAI)
_reference = itertools.count(1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def make_problem(world, status: str, *, created: str, department=None, **fields) -> Problem:
    """A problem row in `status`, received at `created` (clock starts then)."""
    values: dict = {
        "reference": f"{created[:4]}-{next(_reference):05d}",
        "enterprise": world["e1"],
        "submitted_by": world["district"].users[Role.OFFICE],
        "title": "危废处置渠道不畅",
        "description": "漆渣无处处置。",
        "category": world["c1"],
        "status": status,
        "created_at": at(created),
    }
    if status in (Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED):
        due = workdays.deadline_after(at(created), 10).value
        values.update(
            lead_department=department,
            clock_started_at=at(created),
            due_at=due,
            original_due_at=due,
        )
    if status == Status.REJECTED:
        values.update(rejection_reason="不属于政府职能范围", closed_at=at(created))
    values.update(fields)
    return Problem.objects.create(**values)


def answered(resolved: str, due: str | None = None, **fields) -> dict:
    values = {
        "first_resolved_at": at(resolved),
        "last_resolved_at": at(resolved),
        "first_resolved_due_at": at(due) if due else None,
        **fields,
    }
    if fields.get("status") == Status.CLOSED or "satisfaction" in fields:
        values.setdefault("closed_at", at(resolved))
    return values


@pytest.fixture(name="world")
def world_fixture(district):
    """The data set of the module docstring."""
    users = district.users
    c1 = Category.objects.create(name_zh="环保", name_en="Environment", display_order=1)
    c2 = Category.objects.create(name_zh="用工", name_en="Labour", display_order=2)
    e1 = district.enterprise  # in the town
    e2 = Enterprise.objects.create(name="南湖新材料科技有限公司", credit_code=credit_code(2))
    meeting = Meeting.objects.create(
        year=2025,
        number=1,
        theme="环保政策面对面",
        starts_at=at("2025-03-03 09:00"),
        venue="区行政中心",
        status="held",
        held_at=at("2025-03-03 12:00"),
        created_by=users[Role.OFFICE],
    )
    world = {"district": district, "c1": c1, "c2": c2, "e1": e1, "e2": e2, "meeting": meeting}
    a, b = district.department, district.other_department
    p = {}
    p[1] = make_problem(
        world,
        Status.CLOSED,
        created="2025-03-03 10:00",
        department=a,
        meeting=meeting,
        **answered("2025-03-10 10:00", "2025-03-17 23:59:59", satisfaction="satisfied"),
    )
    p[2] = make_problem(
        world,
        Status.CLOSED,
        created="2025-03-03 11:00",
        department=a,
        meeting=meeting,
        **answered("2025-03-20 10:00", "2025-03-17 23:59:59", satisfaction="unsatisfied"),
    )
    p[3] = make_problem(
        world,
        Status.RESOLVED,
        created="2025-04-01 10:00",
        department=a,
        category=c2,
        enterprise=e2,
        **answered("2025-04-03 10:00", "2025-04-16 23:59:59"),
    )
    p[4] = make_problem(
        world,
        Status.IN_PROGRESS,
        created="2025-04-01 11:00",
        department=a,
        escalation_level=1,
        escalated_at=at("2025-04-16 08:00"),
        responsible_leader=users[Role.LEADER],
    )
    p[5] = make_problem(
        world,
        Status.DISPATCHED,
        created="2025-05-06 10:00",
        department=b,
        category=c2,
        due_at=at("2030-01-01 23:59:59"),
    )
    p[6] = make_problem(
        world, Status.SUBMITTED, created="2025-05-06 11:00", category=c2, enterprise=e2
    )
    p[7] = make_problem(world, Status.REJECTED, created="2025-06-02 10:00")
    p[8] = make_problem(
        world,
        Status.CLOSED,
        created="2025-06-02 11:00",
        department=b,
        category=c2,
        enterprise=e2,
        **answered("2025-06-04 10:00", "2025-06-17 23:59:59", satisfaction="basically"),
    )
    p[9] = make_problem(
        world,
        Status.CLOSED,
        created="2024-12-20 10:00",
        department=a,
        **answered("2024-12-23 10:00", "2025-01-06 23:59:59", satisfaction="satisfied"),
    )
    for number, appeal_type in APPEAL_TYPES.items():
        Problem.objects.filter(pk=p[number].pk).update(appeal_type=appeal_type)
    world["problems"] = p
    return world


APPEAL_TYPES = {
    1: AppealType.CONSULTATION,
    2: AppealType.COMPLAINT,
    3: AppealType.REQUEST,
    4: AppealType.COMPLAINT,
    5: AppealType.SUGGESTION,
    6: AppealType.CONSULTATION,
    7: AppealType.REQUEST,
    8: AppealType.REQUEST,
    9: AppealType.COMPLAINT,
}


def figures_for(data: dict, *, department=None, now=NOW) -> dashboard.Dashboard:
    chosen = DashboardFilter(data, queryset=Problem.objects.all(), department=department)
    assert chosen.is_valid(), chosen.form.errors
    return dashboard.dashboard(
        chosen.qs,
        period=chosen.period(),
        list_params=chosen.list_params(),
        department_id=department.pk if department else None,
        now=now,
    )


def test_it_computes_the_headline_by_hand(world):
    h = figures_for({"year": "2025"}).headline

    assert (h.received, h.accepted, h.concluded, h.on_time) == (8, 6, 4, 3)
    assert (h.open, h.overdue, h.escalated) == (2, 1, 1)
    assert (h.evaluated, h.satisfied) == (3, 2)
    assert h.conclusion_rate == Decimal("66.7")  # 4 / 6
    assert h.on_time_rate == Decimal("75.0")  # 3 / 4
    assert h.satisfaction_rate == Decimal("66.7")  # 2 / 3
    assert (h.handling.count, h.handling.total_working_days) == (4, 5 + 13 + 2 + 2)
    assert h.average_working_days == Decimal("5.5")


def test_its_headline_equals_metrics_summarise_on_the_same_problems(world):
    h = figures_for({"year": "2025"}).headline
    received_2025 = Problem.objects.filter(
        created_at__gte=at("2025-01-01 00:00"), created_at__lt=at("2026-01-01 00:00")
    )
    summary = metrics.summarise(received_2025, NOW)

    for name, value in summary.items():
        assert h.counts[name] == value, name
    handling = metrics.handling_time(received_2025)[None]
    assert h.handling == handling


def test_it_computes_the_league_table_by_hand(world):
    district = world["district"]
    rows = {f.key: f for f in figures_for({"year": "2025"}).departments}

    a, b = rows[district.department], rows[district.other_department]
    assert (a.received, a.concluded, a.on_time, a.overdue) == (4, 3, 2, 1)
    assert a.average_working_days == Decimal("6.7")  # 20 / 3
    assert a.satisfaction_rate == Decimal("50.0")  # 1 of 2 evaluated
    assert (b.received, b.concluded, b.on_time, b.overdue) == (2, 1, 1, 0)
    assert b.average_working_days == Decimal("2.0")
    assert b.satisfaction_rate == Decimal("100.0")
    assert set(rows) == {district.department, district.other_department}


def test_it_computes_categories_towns_meetings_and_months_by_hand(world):
    d = figures_for({"year": "2025"})

    categories = {f.key.name_zh: (f.received, f.concluded, f.on_time) for f in d.categories}
    assert categories == {"环保": (4, 2, 1), "用工": (4, 2, 2)}
    towns = {f.key: f.received for f in d.towns}
    assert towns == {world["district"].town: 5, None: 3}
    assert [(f.key, f.received, f.concluded, f.on_time) for f in d.meetings] == [
        (world["meeting"], 2, 2, 1)
    ]
    assert [f.received for f in d.months] == [0, 0, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0]
    # Months read as the reader writes them (FORMAT_MODULE_PATH's YEAR_MONTH_FORMAT).
    with translation.override("zh-hans"):
        assert [f.label for f in figures_for({"year": "2025"}).months][:2] == [
            "2025年1月",
            "2025年2月",
        ]
    with translation.override("en"):
        assert [f.label for f in figures_for({"year": "2025"}).months][:2] == [
            "Jan 2025",
            "Feb 2025",
        ]
    assert d.chart_data()["months"]["concluded"][2] == 2
    assert d.chart_data()["months"]["on_time_rate"][2] == 50.0


def test_it_computes_the_appeal_types_by_hand(world):
    d = figures_for({"year": "2025"})

    # Every type in its fixed order, each counted as the headline counts (see the top).
    assert [f.key for f in d.appeal_types] == list(AppealType)
    counts = {
        f.key: (f.received, f.accepted, f.concluded, f.on_time, f.open, f.overdue, f.escalated)
        for f in d.appeal_types
    }
    assert counts == {
        AppealType.CONSULTATION: (2, 1, 1, 1, 0, 0, 0),  # 1 closed on time, 6 submitted
        AppealType.REQUEST: (3, 2, 2, 2, 0, 0, 0),  # 3 and 8 on time, 7 rejected
        AppealType.SUGGESTION: (1, 1, 0, 0, 1, 0, 0),  # 5 dispatched
        AppealType.COMPLAINT: (2, 2, 1, 0, 1, 1, 1),  # 2 late, 4 overdue and escalated
    }
    satisfaction = {f.key: (f.evaluated, f.satisfied) for f in d.appeal_types}
    assert satisfaction[AppealType.COMPLAINT] == (1, 0)
    assert satisfaction[AppealType.REQUEST] == (1, 1)
    for name in ("received", "accepted", "concluded", "on_time", "open", "overdue"):
        assert sum(f.counts[name] for f in d.appeal_types) == d.headline.counts[name], name
    # A type no problem has is still a row, of zeros; a department's dashboard counts its own.
    only_b = figures_for({"year": "2025"}, department=world["district"].other_department)
    assert [f.received for f in only_b.appeal_types] == [0, 1, 1, 0]
    with translation.override("zh-hans"):
        labels = [f.label for f in figures_for({"year": "2025"}).appeal_types]
    assert labels == ["咨询", "求决", "建议", "投诉"]


def test_its_meeting_figures_agree_with_the_meeting_statistics(world):
    row = figures_for({"year": "2025"}).meetings[0]
    stats = year_statistics(2025, now=NOW).meetings[0]

    assert stats.meeting == row.key
    assert (stats.problems, stats.accepted, stats.concluded, stats.on_time) == (
        row.received,
        row.accepted,
        row.concluded,
        row.on_time,
    )
    assert stats.conclusion_rate == row.conclusion_rate
    assert stats.on_time_rate == row.on_time_rate


def test_it_lists_escalated_problems_with_overdue_working_days_and_leader(world):
    escalated = figures_for({"year": "2025"}).escalated

    assert [row.problem for row in escalated] == [world["problems"][4]]
    row = escalated[0]
    assert row.leader == world["district"].users[Role.LEADER]
    due_day = workdays.local_date(world["problems"][4].due_at)
    assert row.overdue_working_days == workdays.working_days_between(due_day, NOW.date()).value
    assert row.overdue_working_days > 100


def test_it_names_the_supervising_leader_when_no_leader_is_responsible(world):
    Problem.objects.filter(pk=world["problems"][4].pk).update(responsible_leader=None)

    row = figures_for({"year": "2025"}).escalated[0]

    # The department's supervising leader (tests/liaison/conftest.py).
    assert row.leader == world["district"].department.supervising_leader


def test_it_lists_overdue_action_items_only(world):
    users = world["district"].users
    coordination = CoordinationMeeting.objects.create(
        title="危废处置协调会",
        convened_by=users[Role.LEADER],
        starts_at=at("2025-04-20 09:00"),
        venue="区行政中心",
    )

    def item(task, due, **fields):
        values = {
            "meeting": coordination,
            "problem": world["problems"][4],
            "department": world["district"].department,
            "task": task,
            "due_date": dt.date.fromisoformat(due),
            "created_by": users[Role.LEADER],
            **fields,
        }
        return ActionItem.objects.create(**values)

    late = item("联系处置单位", "2025-05-01")
    item("已完成的任务", "2025-05-01", done=True, done_at=at("2025-04-30 10:00"))
    item("尚未到期", "2025-12-31")
    item("其他部门", "2025-05-01", problem=None, department=world["district"].other_department)

    assert [i.task for i in figures_for({"year": "2025"}).action_items_overdue] == [
        "其他部门",
        late.task,
    ] or [i.task for i in figures_for({"year": "2025"}).action_items_overdue] == [
        late.task,
        "其他部门",
    ]
    mine = figures_for({"year": "2025"}, department=world["district"].department)
    assert [i.task for i in mine.action_items_overdue] == [late.task]


def test_filters_narrow_every_figure(world):
    district = world["district"]
    by_department = figures_for({"year": "2025", "department": district.other_department.pk})
    assert by_department.headline.received == 2
    assert [f.key for f in by_department.departments] == [district.other_department]

    by_category = figures_for({"year": "2025", "category": world["c1"].pk})
    assert (by_category.headline.received, by_category.headline.concluded) == (4, 2)

    by_meeting = figures_for({"year": "2025", "meeting": world["meeting"].pk})
    assert by_meeting.headline.received == 2

    by_leader = figures_for({"year": "2025", "leader": district.users[Role.LEADER].pk})
    assert by_leader.headline.received == 1

    with translation.override("en"):
        april_to_june = figures_for({"date_from": "2025-04-01", "date_to": "2025-06-01"})
    assert april_to_june.headline.received == 4  # problems 3, 4, 5, 6
    assert [f.label for f in april_to_june.months] == ["Apr 2025", "May 2025", "Jun 2025"]

    assert figures_for({"year": "2024"}).headline.received == 1


def test_a_department_head_sees_their_department_whatever_they_ask(world):
    district = world["district"]

    d = figures_for(
        {"year": "2025", "department": district.other_department.pk},
        department=district.department,
    )

    assert d.headline.received == 4
    assert [f.key for f in d.departments] == [district.department]


def test_a_start_after_the_end_is_refused(world):
    chosen = DashboardFilter(
        {"date_from": "2025-06-01", "date_to": "2025-05-01"}, queryset=Problem.objects.all()
    )

    with translation.override("en"):
        assert not chosen.is_valid()
        assert "The start date is after the end date." in str(chosen.form.errors)


def test_every_link_reproduces_its_count_on_the_problem_list(world, client):
    """Follow each headline and department link: the list shows exactly that many."""
    client.force_login(world["district"].users[Role.OFFICE])
    d = figures_for({"year": "2025"}, now=None)  # the list counts "overdue" against now

    def listed(url: str) -> int:
        response = client.get(url)
        assert response.status_code == 200
        return response.context["page"].paginator.count

    for name in ("received", "accepted", "concluded", "on_time", "open", "overdue"):
        assert listed(d.headline.links[name]) == d.headline.counts[name], name
    for name in ("escalated", "evaluated", "satisfied"):
        assert listed(d.headline.links[name]) == d.headline.counts[name], name
    for row in d.departments + d.categories + d.appeal_types + d.towns + d.meetings + d.months:
        assert listed(row.links["received"]) == row.received, row.label
        assert listed(row.links["concluded"]) == row.concluded, row.label
    query = parse_qs(urlparse(d.headline.links["received"]).query)
    assert query["submitted_after"] == ["2025-01-01"]
    assert query["submitted_before"] == ["2025-12-31"]


def test_the_league_table_sorts_with_missing_values_last(world):
    rows = figures_for({"year": "2025"}).departments
    district = world["district"]

    by_overdue = dashboard.sort_league(rows, "overdue", descending=True)
    assert [f.key for f in by_overdue] == [district.department, district.other_department]
    by_handling = dashboard.sort_league(rows, "handling", descending=False)
    assert [f.key for f in by_handling] == [district.other_department, district.department]


def test_the_export_holds_the_same_tables(world, client):
    client.force_login(world["district"].users[Role.LEADER])

    response = client.get("/dashboard/export.xlsx", {"year": "2025"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Received"] == 8
    assert summary["Concluded"] == 4
    assert summary["Conclusion rate %"] == pytest.approx(0.667)
    assert summary["Average handling time (working days)"] == 5.5
    departments = list(book["Departments"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[3], r[4]) for r in departments] == [
        ("生态环境", 4, 3, 2),
        ("人社", 2, 1, 1),
    ]
    assert book["Departments"]["A1"].value == "Lead department"
    types = list(book["Appeal types"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[3]) for r in types] == [
        ("Consultation", 2, 1),
        ("Request for a solution", 3, 2),
        ("Suggestion", 1, 0),
        ("Complaint", 2, 1),
    ]
    assert [r[0] for r in book["Escalated"].iter_rows(min_row=2, values_only=True)] == [
        world["problems"][4].reference
    ]
    assert book.sheetnames == [
        "Summary",
        "Departments",
        "Categories",
        "Appeal types",
        "Towns and streets",
        "Meetings",
        "Months",
        "Escalated",
        "Action items overdue",
        "Burden relief",
    ]


def test_the_export_has_chinese_headers_for_chinese_users(world, client):
    client.force_login(world["district"].users[Role.LEADER])

    response = client.get(
        "/dashboard/export.xlsx", {"year": "2025"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    # Translated where the catalogue has the string (it is filled in later for new ones).
    assert (
        book["Departments" if "Departments" in book.sheetnames else book.sheetnames[1]]["A1"].value
        == "主办单位"
    )


def test_the_export_formats_rates_as_percentages_in_chinese(world):
    from dashboard.views import dashboard_workbook

    chosen = DashboardFilter({"year": str(NOW.year)}, queryset=Problem.objects.all())
    assert chosen.is_valid()
    figures = dashboard.dashboard(chosen.qs, period=chosen.period(), list_params={}, now=NOW)
    with translation.override("zh-hans"):
        workbook = openpyxl.load_workbook(io.BytesIO(dashboard_workbook(figures, "2025")))
    checked = 0
    for sheet in workbook.worksheets:
        headers = [cell.value for cell in sheet[1]]
        for index, header in enumerate(headers, start=1):
            if header and "%" in str(header) and sheet.max_row > 1:
                assert sheet.cell(row=2, column=index).number_format == "0.0%", (sheet, header)
                checked += 1
    assert checked


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"lead_department": 3},
        {"lead_department": 3, "category": 2, "submitted_after": "2026-01-01"},
        {"town": 0, "appeal_type": ["a", "b"], "q": "用电 & 增容"},
        {"status": ["submitted"], "overdue": "on"},  # keys a count has too
        {"submitted_after": "2026-01-01", "submitted_before": "2026-03-31"},
        {"submitted_after": "2026-01-01", "lead_department": "7", "appeal_type": "request"},
    ],
)
def test_the_links_are_those_problem_list_url_gives(params):
    """The links of a group's figures, its parameters encoded once, are exactly
    problem_list_url's for each count."""
    from dashboard.figures import _LIST_FILTERS, _figures, problem_list_url

    assert _figures(None, "", {}, params).links == {
        name: problem_list_url(params, name) for name in _LIST_FILTERS
    }
