"""The dashboard summary (DashboardCell): after a refresh it gives exactly the live figures.

The hand-made data set of test_dashboard.py; "now" is 2025-12-01 10:00. Its rows are
stamped updated_at = created_at, as if nothing had changed since they were received.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F

from dashboard import figures as dashboard
from dashboard import tasks
from dashboard.filters import DashboardFilter
from dashboard.models import DashboardCell, DashboardDayCell, DashboardRefresh
from dashboard.summary import dashboard_refresh
from issues import workflow
from issues.models import AppealType, Problem, Satisfaction, Status
from liaison.models import Role

from .test_dashboard import (
    NOW,
    at,
    make_problem,
    world_fixture,  # noqa: F401 - the hand-made data set, as `world`
)


@pytest.fixture(name="summed")
def summed_fixture(world):
    """The world, untouched since received, with its summary built at NOW."""
    Problem.objects.update(updated_at=F("created_at"))
    dashboard_refresh(full=True, now=NOW)
    return world


def both(data: dict, *, department=None, now=NOW) -> tuple[dashboard.Dashboard, ...]:
    """The live figures and the summary's for one filter."""
    chosen = DashboardFilter(data, queryset=Problem.objects.all(), department=department)
    assert chosen.is_valid(), chosen.form.errors
    lookups = chosen.summary_lookups()
    assert lookups is not None, data
    common = {
        "period": chosen.period(),
        "list_params": chosen.list_params(),
        "department_id": department.pk if department else None,
        "now": now,
    }
    live = dashboard.dashboard(chosen.qs, **common)
    summary = dashboard.dashboard(chosen.qs, summary=lookups, **common)
    return live, summary


def rows(figures: list[dashboard.Figures]) -> list[tuple]:
    return [(f.key, f.label, f.counts, f.handling, f.links) for f in figures]


def assert_same(live: dashboard.Dashboard, summary: dashboard.Dashboard) -> None:
    assert live.as_of is None
    assert summary.as_of is not None
    assert summary.headline.counts == live.headline.counts
    assert summary.headline.handling == live.headline.handling
    assert summary.headline.links == live.headline.links
    assert rows(summary.departments) == rows(live.departments)
    assert [f.average_working_days for f in summary.departments] == [
        f.average_working_days for f in live.departments
    ]
    assert rows(summary.categories) == rows(live.categories)
    assert rows(summary.appeal_types) == rows(live.appeal_types)
    assert rows(summary.towns) == rows(live.towns)
    assert rows(summary.meetings) == rows(live.meetings)
    assert rows(summary.months) == rows(live.months)
    assert summary.chart_data() == live.chart_data()
    assert summary.escalated == live.escalated
    assert summary.action_items_overdue == live.action_items_overdue


def filters(world) -> list[dict]:
    district = world["district"]
    return [
        {"year": "2025"},
        {"year": "2024"},
        {"year": "2025", "department": district.department.pk},
        {"year": "2025", "department": district.other_department.pk},
        {"year": "2025", "category": world["c2"].pk},
        {"year": "2025", "meeting": world["meeting"].pk},
        {"year": "2025", "leader": district.users[Role.LEADER].pk},
        {"year": "2025", "department": district.department.pk, "category": world["c1"].pk},
        {"date_from": "2025-04-01", "date_to": "2025-06-30"},
        {"date_from": "2024-12-01", "date_to": "2025-03-31"},
        {"year": "2025", "town": district.town.pk},
        {"year": "2025", "appeal_type": AppealType.COMPLAINT},
    ]


# Periods not on month boundaries: partial months read from day cells, added or subtracted
# from their month (figures.period_parts); the problems are received on 2024-12-20,
# 2025-03-03, 04-01, 05-06 and 06-02 (two a day in 2025).
PARTIAL_PERIODS = [
    ("2025-03-03", "2025-05-06"),  # March: its month minus Mar 1-2; May: its days 1-6
    ("2025-03-04", "2025-06-01"),  # March's problems subtracted away: no March figures
    ("2025-04-02", "2025-05-31"),  # April minus its 1st: the April departments drop out
    ("2025-04-01", "2025-04-01"),  # one day
    ("2025-05-05", "2025-05-11"),  # one week
    ("2024-12-20", "2025-03-03"),  # across a year's end
    ("2025-03-15", "2025-05-10"),
    ("2025-01-02", "2025-12-30"),  # nearly a year
]


