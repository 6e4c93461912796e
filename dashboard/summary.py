"""The dashboard summary (DashboardCell): rebuilding the cells the figures read.

dashboard.figures reads the cells when the filter allows (its docstring); this module
writes them: `dashboard_refresh`, run every minute and nightly in full (dashboard.tasks).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from issues import metrics
from issues.models import Problem
from liaison import readiness, workdays

from .figures import CELL_DIMENSIONS, COUNT_NAMES, SUMMARY_KEY, _month_of, aggregates
from .models import DashboardCell, DashboardDayCell, DashboardRefresh, DashboardTotal

# A transition stamps updated_at before its transaction commits; one that commits after a
# refresh began is found by the next one because it looks back this far.
REFRESH_LOOKBACK = dt.timedelta(minutes=5)
CELL_BATCH = 1000


@transaction.atomic
def dashboard_refresh(*, full: bool = False, now: dt.datetime | None = None) -> list[dt.date]:
    """Bring the dashboard cells up to date; returns the months recomputed.

    A day's cells are recomputed when one of the problems received that day changed since
    the last refresh (every transition, escalation and deadline recompute stamps
    updated_at) or one of its open problems went past its deadline since then (it became
    overdue without changing), and then its month's cells, as the sums of its day cells;
    every day and month when `full` or when the cells were never built. What no problem's
    updated_at records (an enterprise moved to another town in the admin, a calendar
    edit changing past handling times) waits for the nightly full rebuild.

    Each month: one grouped count (by day received and key) of its changed days' problems,
    two grouped handling-time queries, the old day cells of those days deleted and the new
    ones inserted (one insert per CELL_BATCH cells), its month cells deleted and summed
    again from its day cells (one INSERT ... SELECT); a full rebuild inserts the month
    cells computed with the day cells instead. All in this one transaction, which also holds the
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
        DashboardTotal.objects.all().delete()
        months = _months_of(Problem.objects.all())
        for month in sorted(months):
            _refresh_month(month, now=now, delete=False)
    else:
        days = _days_of(
            Problem.objects.filter(updated_at__gt=state.refreshed_at - REFRESH_LOOKBACK)
        ) | _days_of(
            Problem.objects.filter(metrics.OPEN, due_at__gte=state.refreshed_at, due_at__lt=now)
        )
        by_month: dict[dt.date, set[dt.date]] = {}
        for day in days:
            by_month.setdefault(day.replace(day=1), set()).add(day)
        months = set(by_month)
        for month in sorted(months):
            _refresh_month(month, now=now, delete=True, days=by_month[month])
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


def _days_of(problems: QuerySet[Problem]) -> set[dt.date]:
    """The days (Asia/Shanghai) on which `problems` were received (one query)."""
    days = (
        problems.order_by()
        .annotate(received_day=TruncDate("created_at", tzinfo=workdays.SHANGHAI))
        .values_list("received_day", flat=True)
        .distinct()
    )
    return {_day_of(day) for day in days}


def _months_of(problems: QuerySet[Problem]) -> set[dt.date]:
    """The months (Asia/Shanghai) in which `problems` were received (one query)."""
    months = (
        problems.order_by()
        .annotate(month=TruncMonth("created_at", tzinfo=workdays.SHANGHAI))
        .values_list("month", flat=True)
        .distinct()
    )
    return {_month_of(month) for month in months}


