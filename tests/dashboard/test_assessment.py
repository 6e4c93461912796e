"""The department assessment (dashboard.assessment) on a hand-made month, counted by hand.

October 2025 (Asia/Shanghai). National Day: 1-8 October are holidays, Saturday 11 October
a make-up working day (the calendar's 2025 schedule). Rows are written directly with the
columns the metrics read; acknowledgements are ACKNOWLEDGED events.

  #  dept  received/clock   acknowledged        status       answered (due)        other
  1  A     Thu 9  10:00     Fri 10 15:00  in    closed       Oct 15 (Oct 23) on    satisfied (self)
  2  A     Wed 1  10:00     Thu 9  11:00  in    closed       Oct 24 (Oct 21) late  basic (call-back)
     (clock on a holiday: the first working day after it is Thu 9 October)
  3  A     Fri 10 10:00     Mon 13 09:00  late  in progress  due Oct 24: overdue  extended
     (the next working day is the make-up Saturday 11 October: Monday is late)
  4  A     Mon 20 10:00     never         late  dispatched   due Nov 3 (not yet overdue)
  5  A     Mon 27 10:00     Tue 28 09:00  in    resolved     Oct 30 (Nov 10) on    reopened once
  6  -     Oct 15           -                   submitted    (not counted: no lead department)
  7  A     Sep 30 10:00     Oct 9               closed       (received in September: not counted)
  9  B     Wed 15 10:00     Thu 16 09:00  in    closed       Oct 17 (Oct 29) on    satisfied (self)

Department A: accepted 5; acknowledged in time 3 of 5 (60.0%); on time 2 of 3 concluded
(66.7%); self 1/1, call-back 1/1 (100%); reopened 1 of 3 answered (33.3% -> 66.7);
overdue 1 of 5 at NOW (20% -> 80.0); extended 1 of 5 (20% -> 80.0). Default weights 15/30/
20/10/10/10/5: (60*15 + 66.7*30 + 100*20 + 100*10 + 66.7*10 + 80*10 + 80*5) / 100 = 77.68
-> 77.7.
Department B: every indicator 100 (no call-back: its weight left out) -> 100.0, rank 1.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.utils import translation

from dashboard import tasks
from dashboard.assessment import figures, selectors
from dashboard.assessment.models import (
    AssessmentLog,
    AssessmentMonth,
    AssessmentScheme,
    ProvisionalMonth,
)
from dashboard.assessment.services import (
    AssessmentError,
    assessments_freeze_due,
    month_freeze,
    month_recalculate,
    provisional_refresh,
    provisionals_refresh_due,
    scheme_create,
)
from issues.models import Category, EventKind, ExtensionRequest, Problem, ProblemEvent, Status
from liaison import workdays
from liaison.models import Department, Role
from tests.twofactor import TWO_FACTOR_DEVICE

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = dt.date(2025, 10, 1)
NOW = dt.datetime(2025, 11, 3, 1, 10, tzinfo=SHANGHAI)  # first working day after October
_reference = itertools.count(1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(name="october")
def october_fixture(district):
    users = district.users
    category = Category.objects.create(name_zh="环保", name_en="Environment")
    a, b = district.department, district.other_department

    def problem(status, created, *, dept=a, acknowledged=None, **fields):
        accepted = status not in (Status.SUBMITTED, Status.REJECTED)
        due = fields.pop("due", None) or (at(created) + dt.timedelta(days=14))
        values = {
            "reference": f"2025-{next(_reference):05d}",
            "enterprise": district.enterprise,
            "submitted_by": users[Role.OFFICE],
            "title": "危废处置渠道不畅",
            "description": "漆渣无处处置。",
            "category": category,
            "status": status,
            "created_at": at(created),
            "lead_department": dept if accepted else None,
            "clock_started_at": at(created) if accepted else None,
            "due_at": due if accepted else None,
            "original_due_at": due if accepted else None,
        }
        values.update(fields)
        row = Problem.objects.create(**values)
        if acknowledged:
            ProblemEvent.objects.create(
                problem=row,
                actor=users[Role.DEPARTMENT_STAFF],
                kind=EventKind.ACKNOWLEDGED,
                from_status=Status.DISPATCHED,
                to_status=Status.IN_PROGRESS,
                created_at=at(acknowledged),
            )
        return row

    def answered(when, due, status=Status.CLOSED, **fields):
        return {
            "first_resolved_at": at(when),
            "last_resolved_at": at(when),
            "first_resolved_due_at": at(due),
            "closed_at": at(when) + dt.timedelta(days=1) if status == Status.CLOSED else None,
            **fields,
        }

    p = {}
    p[1] = problem(
        Status.CLOSED,
        "2025-10-09 10:00",
        acknowledged="2025-10-10 15:00",
        **answered(
            "2025-10-15 10:00",
            "2025-10-23 23:59:59",
            satisfaction="satisfied",
            evaluation_source="enterprise",
        ),
    )
    p[2] = problem(
        Status.CLOSED,
        "2025-10-01 10:00",
        acknowledged="2025-10-09 11:00",
        **answered(
            "2025-10-24 10:00",
            "2025-10-21 23:59:59",
            satisfaction="basically",
            evaluation_source="callback",
        ),
    )
    p[3] = problem(
        Status.IN_PROGRESS,
        "2025-10-10 10:00",
        acknowledged="2025-10-13 09:00",
        due=at("2025-10-24 23:59:59"),
    )
    ExtensionRequest.objects.create(
        problem=p[3],
        requested_by=users[Role.DEPARTMENT_STAFF],
        days=3,
        reason="需补充材料",
        decision="approved",
        decided_by=users[Role.OFFICE],
        decided_at=at("2025-10-20 10:00"),
    )
    p[4] = problem(Status.DISPATCHED, "2025-10-20 10:00", due=at("2025-11-03 23:59:59"))
    p[5] = problem(
        Status.RESOLVED,
        "2025-10-27 10:00",
        acknowledged="2025-10-28 09:00",
        reopen_count=1,
        **answered("2025-10-30 10:00", "2025-11-10 23:59:59", status=Status.RESOLVED),
    )
    p[6] = problem(Status.SUBMITTED, "2025-10-15 10:00")
    p[7] = problem(
        Status.CLOSED,
        "2025-09-30 10:00",
        acknowledged="2025-10-09 09:00",
        **answered("2025-10-10 10:00", "2025-10-20 23:59:59", satisfaction="satisfied"),
    )
    p[9] = problem(
        Status.CLOSED,
        "2025-10-15 10:00",
        dept=b,
        acknowledged="2025-10-16 09:00",
        **answered(
            "2025-10-17 10:00",
            "2025-10-29 23:59:59",
            satisfaction="satisfied",
            evaluation_source="enterprise",
        ),
    )
    workdays.invalidate()
    return {"district": district, "a": a, "b": b, "p": p}


EXPECTED_A = {
    "accepted": 5,
    "acknowledge_due": 5,
    "acknowledged_in_time": 3,
    "concluded": 3,
    "on_time": 2,
    "evaluated_self": 1,
    "satisfied_self": 1,
    "evaluated_callback": 1,
    "satisfied_callback": 1,
    "answered": 3,
    "reopened": 1,
    "overdue": 1,
    "extended": 1,
}


def test_the_calendar_is_the_2025_schedule(october):
    assert not workdays.is_working_day(dt.date(2025, 10, 8))
    assert workdays.is_working_day(dt.date(2025, 10, 11))  # make-up Saturday


def test_figures_match_the_hand_count(october):
    counts = figures.count_month(OCTOBER, NOW)
    assert counts[october["a"].pk] == EXPECTED_A
    assert counts[october["b"].pk]["acknowledged_in_time"] == 1
    assert set(counts) == {october["a"].pk, october["b"].pk}
    standings = selectors.live_ranking(OCTOBER, NOW).standings
    b, a = standings
    assert (b.department_id, b.score, b.rank) == (october["b"].pk, Decimal("100.0"), 1)
    assert (a.department_id, a.score, a.rank) == (october["a"].pk, Decimal("77.7"), 2)
    assert a.values["acknowledged"] == Decimal("60.0")
    assert a.values["on_time"] == Decimal("66.7")
    assert a.values["reopen"] == Decimal("66.7")
    assert a.values["overdue"] == Decimal("80.0")
    assert a.values["extension"] == Decimal("80.0")
    assert b.values["satisfaction_callback"] is None


def test_acknowledgement_not_yet_due_is_not_counted_late(october):
    # On the evening of Oct 20, problem 4 (clock Oct 20) may still be acknowledged on Oct 21.
    counts = figures.count_month(OCTOBER, at("2025-10-20 18:00"))
    assert counts[october["a"].pk]["acknowledge_due"] == 4


def test_the_same_on_time_and_satisfaction_as_the_dashboard(october, client):
    client.force_login(october["district"].users[Role.OFFICE])
    response = client.get("/dashboard/?date_from=2025-10-01&date_to=2025-10-31")
    assert response.status_code == 200
    league = {f.key.pk: f for f in response.context["d"].departments if f.key}
    counts = figures.count_month(OCTOBER, NOW)
    for department in (october["a"], october["b"]):
        mine, theirs = counts[department.pk], league[department.pk]
        assert mine["on_time"] == theirs.on_time
        assert mine["concluded"] == theirs.concluded
        assert mine["accepted"] == theirs.accepted
        assert mine["satisfied_self"] + mine["satisfied_callback"] == theirs.satisfied
        assert mine["evaluated_self"] + mine["evaluated_callback"] == theirs.evaluated
        assert mine["evaluated_callback"] == theirs.evaluated_by_callback


# --- weights -----------------------------------------------------------------------------

WEIGHTS = {
    "acknowledged": 10,
    "on_time": 40,
    "satisfaction_self": 20,
    "satisfaction_callback": 10,
    "reopen": 10,
    "overdue": 5,
    "extension": 5,
}


def test_weights_must_sum_to_100(district):
    office = district.users[Role.OFFICE]
    with pytest.raises(AssessmentError) as refused:
        scheme_create(year=2025, weights={**WEIGHTS, "on_time": 39}, actor=office, now=NOW)
    assert "99%" in refused.value.message
    assert not AssessmentScheme.objects.exists()
    first = scheme_create(year=2025, weights=WEIGHTS, actor=office, now=NOW)
    second = scheme_create(
        year=2025, weights={**WEIGHTS, "on_time": 35, "overdue": 10}, actor=office, now=NOW
    )
    assert (first.version, second.version) == (1, 2)
    assert AssessmentScheme.objects.filter(year=2025).count() == 2  # versions kept
    with pytest.raises(AssessmentError):
        scheme_create(year=2025, weights=WEIGHTS, actor=district.users[Role.LEADER], now=NOW)


def test_the_weights_page_refuses_a_wrong_sum_in_chinese(district, client):
    client.force_login(district.users[Role.OFFICE])
    data = {"year": str(workdays.local_date(NOW).year + 1), "note": "", **WEIGHTS, "extension": 4}
    response = client.post("/dashboard/assessment/weights/", data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "100%" in response.content.decode()
    assert 'id="scheme-errors"' in response.content.decode()
    assert "未保存" in response.content.decode()
    assert not AssessmentScheme.objects.exists()
    data["extension"] = 5
    response = client.post("/dashboard/assessment/weights/", data)
    assert response.status_code == 302
    assert AssessmentScheme.objects.get().created_by == district.users[Role.OFFICE]


@pytest.mark.parametrize("versions", [1, 4])
def test_the_weights_page_queries_are_constant(
    district, client, django_assert_num_queries, versions
):
    """session, user, profile (+ device); the year's latest version (the form's values);
    its saved versions with who saved each: the same whatever their number."""
    office = district.users[Role.OFFICE]
    for on_time in range(30, 30 + versions):
        weights = {**WEIGHTS, "on_time": on_time, "overdue": 45 - on_time}
        scheme_create(year=2025, weights=weights, actor=office, now=NOW)
    client.force_login(office)
    client.get("/dashboard/assessment/weights/?year=2025")  # warm: calendar
    with django_assert_num_queries(5 + TWO_FACTOR_DEVICE):
        response = client.get("/dashboard/assessment/weights/?year=2025")
    assert len(response.context["versions"]) == versions


def test_a_scheme_weighs_the_score(october):
    scheme_create(year=2025, weights=WEIGHTS, actor=october["district"].users[Role.OFFICE], now=NOW)
    a = {s.department_id: s for s in selectors.live_ranking(OCTOBER, NOW).standings}[
        october["a"].pk
    ]
    # (60*10 + 66.7*40 + 100*20 + 100*10 + 66.7*10 + 80*5 + 80*5) / 100 = 77.35 -> 77.4
    assert a.score == Decimal("77.4")


# --- freezing and recalculation ----------------------------------------------------------


def test_the_month_is_frozen_on_the_first_working_day_after_it(october):
    # Saturday 1 November: October's freezing day (Monday 3) has not come.
    assessments_freeze_due(now=at("2025-11-01 09:00"))
    assert not AssessmentMonth.objects.filter(month=OCTOBER).exists()
    frozen = assessments_freeze_due(now=NOW)
    assert OCTOBER in [f.month for f in frozen]
    assert assessments_freeze_due(now=NOW) == []  # idempotent
    assert AssessmentLog.objects.filter(month=OCTOBER, kind="frozen").count() == 1
    with pytest.raises(AssessmentError):
        month_freeze(month=dt.date(2025, 11, 1), now=NOW)  # not over


def test_a_late_change_does_not_alter_the_frozen_ranking_until_recalculated(october):
    office = october["district"].users[Role.OFFICE]
    month_freeze(month=OCTOBER, now=NOW)
    frozen = selectors.frozen_ranking(OCTOBER)
    assert [(s.department_id, s.score, s.rank) for s in frozen.standings] == [
        (october["b"].pk, Decimal("100.0"), 1),
        (october["a"].pk, Decimal("77.7"), 2),
    ]
    # Later: department B's problem is found unsatisfied after all.
    Problem.objects.filter(pk=october["p"][9].pk).update(satisfaction="unsatisfied")
    assert selectors.frozen_ranking(OCTOBER).standings[0].score == Decimal("100.0")
    assert selectors.month_ranking(OCTOBER).assessment is not None  # the frozen one
    assessment = AssessmentMonth.objects.get(month=OCTOBER)
    with pytest.raises(AssessmentError):
        month_recalculate(month=OCTOBER, actor=october["district"].users[Role.LEADER])
    later = at("2025-11-20 10:00")
    month_recalculate(
        month=OCTOBER,
        actor=office,
        expected_version=assessment.version,
        reason="评价更正",
        now=later,
    )
    again = selectors.frozen_ranking(OCTOBER)
    # B: satisfaction (self) 0: (100*15 + 100*30 + 0*20 + 100*10 + 100*10 + 100*5) / 90;
    # A: problem 4 is overdue by now (2 of 5: 60.0): 75.7.
    scores = {s.department_id: s.score for s in again.standings}
    assert scores[october["b"].pk] == Decimal("77.8")
    assert scores[october["a"].pk] == Decimal("75.7")
    assert again.standings[0].department_id == october["b"].pk
    assert again.assessment.recalculated_by == office
    assert again.assessment.recalculated_at == later
    log = AssessmentLog.objects.get(month=OCTOBER, kind="recalculated")
    assert (log.actor, log.reason, log.changed_rows) == (office, "评价更正", 2)
    # A stale page (the version it showed) is refused, nothing changed.
    with pytest.raises(AssessmentError):
        month_recalculate(month=OCTOBER, actor=office, expected_version=assessment.version)


def test_recalculate_button_needs_the_confirmation(october, client):
    office = october["district"].users[Role.OFFICE]
    month_freeze(month=OCTOBER, now=NOW)
    client.force_login(office)
    url = "/dashboard/assessment/2025-10/recalculate/"
    response = client.post(url, {"version": 1, "reason": ""})
    assert response.status_code == 302
    assert AssessmentMonth.objects.get(month=OCTOBER).recalculated_at is None
    response = client.post(url, {"version": 1, "reason": "", "confirm": "on"}, follow=True)
    assert AssessmentMonth.objects.get(month=OCTOBER).recalculated_by == office
    page = response.content.decode()
    assert 'id="recalculated-note"' in page


# --- pages, permissions, queries ---------------------------------------------------------

RANKING = "/dashboard/assessment/?month=2025-10"


@pytest.mark.parametrize(
    "role, status",
    [
        (Role.OFFICE, 200),
        (Role.LEADER, 200),
        (Role.PRINCIPAL, 200),
        (Role.DEPARTMENT_HEAD, 200),
        (Role.DEPARTMENT_STAFF, 404),
        (Role.ENTERPRISE, 404),
        (None, 404),
    ],
)
def test_who_sees_the_ranking(october, client, role, status):
    client.force_login(october["district"].users[role])
    assert client.get(RANKING).status_code == status
    assert client.get("/dashboard/assessment/year/?year=2025").status_code == status


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(RANKING)
    assert response.status_code == 302 and "login" in response["Location"]


def drill(department, figure="on_time", month="2025-10"):
    return f"/dashboard/assessment/{month}/department/{department.pk}/{figure}/"


def test_drill_down_lists_the_problems_behind_a_figure(october, client):
    month_freeze(month=OCTOBER, now=NOW)  # overdue is counted at the frozen moment
    client.force_login(october["district"].users[Role.LEADER])
    page = client.get(drill(october["a"], "acknowledged_late"))
    assert page.status_code == 200
    shown = {p.pk for p in page.context["page"]}
    assert shown == {october["p"][3].pk, october["p"][4].pk}
    for figure, expected in EXPECTED_A.items():
        response = client.get(drill(october["a"], figure))
        assert response.context["page"].paginator.count == expected, figure
    assert client.get(drill(october["a"], "nonsense")).status_code == 404
    assert client.get("/dashboard/assessment/2025-13/department/1/on_time/").status_code == 404


def test_a_head_opens_only_their_own_department(october, client):
    client.force_login(october["district"].users[Role.DEPARTMENT_HEAD])  # head of A
    assert client.get(drill(october["a"])).status_code == 200
    assert client.get(drill(october["b"])).status_code == 404
    page = client.get(RANKING).content.decode()
    assert drill(october["a"], "accepted") in page
    assert drill(october["b"], "accepted") not in page  # B's row without links


def test_only_the_office_sets_weights_and_recalculates(october, client):
    month_freeze(month=OCTOBER, now=NOW)
    for role in (Role.LEADER, Role.DEPARTMENT_HEAD):
        client.force_login(october["district"].users[role])
        assert client.get("/dashboard/assessment/weights/").status_code == 404
        response = client.post(
            "/dashboard/assessment/2025-10/recalculate/", {"version": 1, "confirm": "on"}
        )
        assert response.status_code == 404
    assert AssessmentMonth.objects.get(month=OCTOBER).recalculated_at is None


def more_departments(district, n: int) -> None:
    """n more departments with one accepted problem each in October."""
    category = Category.objects.first()
    for i in range(n):
        department = Department.objects.create(name=f"部门{i}", short_name=f"部门{i}")
        Problem.objects.create(
            reference=f"2025-{next(_reference):05d}",
            enterprise=district.enterprise,
            submitted_by=district.users[Role.OFFICE],
            title="用工难",
            description="-",
            category=category,
            status=Status.DISPATCHED,
            created_at=at("2025-10-22 10:00"),
            lead_department=department,
            clock_started_at=at("2025-10-22 10:00"),
            due_at=at("2025-11-05 23:59:59"),
            original_due_at=at("2025-11-05 23:59:59"),
        )


# session, user, profile (+ device); the frozen month, its rows with departments; the log.
FROZEN_PAGE_QUERIES = 6 + TWO_FACTOR_DEVICE
# session, user, profile (+ device); frozen? (no); the provisional snapshot; latest scheme;
# its rows with departments. Never the problems: the beat task counts them.
PROVISIONAL_PAGE_QUERIES = 7 + TWO_FACTOR_DEVICE


def test_ranking_page_queries_are_constant(october, client, django_assert_num_queries):
    client.force_login(october["district"].users[Role.LEADER])
    client.get(RANKING)  # warm: calendar; no snapshot yet: counted once and kept
    assert ProvisionalMonth.objects.filter(month=OCTOBER).exists()
    with django_assert_num_queries(PROVISIONAL_PAGE_QUERIES):
        assert client.get(RANKING).status_code == 200
    more_departments(october["district"], 12)
    provisional_refresh(month=OCTOBER)
    with django_assert_num_queries(PROVISIONAL_PAGE_QUERIES):
        response = client.get(RANKING)
    assert len(response.context["standings"]) == 14
    month_freeze(month=OCTOBER, now=NOW)
    with django_assert_num_queries(FROZEN_PAGE_QUERIES):
        response = client.get(RANKING)
    assert len(response.context["standings"]) == 14


# session, user, profile (+ device); the year's latest scheme; its frozen months' rows with
# their departments and months, in one query. Never the problems.
YEAR_PAGE_QUERIES = 5 + TWO_FACTOR_DEVICE


@pytest.mark.parametrize("n", [0, 12])
@pytest.mark.parametrize("role", [Role.LEADER, Role.DEPARTMENT_HEAD])
def test_year_page_queries_are_constant(october, client, django_assert_num_queries, role, n):
    """Two frozen months of 2 or 14 departments: the same queries whatever their number."""
    more_departments(october["district"], n)
    month_freeze(month=dt.date(2025, 9, 1), now=NOW)
    month_freeze(month=OCTOBER, now=NOW)
    client.force_login(october["district"].users[role])
    client.get("/dashboard/assessment/year/?year=2025")  # warm: calendar
    with django_assert_num_queries(YEAR_PAGE_QUERIES):
        response = client.get("/dashboard/assessment/year/?year=2025")
    assert len(response.context["standings"]) == 2 + n
    assert response.context["ranking"].months == [dt.date(2025, 9, 1), OCTOBER]


def standings_of(ranking):
    return [(s.department_id, s.counts, s.score, s.rank) for s in ranking.standings]


def test_the_provisional_snapshot_equals_the_live_count(october):
    office = october["district"].users[Role.OFFICE]
    early = at("2025-10-20 18:00")
    refreshed = provisionals_refresh_due(now=early)  # October is this month then
    assert [s.month for s in refreshed] == [OCTOBER, dt.date(2025, 9, 1)]  # not frozen
    snapshot = selectors.provisional_ranking(OCTOBER, early)
    assert snapshot.provisional and snapshot.computed_at == early
    assert standings_of(snapshot) == standings_of(selectors.live_ranking(OCTOBER, early))
    # The weights saved after the count apply at once: the snapshot keeps counts, not scores.
    scheme_create(year=2025, weights=WEIGHTS, actor=office, now=early)
    assert standings_of(selectors.provisional_ranking(OCTOBER, early)) == standings_of(
        selectors.live_ranking(OCTOBER, early)
    )


def test_the_beat_task_refreshes_the_provisional_months(october, settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["refresh-provisional-assessments"]
    assert schedule["task"] == tasks.refresh_provisional_assessments.name
    assert schedule["schedule"] == settings.LIAISON_ASSESSMENT_REFRESH_SECONDS == 300
    # Saturday 1 November: October is not frozen yet, so both are kept counted.
    saturday = at("2025-11-01 09:00")
    assert {s.month for s in provisionals_refresh_due(now=saturday)} == {
        OCTOBER,
        dt.date(2025, 11, 1),
    }
    before = selectors.provisional_ranking(OCTOBER, saturday)
    assert before.standings[0].score == Decimal("100.0")  # B
    # B's problem is found unsatisfied: the page shows it after the next refresh only.
    Problem.objects.filter(pk=october["p"][9].pk).update(satisfaction="unsatisfied")
    assert selectors.provisional_ranking(OCTOBER, saturday).standings[0].score == Decimal("100.0")
    later = saturday + dt.timedelta(minutes=5)
    provisionals_refresh_due(now=later)
    after = selectors.provisional_ranking(OCTOBER, later)
    assert after.computed_at == later
    assert standings_of(after) == standings_of(selectors.live_ranking(OCTOBER, later))
    assert {s.department_id: s.score for s in after.standings}[october["b"].pk] == Decimal("77.8")
    # An older count arriving late does not replace a newer one.
    assert provisional_refresh(month=OCTOBER, now=saturday).computed_at == later
    # Frozen on Monday 3 November: the refresh drops October's snapshot, and never touches
    # the frozen rows.
    month_freeze(month=OCTOBER, now=NOW)
    frozen = standings_of(selectors.frozen_ranking(OCTOBER))
    Problem.objects.filter(pk=october["p"][9].pk).update(satisfaction="satisfied")
    assert [s.month for s in provisionals_refresh_due(now=NOW)] == [dt.date(2025, 11, 1)]
    assert not ProvisionalMonth.objects.filter(month=OCTOBER).exists()
    assert provisional_refresh(month=OCTOBER, now=NOW) is None
    assert standings_of(selectors.frozen_ranking(OCTOBER)) == frozen
    assert AssessmentMonth.objects.get(month=OCTOBER).version == 1
    # The task itself, at the real now: this month and last month (not frozen here).
    assert tasks.refresh_provisional_assessments.apply().get() == 2


def test_a_stale_snapshot_is_counted_again_by_the_page(october, client):
    """Beat down: a snapshot three refreshes old is not shown; the page counts once."""
    provisional_refresh(month=OCTOBER, now=NOW - dt.timedelta(hours=1))
    assert selectors.provisional_ranking(OCTOBER, NOW) is None
    client.force_login(october["district"].users[Role.LEADER])
    page = client.get(RANKING, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="provisional-note"' in page
    assert "every 5 minutes" in page
    snapshot = ProvisionalMonth.objects.get(month=OCTOBER)
    assert snapshot.computed_at > NOW
    assert ProvisionalMonth.objects.count() == 1


def test_the_provisional_note_in_chinese(october, client):
    client.force_login(october["district"].users[Role.LEADER])
    page = client.get(RANKING, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "临时" in page and "每 5 分钟重新统计" in page


# session, user, profile (+ device); the frozen month (its moment); clock-start days; count;
# the department's name; frozen? (for the note); the page of problems.
DRILL_QUERIES = 9 + TWO_FACTOR_DEVICE


def test_drill_down_queries_are_constant(october, client, django_assert_num_queries):
    client.force_login(october["district"].users[Role.LEADER])
    client.get(drill(october["a"], "accepted"))
    with django_assert_num_queries(DRILL_QUERIES):
        client.get(drill(october["a"], "accepted"))
    more_departments(october["district"], 3)
    Problem.objects.filter(created_at__month=10).update(lead_department=october["a"])
    with django_assert_num_queries(DRILL_QUERIES):
        response = client.get(drill(october["a"], "accepted"))
    assert response.context["page"].paginator.count == 9


def test_xlsx_cells_are_numbers_or_text_never_formulas(october, client):
    Department.objects.filter(pk=october["b"].pk).update(name='=HYPERLINK("x")')
    month_freeze(month=OCTOBER, now=NOW)
    client.force_login(october["district"].users[Role.OFFICE])
    with translation.override("en"):
        response = client.get("/dashboard/assessment/export.xlsx?month=2025-10")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    for sheet_ in workbook.worksheets:
        for cells in sheet_.iter_rows():
            for cell in cells:
                assert cell.data_type != "f"
                assert cell.value is None or isinstance(cell.value, (str, int, float, dt.datetime))
    rows = list(sheet.iter_rows(values_only=True))
    body = [row for row in rows[2:] if row[0] is not None or row[1]]
    by_name = {row[1]: row for row in body}
    a = by_name[october["a"].name]
    assert a[0] == 2 and a[2] == pytest.approx(77.7) and a[3] == 5
    assert a[6] == pytest.approx(0.6)  # acknowledged within 1 working day, a percentage cell
    assert by_name['=HYPERLINK("x")'][0] == 1  # a name, kept as text
    year = client.get("/dashboard/assessment/export.xlsx?year=2025")
    assert year.status_code == 200
