"""The dashboard summary's cells read back: the counts it keeps, a period cut into whole
months and partial ones, and the one query summing the cells (or the totals without a
filter) into the dashboard's groups. dashboard.summary writes the cells;
dashboard.figures builds the page from these groups."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection

from issues import metrics
from liaison.replicas import connection_for_read

from .models import DashboardCell, DashboardDayCell, DashboardTotal

COUNT_NAMES = (
    "received",
    "accepted",
    "concluded",
    "on_time",
    "open",
    "overdue",
    "evaluated",
    "satisfied",
    # Of the evaluated, those the office's call-back (回访) obtained for the enterprise.
    "evaluated_by_callback",
    "escalated",
    # Enterprises affected: accepted problems, merged ones (并单) included (issues.metrics).
    "affected",
)
# The summary's key: the problem fields behind DashboardCell's integer key columns.
SUMMARY_KEY = (
    ("lead_department", "lead_department_id"),
    ("category", "category_id"),
    ("enterprise__town", "town_id"),
    ("meeting", "meeting_id"),
    ("responsible_leader", "responsible_leader_id"),
    ("appeal_type", "appeal_type"),
)


def _empty() -> dict[str, int]:
    return dict.fromkeys(COUNT_NAMES, 0)


def _add(into: dict[str, int], row: dict) -> None:
    for name in COUNT_NAMES:
        into[name] += row[name]


@dataclass
class _Groups:
    """The counts the dashboard shows, by each of its dimensions (and handling time)."""

    total: dict[str, int] = field(default_factory=_empty)
    per_department: dict = field(default_factory=lambda: defaultdict(_empty))
    per_category: dict = field(default_factory=lambda: defaultdict(_empty))
    per_month: dict = field(default_factory=lambda: defaultdict(_empty))
    per_town: dict = field(default_factory=lambda: defaultdict(_empty))
    per_meeting: dict = field(default_factory=lambda: defaultdict(_empty))
    per_appeal_type: dict = field(default_factory=lambda: defaultdict(_empty))
    handling: dict = field(default_factory=dict)  # per lead department


_CELL_SUMMED = ("problems", *COUNT_NAMES, "handling_count", "handling_days")
# The dashboard's dimensions over the cells, in the order of the grouped query's key columns.
CELL_DIMENSIONS = (
    "lead_department_id",
    "category_id",
    "month",
    "town_id",
    "meeting_id",
    "appeal_type",
)
_KEY_LOOKUPS = {column: f"{column} = %s" for _field, column in SUMMARY_KEY}


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _days_in_month(month: dt.date) -> int:
    return ((month + dt.timedelta(days=32)).replace(day=1) - month).days


def period_parts(first: dt.date, last: dt.date) -> list[tuple[int, str, dt.date, dt.date]]:
    """The cells that sum to the period from `first` to `last` (inclusive).

    (sign, "month" or "day", from, to): the month cells of the whole months, and for a
    partial month at either end whichever reads fewer days: its own days' cells, or its
    month cell minus the day cells of the days outside the period. So a period reads at
    most half a month of day cells at each end, whatever its length.
    """
    parts: list[tuple[int, str, dt.date, dt.date]] = []
    months: list[dt.date] = []
    for month in _months(first, last):
        month_last = month + dt.timedelta(days=_days_in_month(month) - 1)
        start, end = max(first, month), min(last, month_last)
        inside = (end - start).days + 1
        if inside == _days_in_month(month):
            months.append(month)
        elif inside <= _days_in_month(month) - inside:
            parts.append((1, "day", start, end))
        else:
            months.append(month)
            if start > month:
                parts.append((-1, "day", month, start - dt.timedelta(days=1)))
            if end < month_last:
                parts.append((-1, "day", end + dt.timedelta(days=1), month_last))
    if months:  # consecutive: only the first and the last month of a period can be partial
        parts.insert(0, (1, "month", months[0], months[-1]))
    return parts


def _summary_rows(lookups: dict) -> list[tuple]:
    """The cells matching `lookups` summed by each dimension, in one query.

    `lookups`: the period ("day__gte", "day__lte") and key columns. The cells are the
    month and day cells of period_parts(), those subtracted with their sign. Rows:
    (dimension index, the six dimension columns, the sums of _CELL_SUMMED); only the
    row's own dimension column is meaningful. PostgreSQL reads the cells once (GROUPING
    SETS); other databases, which lack it, once per dimension (UNION ALL). Raw SQL because
    the ORM has neither; every name in it comes from this module.
    """
    keys = {name: value for name, value in lookups.items() if name in _KEY_LOOKUPS}
    if not keys:
        return _total_rows(lookups["day__gte"], lookups["day__lte"])
    if len(keys) == 1:  # one filter (a department head's page): its scope's totals
        ((column, value),) = keys.items()
        return _total_rows(lookups["day__gte"], lookups["day__lte"], scope=f"{column}={value}")
    key_where = "".join(f" AND {_KEY_LOOKUPS[name]}" for name in keys)
    tables = {"month": DashboardCell._meta.db_table, "day": DashboardDayCell._meta.db_table}
    branches, params = [], []
    for sign, grain, start, end in period_parts(lookups["day__gte"], lookups["day__lte"]):
        signed = ", ".join(f"{'-' if sign < 0 else ''}{name} AS {name}" for name in _CELL_SUMMED)
        branches.append(
            f"SELECT {', '.join(CELL_DIMENSIONS)}, {signed} FROM {tables[grain]} "
            f"WHERE {grain} >= %s AND {grain} <= %s{key_where}"
        )
        params += [
            connection.ops.adapt_datefield_value(start),
            connection.ops.adapt_datefield_value(end),
            *keys.values(),
        ]
    if not branches:
        return []
    cells = " UNION ALL ".join(branches)
    sums = ", ".join(f"SUM({name})" for name in _CELL_SUMMED)
    if connection.vendor == "postgresql":
        which = " ".join(
            f"WHEN GROUPING({column}) = 0 THEN {index}"
            for index, column in enumerate(CELL_DIMENSIONS)
        )
        sets = ", ".join(f"({column})" for column in CELL_DIMENSIONS)
        sql = (
            f"SELECT CASE {which} END, {', '.join(CELL_DIMENSIONS)}, {sums} "
            f"FROM ({cells}) AS cells GROUP BY GROUPING SETS ({sets})"
        )
    else:
        per_dimension = []
        for index, column in enumerate(CELL_DIMENSIONS):
            dimensions = ", ".join(c if c == column else "NULL" for c in CELL_DIMENSIONS)
            per_dimension.append(
                f"SELECT {index}, {dimensions}, {sums} FROM cells GROUP BY {column}"
            )
        sql = f"WITH cells AS ({cells}) " + " UNION ALL ".join(per_dimension)
    # Raw SQL follows the router as the ORM's reads do (a read replica when allowed).
    with connection_for_read(DashboardCell).cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _total_rows(first: dt.date, last: dt.date, scope: str = "") -> list[tuple]:
    """_summary_rows without a filter or with one (`scope`, DashboardTotal.scope), from the
    totals by each dimension (DashboardTotal): a few dozen rows a day or month instead of
    the cells; one query, any database."""
    table = DashboardTotal._meta.db_table
    key = connection.ops.quote_name("key")
    branches, params = [], []
    for sign, grain, start, end in period_parts(first, last):
        signed = ", ".join(f"{'-' if sign < 0 else ''}{name} AS {name}" for name in _CELL_SUMMED)
        where = {
            "month": "scope = %s AND day IS NULL AND month >= %s AND month <= %s",
            "day": "scope = %s AND day >= %s AND day <= %s",
        }[grain]
        branches.append(
            f"SELECT dimension, {key} AS dimension_key, {signed} FROM {table} WHERE {where}"
        )
        params += [scope, *(connection.ops.adapt_datefield_value(d) for d in (start, end))]
    if not branches:
        return []
    sums = ", ".join(f"SUM({name})" for name in _CELL_SUMMED)
    sql = (
        f"SELECT dimension, dimension_key, {sums} FROM ({' UNION ALL '.join(branches)}) "
        "AS totals GROUP BY dimension, dimension_key"
    )
    with connection_for_read(DashboardTotal).cursor() as cursor:
        cursor.execute(sql, params)
        totals = cursor.fetchall()
    rows = []
    for index, text, *sums_ in totals:
        dimension = CELL_DIMENSIONS[index]
        if dimension == "month":
            value = dt.date.fromisoformat(text)
        elif dimension == "appeal_type":
            value = text
        else:
            value = int(text)
        keys = tuple(value if i == index else None for i in range(len(CELL_DIMENSIONS)))
        rows.append((index, *keys, *sums_))
    return rows


def _summary_groups(lookups: dict) -> _Groups:
    """From the summary cells: the sums by department, category, month, town, meeting and
    appeal type.

    A few dozen rows instead of the department x category x month cube; 0 in a key
    column reads back as None.
    """
    groups = _Groups()
    into = (
        groups.per_department,
        groups.per_category,
        groups.per_month,
        groups.per_town,
        groups.per_meeting,
        groups.per_appeal_type,
    )
    for row in _summary_rows(lookups):
        index, key = row[0], row[1 + row[0]]
        counts = dict(zip(_CELL_SUMMED, row[1 + len(CELL_DIMENSIONS) :], strict=True))
        if not counts["problems"]:
            continue  # its problems were all on days subtracted (period_parts)
        if CELL_DIMENSIONS[index] == "month":
            key = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key))
        elif CELL_DIMENSIONS[index] == "meeting_id" and not key:
            continue  # problems raised at no meeting
        key = key or None
        _add(into[index][key], counts)
        if CELL_DIMENSIONS[index] == "lead_department_id":
            _add(groups.total, counts)
            if counts["handling_count"]:
                groups.handling[key] = metrics.HandlingTime(
                    counts["handling_count"], counts["handling_days"]
                )
    return groups