def _refresh_month(
    month: dt.date, *, now: dt.datetime, delete: bool, days: set[dt.date] | None = None
) -> None:
    """Replace the cells of `days` of one month (all of them when None), and its month
    cells, with the counts of its problems.

    One read grouped by day received and key gives the day cells; the month's cells are
    their sums, so the two always agree.
    """
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    if days is None:
        received = Q(
            created_at__gte=workdays.start_of_day(month),
            created_at__lt=workdays.start_of_day(next_month),
        )
    else:
        received = Q(pk__in=[])
        for day in sorted(days):
            received |= Q(
                created_at__gte=workdays.start_of_day(day),
                created_at__lt=workdays.start_of_day(day + dt.timedelta(days=1)),
            )
    problems = (
        Problem.objects.filter(received)
        .order_by()
        .annotate(received_day=TruncDate("created_at", tzinfo=workdays.SHANGHAI))
    )
    fields = [field for field, _column in SUMMARY_KEY]
    by = ["received_day", *fields]
    rows = list(problems.values(*by).annotate(**aggregates(now), problems=Count("pk")))
    handling = metrics.handling_time_by(problems, by=by)
    if delete:
        if days is None:
            DashboardDayCell.objects.filter(day__gte=month, day__lt=next_month).delete()
            DashboardTotal.objects.filter(month=month, day__isnull=False).delete()
        else:
            DashboardDayCell.objects.filter(day__in=sorted(days)).delete()
            DashboardTotal.objects.filter(month=month, day__in=sorted(days)).delete()
    columns = [column for _field, column in SUMMARY_KEY]
    summed = ["problems", *COUNT_NAMES, "handling_count", "handling_days"]
    day_rows, months = [], {}
    for row in rows:
        spent = handling.get(tuple(row[name] for name in by), metrics.HandlingTime(0, 0))
        key = tuple(row[field] or 0 for field, _column in SUMMARY_KEY)
        counts = [row[name] for name in summed[:-2]] + [spent.count, spent.total_working_days]
        day_rows.append((_day_of(row["received_day"]), month, *key, *counts))
        cell = months.get(key)
        if cell is None:
            months[key] = counts
        else:
            months[key] = [a + b for a, b in zip(cell, counts, strict=True)]
    day_totals = _totals(day_rows, columns)
    _insert(DashboardDayCell, ["day", "month", *columns, *summed], day_rows)
    _insert(
        DashboardTotal,
        ["day", "month", "scope", "dimension", "key", *summed],
        [(day, month, "", index, key, *counts) for (day, index, key), counts in day_totals.items()],
    )
    if days is None and not delete:
        month_rows = [(month, *key, *counts) for key, counts in months.items()]
        _insert(DashboardCell, ["month", *columns, *summed], month_rows)
    else:
        # The month's other days are in their day rows: its month rows are their sums.
        if delete:
            DashboardCell.objects.filter(month=month).delete()
        sums = ", ".join(f"SUM({name})" for name in summed)
        between = [connection.ops.adapt_datefield_value(d) for d in (month, next_month)]
        keys = ", ".join(columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {DashboardCell._meta.db_table} "
                f"(month, {keys}, {', '.join(summed)}) "
                f"SELECT month, {keys}, {sums} FROM {DashboardDayCell._meta.db_table} "
                f"WHERE day >= %s AND day < %s GROUP BY month, {keys}",
                between,
            )
    _insert_scoped_totals(month, next_month, days)
    _sum_month_totals(month, next_month, delete=delete)


def _insert_scoped_totals(month: dt.date, next_month: dt.date, days: set[dt.date] | None) -> None:
    """The day totals of each filter's problems (DashboardTotal.scope), from the day cells
    of `days` (the whole month when None) just written: for each key column with a value
    and each dimension, one grouped read of those day cells (INSERT ... SELECT, UNION ALL:
    any database); a key's "none" (0) is no filter the form offers, so it has no scope."""
    summed = ["problems", *COUNT_NAMES, "handling_count", "handling_days"]
    sums = ", ".join(f"SUM({name})" for name in summed)
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datefield_value
    where = "day >= %s AND day < %s"
    where_params = [adapt(month), adapt(next_month)]
    if days is not None:
        where += f" AND day IN ({', '.join(['%s'] * len(days))})"
        where_params += [adapt(day) for day in sorted(days)]
    table = DashboardDayCell._meta.db_table
    for _field, column in SUMMARY_KEY:
        has_value = f"{column} <> ''" if column == "appeal_type" else f"{column} <> 0"
        if connection.vendor == "postgresql":
            sql, params = _scoped_grouping_sets(column, has_value, month, where, where_params)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            continue
        branches, params = [], []
        for index, dimension in enumerate(CELL_DIMENSIONS):
            if dimension == "month":
                key, by, key_params = "%s", "", [month.isoformat()]
            else:
                key, by, key_params = f"CAST({dimension} AS TEXT)", f", {dimension}", []
            branches.append(
                f"SELECT day, month, %s || CAST({column} AS TEXT), {index}, {key}, {sums} "
                f"FROM {table} WHERE {where} AND {has_value} "
                f"GROUP BY day, month, {column}{by}"
            )
            params += [f"{column}=", *key_params, *where_params]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {DashboardTotal._meta.db_table} "
                f"(day, month, scope, dimension, {quote('key')}, {', '.join(summed)}) "
                + " UNION ALL ".join(branches),
                params,
            )