def test_after_a_full_refresh_the_summary_equals_the_live_figures(summed):
    for data in filters(summed):
        live, summary = both(data)
        assert_same(live, summary)
    # And the figures are the hand-counted ones (test_dashboard.py), not merely equal.
    h = both({"year": "2025"})[1].headline
    assert (h.received, h.accepted, h.concluded, h.on_time, h.overdue, h.escalated) == (
        8,
        6,
        4,
        3,
        1,
        1,
    )
    assert (h.handling.count, h.handling.total_working_days) == (4, 22)


def test_a_department_heads_dashboard_comes_from_the_summary(summed):
    department = summed["district"].department

    live, summary = both({"year": "2025"}, department=department)

    assert_same(live, summary)
    assert summary.headline.received == 4


def test_the_cells_hold_one_row_per_month_and_key(summed):
    cells = DashboardCell.objects.filter(month=dt.date(2025, 3, 1)).order_by("appeal_type")
    # Problems 1 and 2: department A, category 1, the town, the meeting, no leader; a
    # complaint (2, late, 13 working days) and a consultation (1, on time, 5).
    key = (summed["district"].department.pk, summed["district"].town.pk, summed["meeting"].pk)
    assert [
        (
            c.lead_department_id,
            c.town_id,
            c.meeting_id,
            c.appeal_type,
            c.received,
            c.on_time,
            c.handling_days,
        )
        for c in cells
    ] == [(*key, "complaint", 1, 0, 13), (*key, "consultation", 1, 1, 5)]
    assert DashboardRefresh.objects.get().refreshed_at == NOW


def test_the_summary_and_the_live_figures_agree_on_every_appeal_type(summed):
    live, summary = both({"year": "2025"})

    assert rows(summary.appeal_types) == rows(live.appeal_types)
    assert [f.received for f in summary.appeal_types] == [2, 3, 1, 2]
    assert [f.key for f in summary.appeal_types] == list(AppealType)
    # The 2024 complaint (problem 9) is that year's only problem.
    last_year = both({"year": "2024"})[1]
    assert [f.received for f in last_year.appeal_types] == [0, 0, 0, 1]


def test_every_filter_of_the_form_can_use_the_summary(summed):
    def lookups(data):
        chosen = DashboardFilter(data, queryset=Problem.objects.all())
        assert chosen.is_valid()
        return chosen.summary_lookups()

    assert lookups({"year": "2025"}) == {
        "day__gte": dt.date(2025, 1, 1),
        "day__lte": dt.date(2025, 12, 31),
    }
    assert lookups({"date_from": "2025-02-02", "date_to": "2025-02-27"}) == {
        "day__gte": dt.date(2025, 2, 2),
        "day__lte": dt.date(2025, 2, 27),
    }
    assert lookups({"year": "2025", "meeting": summed["meeting"].pk})["meeting_id"] == (
        summed["meeting"].pk
    )
    town = summed["district"].town
    assert lookups({"year": "2025", "town": town.pk})["town_id"] == town.pk
    assert lookups({"year": "2025", "appeal_type": "complaint"})["appeal_type"] == "complaint"


def test_a_period_is_whole_months_plus_or_minus_the_fewer_days():
    d = dt.date
    assert dashboard.period_parts(d(2025, 1, 1), d(2025, 12, 31)) == [
        (1, "month", d(2025, 1, 1), d(2025, 12, 1))
    ]
    # Mar 15-31 (17 days) is March minus Mar 1-14 (14); May 1-10 is its own days.
    assert dashboard.period_parts(d(2025, 3, 15), d(2025, 5, 10)) == [
        (1, "month", d(2025, 3, 1), d(2025, 4, 1)),
        (-1, "day", d(2025, 3, 1), d(2025, 3, 14)),
        (1, "day", d(2025, 5, 1), d(2025, 5, 10)),
    ]
    assert dashboard.period_parts(d(2025, 6, 8), d(2025, 6, 14)) == [
        (1, "day", d(2025, 6, 8), d(2025, 6, 14))
    ]
    # Within one month, more than half of it: the month minus both ends.
    assert dashboard.period_parts(d(2025, 6, 2), d(2025, 6, 29)) == [
        (1, "month", d(2025, 6, 1), d(2025, 6, 1)),
        (-1, "day", d(2025, 6, 1), d(2025, 6, 1)),
        (-1, "day", d(2025, 6, 30), d(2025, 6, 30)),
    ]
    # Never more than half a month of day cells at either end, whatever the period.
    for first_day in range(1, 29):
        for last_day in range(1, 29):
            parts = dashboard.period_parts(d(2024, 2, first_day), d(2025, 2, last_day))
            assert all(
                b - a <= dt.timedelta(days=15) for _s, grain, a, b in parts if grain == "day"
            )


