"""The leaders' dashboard figures (DESIGN.md §7), every count through issues.metrics.

A fixed number of queries whatever the number of problems, each aggregated by the
database with the conditional counts of `metrics.totals()`:

1. one "cube": the filtered problems grouped by lead department, category and month
   received; the headline, the league table, the categories and the monthly trend are
   all sums of its rows (departments x categories x months at most), so the problems are
   read once for all four;
2. the same counts grouped by the enterprise's town or street;
3. by face-to-face meeting (the few problems raised at one);
4. and 5. handling time per lead department (metrics.handling_time, two grouped queries);
6. to 8. the names of departments, categories and meetings (small tables);
9. the escalated problems that need a leader, 10. the overdue action items.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from issues import metrics
from issues.models import OPEN_STATUSES, Category, Problem, Satisfaction, Status
from meetings.models import ActionItem, Meeting

from . import workdays
from .models import Department

# Escalated now = open and escalated at least once (to a district leader). Built here on
# top of metrics.OPEN: issues.metrics has no escalation figure.
ESCALATED_NOW = metrics.OPEN & Q(escalation_level__gte=1)
COUNT_NAMES = (
    "received",
    "accepted",
    "concluded",
    "on_time",
    "open",
    "overdue",
    "evaluated",
    "satisfied",
    "escalated",
)
NEEDS_A_LEADER_ROWS = 20
LEAGUE_SORTS = (
    "name",
    "received",
    "concluded",
    "conclusion_rate",
    "on_time",
    "on_time_rate",
    "overdue",
    "handling",
    "satisfaction_rate",
)

# The problem list's parameters for the problems each count counts (issues.filters).
_LIST_FILTERS: dict[str, dict[str, list[str] | str]] = {
    "received": {},
    "accepted": {"status": [str(s) for s in (*OPEN_STATUSES, Status.RESOLVED, Status.CLOSED)]},
    "concluded": {"status": [Status.RESOLVED.value, Status.CLOSED.value]},
    "on_time": {"on_time": "on"},
    "open": {"status": [str(s) for s in OPEN_STATUSES]},
    "overdue": {"overdue": "on"},
    "escalated": {"escalated": "on"},
    "evaluated": {
        "satisfaction": [
            Satisfaction.SATISFIED.value,
            Satisfaction.BASICALLY.value,
            Satisfaction.UNSATISFIED.value,
        ]
    },
    "satisfied": {"satisfaction": [Satisfaction.SATISFIED.value, Satisfaction.BASICALLY.value]},
}


def aggregates(now: dt.datetime) -> dict[str, Count]:
    return {**metrics.totals(now), "escalated": Count("pk", filter=ESCALATED_NOW)}


def problem_list_url(params: dict, count: str = "received") -> str:
    """The problem list showing the problems behind `count` for `params`."""
    query = {**params, **_LIST_FILTERS[count]}
    return f"{reverse('issues:list')}?{urlencode(query, doseq=True)}"


@dataclass
class Figures:
    """The counts and rates of one group (or of everything), with links to their problems."""

    key: object
    label: str
    counts: dict
    handling: metrics.HandlingTime | None = None
    links: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str):
        # counts["concluded"] as .concluded, for templates and sorting.
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    @property
    def average_working_days(self) -> Decimal | None:
        return self.handling.average if self.handling else None


@dataclass
class NeedsALeader:
    problem: Problem
    overdue_working_days: int
    leader: object  # the responsible leader, else the lead department's supervising leader


@dataclass
class Dashboard:
    period: tuple[dt.date, dt.date]
    headline: Figures
    departments: list[Figures]
    categories: list[Figures]
    towns: list[Figures]
    meetings: list[Figures]
    months: list[Figures]
    escalated: list[NeedsALeader]
    action_items_overdue: list[ActionItem]
    now: dt.datetime

    def chart_data(self) -> dict:
        """The two charts' series, for json_script."""
        return {
            "months": {
                "labels": [m.label for m in self.months],
                "received": [m.received for m in self.months],
                "concluded": [m.concluded for m in self.months],
                "on_time_rate": [_float(m.on_time_rate) for m in self.months],
            },
            "departments": {
                "labels": [d.label for d in self.departments],
                "received": [d.received for d in self.departments],
                "concluded": [d.concluded for d in self.departments],
                "overdue": [d.overdue for d in self.departments],
            },
        }


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _empty() -> dict[str, int]:
    return dict.fromkeys(COUNT_NAMES, 0)


def _add(into: dict[str, int], row: dict) -> None:
    for name in COUNT_NAMES:
        into[name] += row[name]