def _scoped_grouping_sets(
    column: str, has_value: str, month: dt.date, where: str, where_params: list
) -> tuple[str, list]:
    """_insert_scoped_totals' statement for one key column on PostgreSQL: the day cells read
    once (GROUPING SETS) instead of once per dimension.

    Grouped by day and the column, then by each other dimension alone or by nothing: the
    empty set is the month's row and, when the column is itself a dimension, that
    dimension's row too (its value is the scope's). GROUPING() tells the sets apart; a
    join on it gives each grouped row its dimension(s)."""
    summed = ["problems", *COUNT_NAMES, "handling_count", "handling_days"]
    others = [d for d in CELL_DIMENSIONS if d not in ("month", column)]
    bits = {}  # GROUPING(others...) -> dimension indexes: 1 where a column is not grouped
    width = len(others)
    for position, dimension in enumerate(others):
        bits[((1 << width) - 1) ^ (1 << (width - 1 - position))] = [
            CELL_DIMENSIONS.index(dimension)
        ]
    bits[(1 << width) - 1] = [CELL_DIMENSIONS.index("month")] + (
        [CELL_DIMENSIONS.index(column)] if column in CELL_DIMENSIONS else []
    )
    pairs = ", ".join(f"({b}, {d})" for b, ds in bits.items() for d in ds)
    keys = " ".join(
        f"WHEN {index} THEN "
        + ("CAST(%s AS TEXT)" if dimension == "month" else f"CAST(grouped.{dimension} AS TEXT)")
        for index, dimension in enumerate(CELL_DIMENSIONS)
    )
    sets = ", ".join([*(f"({d})" for d in others), "()"])
    sums = ", ".join(f"SUM({name}) AS {name}" for name in summed)
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {DashboardTotal._meta.db_table} "
        f"(day, month, scope, dimension, {quote('key')}, {', '.join(summed)}) "
        f"SELECT grouped.day, grouped.month, %s || CAST(grouped.{column} AS TEXT), "
        f"which.dimension, CASE which.dimension {keys} END, "
        f"{', '.join(f'grouped.{name}' for name in summed)} FROM ("
        f"SELECT day, month, {', '.join(dict.fromkeys([column, *others]))}, "
        f"GROUPING({', '.join(others)}) AS bits, {sums} "
        f"FROM {DashboardDayCell._meta.db_table} WHERE {where} AND {has_value} "
        f"GROUP BY day, month, {column}, GROUPING SETS ({sets})"
        f") AS grouped JOIN (VALUES {pairs}) AS which (bits, dimension) "
        f"ON grouped.bits = which.bits"
    )
    return sql, [f"{column}=", month.isoformat(), *where_params]


def _sum_month_totals(month: dt.date, next_month: dt.date, *, delete: bool) -> None:
    """The month's totals, of every scope: the sums of its day totals (one INSERT ... SELECT)."""
    summed = ["problems", *COUNT_NAMES, "handling_count", "handling_days"]
    sums = ", ".join(f"SUM({name})" for name in summed)
    key = connection.ops.quote_name("key")
    between = [connection.ops.adapt_datefield_value(d) for d in (month, next_month)]
    if delete:
        DashboardTotal.objects.filter(month=month, day__isnull=True).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DashboardTotal._meta.db_table} "
            f"(month, scope, dimension, {key}, {', '.join(summed)}) "
            f"SELECT month, scope, dimension, {key}, {sums} "
            f"FROM {DashboardTotal._meta.db_table} WHERE month = %s AND day >= %s AND day < %s "
            f"GROUP BY month, scope, dimension, {key}",
            [between[0], *between],
        )


def _totals(day_rows: list[tuple], columns: list[str]) -> dict:
    """The day rows summed by day and each dimension alone: (day, dimension, key) -> counts."""
    totals: dict = {}
    width = len(columns)
    for day, month, *rest in day_rows:
        values = dict(zip(columns, rest[:width], strict=True))
        counts = rest[width:]
        for index, dimension in enumerate(CELL_DIMENSIONS):
            key = month.isoformat() if dimension == "month" else str(values[dimension])
            _sum_into(totals, (day, index, key), counts)
    return totals


def _sum_into(into: dict, key, counts) -> None:
    previous = into.get(key)
    into[key] = (
        list(counts) if previous is None else [a + b for a, b in zip(previous, counts, strict=True)]
    )


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    """INSERT `rows` (values of `columns`, dates first) in batches: one statement per
    CELL_BATCH rows, without building a model instance per row (bulk_create spent most
    of a month's refresh preparing values)."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    limit = connection.features.max_query_params
    size = min(CELL_BATCH, limit // len(columns)) if limit else CELL_BATCH
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params = [
                adapt(value) if isinstance(value, dt.date) else value
                for row in chunk
                for value in row
            ]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))}", params
            )


def _day_of(value) -> dt.date:
    """TruncDate's value: a date (a datetime on databases that return one)."""
    return value.date() if isinstance(value, dt.datetime) else value


def summary_readiness_check() -> readiness.Result:
    """/readyz's "dashboard_summary" (DashboardConfig.ready): the last refresh is recent."""
    state = DashboardRefresh.objects.filter(pk=DashboardRefresh.SINGLETON).first()
    return readiness.age_result(
        state.refreshed_at if state else None, settings.LIAISON_READYZ_DASHBOARD_MAX_AGE
    )