@pytest.mark.parametrize(("first", "last"), PARTIAL_PERIODS)
def test_a_period_not_on_month_boundaries_equals_the_live_figures(summed, first, last):
    assert_same(*both({"date_from": first, "date_to": last}))
    assert_same(*both({"date_from": first, "date_to": last, "category": summed["c1"].pk}))


@pytest.mark.parametrize("rows", [1, 2, 3, 20])
def test_the_needs_a_leader_list_is_every_periods_escalated_problems_most_overdue_first(
    summed, rows, monkeypatch
):
    """The panel walks the deadlines from the period's first day: it must still find a
    problem due before it was received (a meeting's clock) and one with no deadline, and
    keep the order of sorting all the period's escalated problems. With fewer rows shown
    than there are, each part's LIMIT is reached and the two parts interleave."""
    monkeypatch.setattr(dashboard, "NEEDS_A_LEADER_ROWS", rows)
    department = summed["district"].department
    make_problem(
        summed,
        Status.IN_PROGRESS,
        created="2025-04-02 10:00",
        department=department,
        due_at=at("2025-04-20 23:59:59"),
        escalation_level=1,
    )
    # Recorded for a meeting whose clock had started (and run out) before: due before
    # it was received, before the period's first day.
    due_early = make_problem(
        summed,
        Status.IN_PROGRESS,
        created="2025-04-09 10:00",
        department=department,
        due_at=at("2025-03-10 23:59:59"),
        escalation_level=1,
    )
    # Waiting for its meeting (escalated once before it was returned and dispatched to
    # wait): no deadline.
    no_deadline = make_problem(
        summed,
        Status.DISPATCHED,
        created="2025-05-02 09:00",
        department=department,
        meeting=summed["meeting"],
        clock_started_at=None,
        due_at=None,
        original_due_at=None,
        escalation_level=1,
    )
    for first, last in [
        ("2025-03-15", "2025-05-10"),
        ("2025-01-01", "2025-12-31"),
        *PARTIAL_PERIODS,
    ]:
        chosen = DashboardFilter(
            {"date_from": first, "date_to": last}, queryset=Problem.objects.all()
        )
        assert chosen.is_valid()
        received = chosen.qs.filter(dashboard.ESCALATED_NOW)
        expected = sorted(received, key=lambda p: (p.due_at or p.created_at, p.pk))
        listed = dashboard.needs_a_leader(chosen.qs, now=NOW, period=chosen.period())
        assert [row.problem for row in listed] == expected[: dashboard.NEEDS_A_LEADER_ROWS]
        assert listed == dashboard.needs_a_leader(chosen.qs, now=NOW)
        if (first, last) == ("2025-03-15", "2025-05-10") and rows == 20:
            # The world's own escalated problem, the three above, the earliest due first.
            assert len(listed) == 4
            assert listed[0].problem == due_early
            assert no_deadline in [row.problem for row in listed]


def test_partial_months_count_the_right_problems(summed):
    live, summary = both({"date_from": "2025-03-04", "date_to": "2025-06-01"})
    assert_same(live, summary)
    # April 1 and May 6: four problems; March 3 and June 2 are outside.
    assert summary.headline.received == 4
    assert [m.received for m in summary.months] == [0, 2, 2, 0]


@pytest.mark.parametrize(("first", "last"), PARTIAL_PERIODS[:4])
def test_a_department_heads_partial_period_equals_the_live_figures(summed, first, last):
    for department in (summed["district"].department, summed["district"].other_department):
        assert_same(*both({"date_from": first, "date_to": last}, department=department))


def test_a_town_or_an_appeal_type_over_partial_months_equals_the_live_figures(summed):
    for extra in ({"town": summed["district"].town.pk}, {"appeal_type": AppealType.COMPLAINT}):
        assert_same(*both({"date_from": "2025-03-03", "date_to": "2025-05-06", **extra}))


