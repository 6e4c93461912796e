"""The dashboard summary (DashboardCell): rebuilding the cells the figures read.

dashboard.figures reads the cells when the filter allows (its docstring); this module
writes them: `dashboard_refresh`, run every minute and nightly in full (dashboard.tasks).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from issues import metrics
from issues.models import Problem
from liaison import readiness, workdays

from .figures import COUNT_NAMES, SUMMARY_KEY, _month_of, aggregates
from .models import DashboardCell, DashboardDayCell, DashboardRefresh

# A transition stamps updated_at before its transaction commits; one that commits after a
# refresh began is found by the next one because it looks back this far.
REFRESH_LOOKBACK = dt.timedelta(minutes=5)
CELL_BATCH = 1000


@transaction.atomic
def dashboard_refresh(*, full: bool = False, now: dt.datetime | None = None) -> list[dt.date]:
    """Bring the dashboard cells up to date; returns the months recomputed.

    A month is recomputed when one of its problems changed since the last refresh (every
    transition, escalation and deadline recompute stamps updated_at) or one of its open
    problems went past its deadline since then (it became overdue without changing);
    every month when `full` or when the cells were never built. What no problem's
    updated_at records (an enterprise moved to another town in the admin, a calendar
    edit changing past handling times) waits for the nightly full rebuild.

    Each month: one grouped count (by day received and key), two grouped handling-time
    queries, one delete of its month cells and one of its day cells, and one insert per
    CELL_BATCH cells of each kind, in this one transaction, which also holds the
    DashboardRefresh row locked so that two refreshes never interleave. Idempotent.
    """
    now = now or timezone.now()
    state, _created = DashboardRefresh.objects.select_for_update().get_or_create(
        pk=DashboardRefresh.SINGLETON
    )
    full = full or state.full_at is None or state.refreshed_at is None
    if full:
        DashboardCell.objects.all().delete()
        DashboardDayCell.objects.all().delete()
        months = _months_of(Problem.objects.all())
    else:
        months = _months_of(
            Problem.objects.filter(updated_at__gt=state.refreshed_at - REFRESH_LOOKBACK)
        ) | _months_of(
            Problem.objects.filter(metrics.OPEN, due_at__gte=state.refreshed_at, due_at__lt=now)
        )
    for month in sorted(months):
        _refresh_month(month, now=now, delete=not full)
    state.refreshed_at = now
    fields = ["refreshed_at"]
    if full:
        state.full_at = now
        fields.append("full_at")
    state.save(update_fields=fields)
    return sorted(months)


@transaction.atomic
def dashboard_refresh_months(months, *, now: dt.datetime | None = None) -> list[dt.date]:
    """Recompute the cells of `months` (first days of months) now.

    For writes that do not stamp updated_at with the present: an import of past
    problems keeps their own times, which the minute's refresh would not look back to.
    Holds the DashboardRefresh row like dashboard_refresh, so the two never interleave.
    """
    now = now or timezone.now()
    DashboardRefresh.objects.select_for_update().get_or_create(pk=DashboardRefresh.SINGLETON)
    for month in sorted(months):
        _refresh_month(month, now=now, delete=True)
    return sorted(months)


def _months_of(problems: QuerySet[Problem]) -> set[dt.date]:
    """The months (Asia/Shanghai) in which `problems` were received (one query)."""
    months = (
        problems.order_by()
        .annotate(month=TruncMonth("created_at", tzinfo=workdays.SHANGHAI))
        .values_list("month", flat=True)
        .distinct()
    )
    return {_month_of(month) for month in months}


def _refresh_month(month: dt.date, *, now: dt.datetime, delete: bool) -> None:
    """Replace the cells of one month, and of its days, with the counts of its problems.

    One read grouped by day received and key gives the day cells; the month's cells are
    their sums (computed here, not read again), so the two always agree.
    """
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    problems = (
        Problem.objects.filter(
            created_at__gte=workdays.start_of_day(month),
            created_at__lt=workdays.start_of_day(next_month),
        )
        .order_by()
        .annotate(received_day=TruncDate("created_at", tzinfo=workdays.SHANGHAI))
    )
    fields = [field for field, _column in SUMMARY_KEY]
    by = ["received_day", *fields]
    rows = list(problems.values(*by).annotate(**aggregates(now), problems=Count("pk")))
    handling = metrics.handling_time_by(problems, by=by)
    if delete:
        DashboardCell.objects.filter(month=month).delete()
        DashboardDayCell.objects.filter(month=month).delete()
    days, months = [], {}
    for row in rows:
        spent = handling.get(tuple(row[name] for name in by), metrics.HandlingTime(0, 0))
        key = {column: row[field] or 0 for field, column in SUMMARY_KEY}
        counts = {name: row[name] for name in ("problems", *COUNT_NAMES)}
        counts["handling_count"] = spent.count
        counts["handling_days"] = spent.total_working_days
        days.append(
            DashboardDayCell(day=_day_of(row["received_day"]), month=month, **key, **counts)
        )
        cell = months.get(tuple(key.values()))
        if cell is None:
            months[tuple(key.values())] = DashboardCell(month=month, **key, **counts)
        else:
            for name, value in counts.items():
                setattr(cell, name, getattr(cell, name) + value)
    DashboardCell.objects.bulk_create(months.values(), batch_size=CELL_BATCH)
    DashboardDayCell.objects.bulk_create(days, batch_size=CELL_BATCH)


def _day_of(value) -> dt.date:
    """TruncDate's value: a date (a datetime on databases that return one)."""
    return value.date() if isinstance(value, dt.datetime) else value


def summary_readiness_check() -> readiness.Result:
    """/readyz's "dashboard_summary" (DashboardConfig.ready): the last refresh is recent."""
    state = DashboardRefresh.objects.filter(pk=DashboardRefresh.SINGLETON).first()
    return readiness.age_result(
        state.refreshed_at if state else None, settings.LIAISON_READYZ_DASHBOARD_MAX_AGE
    )
