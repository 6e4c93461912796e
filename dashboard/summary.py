"""The dashboard summary (DashboardCell): rebuilding the cells the figures read.

dashboard.figures reads the cells when the filter allows (its docstring); this module
writes them: `dashboard_refresh`, run every minute and nightly in full (dashboard.tasks).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from issues import metrics
from issues.models import Problem
from liaison import readiness, workdays

from .figures import COUNT_NAMES, SUMMARY_KEY, _month_of, aggregates
from .models import DashboardCell, DashboardRefresh

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

    Each month: one grouped count, two grouped handling-time queries, one delete and one
    insert per CELL_BATCH cells, in this one transaction, which also holds the
    DashboardRefresh row locked so that two refreshes never interleave. Idempotent.
    """
    now = now or timezone.now()
    state, _created = DashboardRefresh.objects.select_for_update().get_or_create(
        pk=DashboardRefresh.SINGLETON
    )
    full = full or state.full_at is None or state.refreshed_at is None
    if full:
        DashboardCell.objects.all().delete()
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
    """Replace the cells of one month with the counts of its problems."""
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    problems = Problem.objects.filter(
        created_at__gte=workdays.start_of_day(month),
        created_at__lt=workdays.start_of_day(next_month),
    ).order_by()
    fields = [field for field, _column in SUMMARY_KEY]
    rows = list(problems.values(*fields).annotate(**aggregates(now)))
    handling = metrics.handling_time_by(problems, by=fields)
    if delete:
        DashboardCell.objects.filter(month=month).delete()
    cells = []
    for row in rows:
        spent = handling.get(tuple(row[field] for field in fields), metrics.HandlingTime(0, 0))
        cells.append(
            DashboardCell(
                month=month,
                **{column: row[field] or 0 for field, column in SUMMARY_KEY},
                **{name: row[name] for name in COUNT_NAMES},
                handling_count=spent.count,
                handling_days=spent.total_working_days,
            )
        )
    DashboardCell.objects.bulk_create(cells, batch_size=CELL_BATCH)


def summary_readiness_check() -> readiness.Result:
    """/readyz's "dashboard_summary" (DashboardConfig.ready): the last refresh is recent."""
    state = DashboardRefresh.objects.filter(pk=DashboardRefresh.SINGLETON).first()
    return readiness.age_result(
        state.refreshed_at if state else None, settings.LIAISON_READYZ_DASHBOARD_MAX_AGE
    )