def single_filters(world) -> list[dict]:
    """One filter of each kind the form offers (each read from its scope's totals)."""
    district = world["district"]
    return [
        {"department": district.department.pk},
        {"department": district.other_department.pk},
        {"category": world["c1"].pk},
        {"category": world["c2"].pk},
        {"town": district.town.pk},
        {"meeting": world["meeting"].pk},
        {"leader": district.users[Role.LEADER].pk},
        *({"appeal_type": appeal_type} for appeal_type in AppealType.values),
    ]


def assert_every_filter_same(world, *, now=NOW) -> None:
    for period in ({"year": "2025"}, {"date_from": "2025-03-03", "date_to": "2025-05-06"}):
        for one in single_filters(world):
            assert_same(*both({**period, **one}, now=now))


@pytest.mark.parametrize(("first", "last"), PARTIAL_PERIODS)
def test_each_single_filter_over_any_period_equals_the_live_figures(summed, first, last):
    """A single filter reads its scope's totals (DashboardTotal.scope), not the cells."""
    for one in single_filters(summed):
        assert_same(*both({"date_from": first, "date_to": last, **one}))
    for one in single_filters(summed):
        assert_same(*both({"year": "2025", **one}))
        assert_same(*both({"year": "2024", **one}))


def test_a_single_filter_reads_its_scopes_totals(summed):
    """Each filter value present has its scope's totals, and its headline is their sum."""
    from dashboard.models import DashboardTotal

    c1 = summed["c1"].pk
    scoped = DashboardTotal.objects.filter(scope=f"category_id={c1}", day__isnull=True)
    assert scoped.exists()
    live, summary = both({"year": "2025", "category": c1})
    by_month = scoped.filter(dimension=2, month__year=2025)
    assert sum(t.received for t in by_month) == summary.headline.received == live.headline.received
    # No scope for "none": no filter of the form asks for it.
    assert not DashboardTotal.objects.filter(scope__endswith="=0").exists()


def test_the_live_figures_answer_until_the_summary_is_built(world):
    chosen = DashboardFilter({"year": "2025"}, queryset=Problem.objects.all())
    assert chosen.is_valid()

    d = dashboard.dashboard(
        chosen.qs,
        period=chosen.period(),
        list_params=chosen.list_params(),
        now=NOW,
        summary=chosen.summary_lookups(),
    )

    assert d.as_of is None
    assert d.headline.received == 8


def cell_ids_by_month() -> dict[dt.date, set[int]]:
    result: dict = {}
    for month, pk in DashboardCell.objects.values_list("month", "pk"):
        result.setdefault(month, set()).add(pk)
    return result


def test_an_incremental_refresh_recomputes_only_the_changed_month(summed):
    users = summed["district"].users
    p = summed["problems"]
    dispatched_at = NOW + dt.timedelta(hours=1)
    refreshed_at = dispatched_at + dt.timedelta(minutes=10)
    before = cell_ids_by_month()

    with time_machine.travel(dispatched_at, tick=False):
        workflow.problem_dispatch(
            problem_id=p[6].pk,
            actor=users[Role.OFFICE],
            lead_department=summed["district"].other_department,
            now=dispatched_at,
        )
    assert dashboard_refresh(now=refreshed_at) == [dt.date(2025, 5, 1)]
    after = cell_ids_by_month()
    may = dt.date(2025, 5, 1)
    assert {m: ids for m, ids in after.items() if m != may} == {
        m: ids for m, ids in before.items() if m != may
    }
    assert after[may].isdisjoint(before[may])
    live, summary = both({"year": "2025"}, now=refreshed_at)
    assert_same(live, summary)
    assert summary.headline.accepted == 7
    assert_every_filter_same(summed, now=refreshed_at)

    # Answered (April), then evaluated by the enterprise: April alone, each time.
    answered_at = NOW + dt.timedelta(hours=2)
    refreshed_at = answered_at + dt.timedelta(minutes=10)
    with time_machine.travel(answered_at, tick=False):
        workflow.problem_resolve(
            problem_id=p[4].pk,
            actor=users[Role.DEPARTMENT_STAFF],
            answer="已联系有资质的处置单位。",
            now=answered_at,
        )
    assert dashboard_refresh(now=refreshed_at) == [dt.date(2025, 4, 1)]
    live, summary = both({"year": "2025"}, now=refreshed_at)
    assert_same(live, summary)
    assert (summary.headline.concluded, summary.headline.overdue) == (5, 0)

    evaluated_at = NOW + dt.timedelta(hours=3)
    refreshed_at = evaluated_at + dt.timedelta(minutes=10)
    with time_machine.travel(evaluated_at, tick=False):
        workflow.problem_evaluate(
            problem_id=p[4].pk,
            actor=users[Role.ENTERPRISE],
            satisfaction=Satisfaction.SATISFIED,
            now=evaluated_at,
        )
    assert dashboard_refresh(now=refreshed_at) == [dt.date(2025, 4, 1)]
    live, summary = both({"year": "2025"}, now=refreshed_at)
    assert_same(live, summary)
    assert (summary.headline.evaluated, summary.headline.satisfied) == (4, 3)
    assert_every_filter_same(summed, now=refreshed_at)
    assert Problem.objects.get(pk=p[4].pk).status == Status.CLOSED
    # Nothing changed since: nothing recomputed.
    assert dashboard_refresh(now=refreshed_at + dt.timedelta(minutes=10)) == []