def _figures(key, label: str, counts: dict, params: dict, **extra) -> Figures:
    links = {name: problem_list_url(params, name) for name in _LIST_FILTERS}
    return Figures(key=key, label=label, counts=metrics.with_rates(counts), links=links, **extra)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def dashboard(
    problems: QuerySet[Problem],
    *,
    period: tuple[dt.date, dt.date],
    list_params: dict[str, str],
    department_id: int | None = None,
    now: dt.datetime | None = None,
) -> Dashboard:
    """Every figure of the dashboard for `problems` (already filtered to the period)."""
    now = now or timezone.now()
    problems = problems.order_by()
    counts = aggregates(now)

    cube = list(
        problems.values(
            "lead_department",
            "category",
            month=TruncMonth("created_at", tzinfo=workdays.SHANGHAI),
        ).annotate(**counts)
    )
    by_town = list(problems.values("enterprise__town").annotate(**counts))
    # Few problems are raised at meetings: their own query (index on meeting) keeps the
    # cube small.
    by_meeting = list(problems.filter(meeting__isnull=False).values("meeting").annotate(**counts))
    handling = metrics.handling_time(problems, by="lead_department")
    departments = {d.pk: d for d in Department.objects.all()}
    categories = {c.pk: c for c in Category.objects.all()}
    meetings = {m.pk: m for m in Meeting.objects.all()}

    total, per_department, per_category, per_meeting, per_month = (
        _empty(),
        defaultdict(_empty),
        defaultdict(_empty),
        defaultdict(_empty),
        defaultdict(_empty),
    )
    for row in cube:
        _add(total, row)
        _add(per_department[row["lead_department"]], row)
        _add(per_category[row["category"]], row)
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = workdays.local_date(month) if timezone.is_aware(month) else month.date()
        _add(per_month[month.replace(day=1)], row)

    for row in by_meeting:
        _add(per_meeting[row["meeting"]], row)
    overall_handling = metrics.HandlingTime(
        sum(h.count for h in handling.values()),
        sum(h.total_working_days for h in handling.values()),
    )
    headline = _figures(None, "", total, list_params, handling=overall_handling)

    department_rows = []
    for pk, row in per_department.items():
        if pk is None:
            continue  # not (yet) accepted: no lead department to rank
        department = departments.get(pk)
        department_rows.append(
            _figures(
                department,
                department.short_name or department.name if department else str(pk),
                row,
                {**list_params, "lead_department": str(pk)},
                handling=handling.get(pk, metrics.HandlingTime(0, 0)),
            )
        )
    department_rows.sort(key=lambda f: (-f.received, f.label))

    category_rows = [
        _figures(
            categories.get(pk),
            categories[pk].name if pk in categories else str(pk),
            row,
            {**list_params, "category": str(pk)},
        )
        for pk, row in per_category.items()
    ]
    category_rows.sort(key=lambda f: (-f.received, f.label))

    town_rows = []
    for row in by_town:
        pk = row["enterprise__town"]
        # town=0: enterprises with no town recorded (issues.filters.ProblemFilter).
        params = {**list_params, "town": str(pk or 0)}
        town = departments.get(pk)
        town_rows.append(
            _figures(
                town,
                (town.short_name or town.name) if town else "",
                {name: row[name] for name in COUNT_NAMES},
                params,
            )
        )
    town_rows.sort(key=lambda f: (f.key is None, -f.received, f.label))

    meeting_rows = [
        _figures(
            meetings.get(pk),
            str(meetings[pk]) if pk in meetings else str(pk),
            row,
            {**list_params, "meeting": str(pk)},
        )
        for pk, row in per_meeting.items()
    ]
    meeting_rows.sort(key=lambda f: (f.key.year, f.key.number) if f.key else (0, 0))

    first, last = period
    month_rows = []
    for month in _months(first, last):
        month_last = min(last, (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(1))
        params = {
            **list_params,
            "submitted_after": max(first, month).isoformat(),
            "submitted_before": month_last.isoformat(),
        }
        month_rows.append(
            _figures(month, month.strftime("%Y-%m"), per_month.get(month, _empty()), params)
        )

    return Dashboard(
        period=period,
        headline=headline,
        departments=department_rows,
        categories=category_rows,
        towns=town_rows,
        meetings=meeting_rows,
        months=month_rows,
        escalated=needs_a_leader(problems, now=now),
        action_items_overdue=action_items_overdue(problems, department_id=department_id, now=now),
        now=now,
    )


def needs_a_leader(problems: QuerySet[Problem], *, now: dt.datetime) -> list[NeedsALeader]:
    """Escalated open problems, most overdue first, with who must act (one query)."""
    escalated = (
        problems.filter(ESCALATED_NOW)
        .select_related("enterprise", "lead_department__supervising_leader", "responsible_leader")
        .order_by("due_at", "id")[:NEEDS_A_LEADER_ROWS]
    )
    today = workdays.local_date(now)
    rows = []
    for problem in escalated:
        overdue = 0
        if problem.due_at is not None and problem.due_at < now:
            overdue = workdays.working_days_between(
                workdays.local_date(problem.due_at), today
            ).value
        leader = problem.responsible_leader or (
            problem.lead_department.supervising_leader if problem.lead_department else None
        )
        rows.append(NeedsALeader(problem, overdue, leader))
    return rows


def action_items_overdue(
    problems: QuerySet[Problem], *, department_id: int | None, now: dt.datetime
) -> list[ActionItem]:
    """Coordination decisions not done by their due date, for the filtered problems.

    An item serving no single problem is shown when it is the department's (or when no
    department is chosen). One query.
    """
    scope = Q(problem__in=problems.values("pk")) | Q(problem__isnull=True)
    items = ActionItem.objects.filter(scope, done=False, due_date__lt=workdays.local_date(now))
    if department_id is not None:
        items = items.filter(Q(problem__isnull=False) | Q(department_id=department_id))
    return list(
        items.select_related("meeting", "department", "problem").order_by("due_date", "id")[:50]
    )


def sort_league(rows: list[Figures], key: str, descending: bool) -> list[Figures]:
    """The league table in the chosen order; departments with no value (no rate) last."""
    if key not in LEAGUE_SORTS:
        return rows
    if key == "name":
        return sorted(rows, key=lambda f: f.label, reverse=descending)

    def value(f: Figures):
        return f.average_working_days if key == "handling" else f.counts.get(key)

    present = [f for f in rows if value(f) is not None]
    missing = [f for f in rows if value(f) is None]
    return sorted(present, key=value, reverse=descending) + missing