def test_a_problem_that_becomes_overdue_with_time_counts_after_the_next_refresh(summed):
    make_problem(
        summed,
        Status.IN_PROGRESS,
        created="2025-11-19 10:00",
        department=summed["district"].department,
        due_at=at("2025-12-03 23:59:59"),
        updated_at=at("2025-11-19 10:00"),
    )
    with time_machine.travel(NOW, tick=False):
        dashboard_refresh(full=True)
    assert both({"year": "2025"})[1].headline.overdue == 1  # problem 4 only

    past_due = at("2025-12-04 09:00")
    with time_machine.travel(past_due, tick=False):
        # Not changed (its updated_at is old), but now past its deadline.
        assert dashboard_refresh() == [dt.date(2025, 11, 1)]
    live, summary = both({"year": "2025"}, now=past_due)
    assert_same(live, summary)
    assert summary.headline.overdue == 2


def test_a_change_committed_while_a_refresh_ran_is_picked_up_by_the_next(summed):
    refreshed_at = NOW + dt.timedelta(minutes=30)
    assert dashboard_refresh(now=refreshed_at) == []
    # Stamped before that refresh began, committed after it read the changes.
    Problem.objects.filter(pk=summed["problems"][8].pk).update(
        satisfaction=Satisfaction.UNSATISFIED, updated_at=refreshed_at - dt.timedelta(seconds=20)
    )

    assert dashboard_refresh(now=refreshed_at + dt.timedelta(minutes=1)) == [dt.date(2025, 6, 1)]
    live, summary = both({"year": "2025"}, now=refreshed_at + dt.timedelta(minutes=1))
    assert_same(live, summary)


# Refresh queries: the DashboardRefresh row locked (SELECT ... FOR UPDATE; a savepoint
# around it and a release at the end, as the test runs inside a transaction), the days
# of changed problems, the days of problems that went past their deadline; per month:
# the grouped counts of its changed days (by day and key), the grouped start days, the
# grouped answer days; the old day cells and day totals of those days deleted, the new
# ones inserted (one INSERT each per 1000 rows); the month cells deleted and summed again
# from the day cells, the month totals deleted and summed again from the day totals
# (INSERT ... SELECT), and between them the day totals of each filter (scope) summed from
# the new day cells (six INSERT ... SELECT, one per key column); the row saved.
def test_an_incremental_refresh_makes_seventeen_queries_per_month(
    summed, django_assert_num_queries
):
    def touch(*numbers: int, minutes: int) -> dt.datetime:
        moment = NOW + dt.timedelta(minutes=minutes)
        ids = [summed["problems"][n].pk for n in numbers]
        Problem.objects.filter(pk__in=ids).update(updated_at=moment)
        return moment + dt.timedelta(minutes=10)

    with django_assert_num_queries(2 + 3 + 0 * 17 + 1):
        assert dashboard_refresh(now=NOW + dt.timedelta(minutes=1)) == []
    refreshed = touch(5, minutes=20)
    with django_assert_num_queries(2 + 3 + 1 * 17 + 1):
        assert len(dashboard_refresh(now=refreshed)) == 1
    refreshed = touch(3, 5, 8, minutes=40)
    with django_assert_num_queries(2 + 3 + 3 * 17 + 1):
        assert len(dashboard_refresh(now=refreshed)) == 3


# A full rebuild: the row locked (savepoint, lock, release), every month cell, day cell
# and total deleted, the months of all problems; per month the three grouped reads and
# one insert each of day cells, day totals, month cells and month totals (INSERT ...
# SELECT), and six of the day totals of each filter (scope); the row saved.
def test_a_full_refresh_makes_thirteen_queries_per_month(summed, django_assert_num_queries):
    months = 5  # 2024-12, 2025-03 to 2025-06

    with django_assert_num_queries(2 + 1 + 3 + 1 + months * 13 + 1):
        assert len(dashboard_refresh(full=True, now=NOW)) == months


def test_an_incremental_refresh_recomputes_only_the_changed_days(summed):
    """A problem received on another day of March: that day's cells are new, March 3's
    are the ones it had, and March's month cells and totals are the sums of its days."""
    make_problem(
        summed,
        Status.SUBMITTED,
        created="2025-03-20 10:00",
        updated_at=NOW + dt.timedelta(minutes=5),
    )
    march_3 = set(DashboardDayCell.objects.filter(day=dt.date(2025, 3, 3)).values_list("pk"))

    assert dashboard_refresh(now=NOW + dt.timedelta(minutes=10)) == [dt.date(2025, 3, 1)]
    assert set(DashboardDayCell.objects.filter(day=dt.date(2025, 3, 3)).values_list("pk")) == (
        march_3
    )
    assert DashboardDayCell.objects.filter(day=dt.date(2025, 3, 20)).count() == 1
    live, summary = both({"year": "2025"}, now=NOW + dt.timedelta(minutes=10))
    assert_same(live, summary)
    assert_same(*both({"year": "2025", "category": summed["c1"].pk}, now=live.now))
    assert summary.headline.received == 9
    assert_every_filter_same(summed, now=live.now)


def test_the_command_and_the_beat_tasks_refresh_the_summary(summed, settings):
    out = io.StringIO()
    call_command("refresh_dashboard", "--full", stdout=out)
    assert "5 month(s) recomputed" in out.getvalue()
    assert DashboardRefresh.objects.get().full_at > NOW

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["refresh-dashboard"]["task"] == tasks.refresh_dashboard.name
    assert schedule["refresh-dashboard"]["schedule"] == 60
    assert schedule["refresh-dashboard-full"]["task"] == tasks.refresh_dashboard_full.name
    assert tasks.refresh_dashboard.apply().get() == 0  # nothing changed since
    assert tasks.refresh_dashboard_full.apply().get() == 5


def test_a_stale_summary_still_answers_and_says_how_old_it_is(summed, monkeypatch):
    """Worker or beat down: the figures stay the cells' (as of their time), a refresh is
    asked for (once a minute at most), and the page can say how old they are."""
    queued = []
    monkeypatch.setattr("liaison.celery.send_or_false", lambda task: queued.append(task))
    dashboard.cache.delete(dashboard.REFRESH_REQUEST_KEY)
    later = NOW + dashboard.summary_stale_after() + dt.timedelta(seconds=1)

    for data in ({"year": "2025"}, {"date_from": "2025-03-15", "date_to": "2025-05-10"}):
        # Nothing changed since the refresh: the cells' figures are the live ones.
        live, summary = both(data, now=later)
        assert summary.as_of == NOW
        assert summary.summary_stale_since == NOW
        assert summary.headline.counts == live.headline.counts
        assert rows(summary.departments) == rows(live.departments)
    assert queued == [tasks.refresh_dashboard]  # asked once, not once per page
    fresh = both({"year": str(NOW.year)}, now=NOW + dt.timedelta(minutes=1))[1]
    assert fresh.as_of == NOW and fresh.summary_stale_since is None


def test_a_stale_summary_shows_the_figures_of_its_time(summed, monkeypatch):
    monkeypatch.setattr("liaison.celery.send_or_false", lambda task: True)
    later = NOW + dt.timedelta(hours=1)
    Problem.objects.filter(pk=summed["problems"][8].pk).update(
        satisfaction=Satisfaction.UNSATISFIED, updated_at=later
    )

    live, summary = both({"year": "2025"}, now=later)

    # As of NOW, before the change: one satisfied more than now, and it says so.
    assert summary.summary_stale_since == NOW
    assert summary.headline.satisfied == live.headline.satisfied + 1
    dashboard_refresh(now=later)
    assert_same(*both({"year": "2025"}, now=later))
