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

At a million problems, reading a year of them takes seconds, so the counts are also kept
in a summary (DashboardCell: one row per month received and combination of the filter
keys; DashboardDayCell: the same per day received) that `dashboard_refresh`
(dashboard.summary) keeps current every minute (dashboard.tasks). Every filter of the
form is in the cells' key, so once they are built steps 1 to 5 become one query summing
the cells by each dimension: the month cells of the whole months of the period, and for
a partial month at either end its day cells, or its month cell minus the day cells of
the days outside the period, whichever reads fewer days (period_parts); the page says
how old they are. When the summary has not been refreshed for a while (worker or beat
down) the page still reads it, says "as of" its time, and asks for a refresh
(request_refresh). The live queries above answer until it is first built; they remain
the reference the summary is tested against. The "needs a leader" lists stay live.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils import formats, timezone

from issues import metrics
from issues.models import (
    DISTRICT_LEADER_RELATIONS,
    OPEN_STATUSES,
    AppealType,
    Category,
    Problem,
    Satisfaction,
    Status,
)
from liaison import workdays
from liaison.models import Department
from meetings.models import ActionItem, Meeting

from .cells import (  # noqa: F401  (CELL_DIMENSIONS, COUNT_NAMES, SUMMARY_KEY, period_parts: read here)
    CELL_DIMENSIONS,
    COUNT_NAMES,
    SUMMARY_KEY,
    _add,
    _empty,
    _Groups,
    _months,
    _summary_groups,
    period_parts,
)
from .models import DashboardRefresh

# Escalated now = open and escalated at least once (to a district leader). Built here on
# top of metrics.OPEN: issues.metrics has no escalation figure.
ESCALATED_NOW = metrics.OPEN & Q(escalation_level__gte=1)
NEEDS_A_LEADER_ROWS = 20
# An escalated problem due before it was received, or with no deadline (the exception
# needs_a_leader reads apart; problem_escalated_due_early holds exactly these).
DUE_BEFORE_RECEIVED = Q(due_at__isnull=True) | Q(due_at__lt=F("created_at"))
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


def problem_list_url(params: dict, count: str = "received", *, base: str | None = None) -> str:
    """The problem list showing the problems behind `count` for `params`."""
    query = {**params, **_LIST_FILTERS[count]}
    return f"{base or reverse('issues:list')}?{urlencode(query, doseq=True)}"


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
    leader: object  # Problem.district_leader


@dataclass
class Dashboard:
    period: tuple[dt.date, dt.date]
    headline: Figures
    departments: list[Figures]
    categories: list[Figures]
    towns: list[Figures]
    meetings: list[Figures]
    months: list[Figures]
    # By appeal type (诉求类型), every type in its fixed order, zero included.
    appeal_types: list[Figures]
    escalated: list[NeedsALeader]
    action_items_overdue: list[ActionItem]
    now: dt.datetime
    # When the figures come from the summary: the time its counts were computed at.
    as_of: dt.datetime | None = None
    # When the summary was last refreshed, if that is longer ago than it should be: the
    # figures are as of then (as_of), and a refresh was asked for.
    summary_stale_since: dt.datetime | None = None

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


# Each count's own parameters, encoded once: a page has a few hundred links.
_ENCODED_FILTERS = {name: urlencode(query, doseq=True) for name, query in _LIST_FILTERS.items()}


def _links(params: dict, base: str) -> dict[str, str]:
    """problem_list_url(params, name, base=base) for every count, with `params` encoded
    once: the group's parameters, then the count's (as the merged dictionary is encoded
    when no key is in both; where one is, the count's value replaces the group's)."""
    encoded = urlencode(params, doseq=True)
    links = {}
    for name, query in _LIST_FILTERS.items():
        if params.keys() & query.keys():
            links[name] = problem_list_url(params, name, base=base)
        else:
            links[name] = f"{base}?{'&'.join(p for p in (encoded, _ENCODED_FILTERS[name]) if p)}"
    return links


def _figures(key, label: str, counts: dict, params: dict, *, base=None, **extra) -> Figures:
    """`base`: the problem list's address (reverse("issues:list"), once for a page's rows)."""
    links = _links(params, base or reverse("issues:list"))
    return Figures(key=key, label=label, counts=metrics.with_rates(counts), links=links, **extra)


def _month_of(value) -> dt.date:
    """The first day of a month from TruncMonth (aware on PostgreSQL, naive on SQLite)."""
    if isinstance(value, dt.datetime):
        value = workdays.local_date(value) if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def _live_groups(problems: QuerySet[Problem], now: dt.datetime) -> _Groups:
    """From the problems: the cube summed in Python, towns, meetings, handling time."""
    counts = aggregates(now)
    # The appeal type rides in the cube too (four types): no query of its own.
    cube = problems.values(
        "lead_department",
        "category",
        "appeal_type",
        month=TruncMonth("created_at", tzinfo=workdays.SHANGHAI),
    ).annotate(**counts)
    groups = _Groups()
    for row in cube:
        _add(groups.total, row)
        _add(groups.per_department[row["lead_department"]], row)
        _add(groups.per_category[row["category"]], row)
        _add(groups.per_month[_month_of(row["month"])], row)
        _add(groups.per_appeal_type[row["appeal_type"]], row)
    for row in problems.values("enterprise__town").annotate(**counts):
        _add(groups.per_town[row["enterprise__town"]], row)
    # Few problems are raised at meetings: their own query (index on meeting) keeps the
    # cube small.
    for row in problems.filter(meeting__isnull=False).values("meeting").annotate(**counts):
        _add(groups.per_meeting[row["meeting"]], row)
    groups.handling = metrics.handling_time(problems, by="lead_department")
    return groups


def summary_stale_after() -> dt.timedelta:
    """A summary older than five refresh intervals (or 5 minutes) is not used."""
    seconds = getattr(settings, "LIAISON_DASHBOARD_REFRESH_SECONDS", 60)
    return dt.timedelta(seconds=max(5 * seconds, 300))


def summary_refreshed_at() -> dt.datetime | None:
    """When the summary's counts were computed; None until it was first built (one query)."""
    return (
        DashboardRefresh.objects.filter(full_at__isnull=False)
        .values_list("refreshed_at", flat=True)
        .first()
    )


REFRESH_REQUEST_KEY = "dashboard:refresh-requested"


def request_refresh() -> bool:
    """Queue a summary refresh for a page that found it stale, at most once a minute
    across all pages (the cache); never waits for a broker that is down (send_or_false).
    Returns whether one was queued."""
    from liaison.celery import send_or_false

    from .tasks import refresh_dashboard

    if not cache.add(REFRESH_REQUEST_KEY, True, timeout=60):
        return False
    return send_or_false(refresh_dashboard)


def dashboard(
    problems: QuerySet[Problem],
    *,
    period: tuple[dt.date, dt.date],
    list_params: dict[str, str],
    department_id: int | None = None,
    now: dt.datetime | None = None,
    summary: dict | None = None,
) -> Dashboard:
    """Every figure of the dashboard for `problems` (already filtered to the period).

    `summary`: the same filter as DashboardCell lookups (DashboardFilter.summary_lookups),
    when the cells can answer it; they do once they have been built.
    """
    now = now or timezone.now()
    problems = problems.order_by()
    as_of = summary_refreshed_at() if summary is not None else None
    stale_since = None
    if as_of is not None and now - as_of > summary_stale_after():
        # Nobody refreshed the summary for a while (worker or beat down, or busy): the
        # figures stay the cells' (fast), the page says how old they are, and a refresh
        # is asked for. Counting a million problems live instead would take seconds.
        stale_since = as_of
        request_refresh()
    if as_of is not None:
        groups = _summary_groups(summary)
    else:
        groups = _live_groups(problems, now)
    departments = {d.pk: d for d in Department.objects.all()}
    categories = {c.pk: c for c in Category.objects.all()}
    meetings = {m.pk: m for m in Meeting.objects.all()}
    handling = groups.handling
    overall_handling = metrics.HandlingTime(
        sum(h.count for h in handling.values()),
        sum(h.total_working_days for h in handling.values()),
    )
    base = reverse("issues:list")  # once: a page has about eighty groups

    def group(*args, **extra) -> Figures:
        return _figures(*args, base=base, **extra)

    headline = group(None, "", groups.total, list_params, handling=overall_handling)

    department_rows = []
    for pk, row in groups.per_department.items():
        if pk is None:
            continue  # not (yet) accepted: no lead department to rank
        department = departments.get(pk)
        department_rows.append(
            group(
                department,
                department.short_name or department.name if department else str(pk),
                row,
                {**list_params, "lead_department": str(pk)},
                handling=handling.get(pk, metrics.HandlingTime(0, 0)),
            )
        )
    department_rows.sort(key=lambda f: (-f.received, f.label))

    category_rows = [
        group(
            categories.get(pk),
            categories[pk].name if pk in categories else str(pk),
            row,
            {**list_params, "category": str(pk)},
        )
        for pk, row in groups.per_category.items()
    ]
    category_rows.sort(key=lambda f: (-f.received, f.label))

    town_rows = []
    for pk, row in groups.per_town.items():
        # town=0: enterprises with no town recorded (issues.filters.ProblemFilter).
        params = {**list_params, "town": str(pk or 0)}
        town = departments.get(pk)
        town_rows.append(
            group(
                town,
                (town.short_name or town.name) if town else "",
                row,
                params,
            )
        )
    town_rows.sort(key=lambda f: (f.key is None, -f.received, f.label))

    meeting_rows = [
        group(
            meetings.get(pk),
            str(meetings[pk]) if pk in meetings else str(pk),
            row,
            {**list_params, "meeting": str(pk)},
        )
        for pk, row in groups.per_meeting.items()
    ]
    meeting_rows.sort(key=lambda f: (f.key.year, f.key.number) if f.key else (0, 0))

    appeal_type_rows = [
        group(
            appeal_type,
            str(appeal_type.label),
            groups.per_appeal_type.get(appeal_type.value, _empty()),
            {**list_params, "appeal_type": appeal_type.value},
        )
        for appeal_type in AppealType
    ]

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
            group(
                month,
                formats.date_format(month, "YEAR_MONTH_FORMAT"),
                groups.per_month.get(month, _empty()),
                params,
            )
        )

    return Dashboard(
        period=period,
        headline=headline,
        departments=department_rows,
        categories=category_rows,
        towns=town_rows,
        meetings=meeting_rows,
        months=month_rows,
        appeal_types=appeal_type_rows,
        escalated=needs_a_leader(problems, now=now, period=period),
        action_items_overdue=action_items_overdue(problems, department_id=department_id, now=now),
        now=now,
        as_of=as_of,
        summary_stale_since=stale_since,
    )


def needs_a_leader(
    problems: QuerySet[Problem],
    *,
    now: dt.datetime,
    period: tuple[dt.date, dt.date] | None = None,
) -> list[NeedsALeader]:
    """Escalated open problems, most overdue first, with who must act (one query).

    Most overdue first is by deadline, and the escalated problems' index
    (problem_open_escalated) is in that order. A problem received in the period is due
    after it was received, so after the period began: the index is walked from there,
    past the escalations received in the few weeks before the period, until 20 fall in
    it. A constant stretch, whatever the table's size and wherever the period lies
    (reading the period's escalated problems and sorting them took 170 ms for two months
    at a million). The exception, a deadline before the problem was received (a clock
    started by a meeting held before the problem was recorded for it) or none at all,
    is read apart through its own index (problem_escalated_due_early, nearly empty).
    The 20 ids are chosen first, then their rows joined.
    """
    escalated = problems.filter(ESCALATED_NOW)
    order = (Coalesce("due_at", "created_at"), "id")
    if period is None:
        chosen = escalated.order_by(*order).values("pk")[:NEEDS_A_LEADER_ROWS]
    else:
        began = workdays.start_of_day(period[0])
        # What the split below rests on, whatever the caller filtered: received in the
        # period (the dashboard's filter says so already; the same bound costs nothing).
        escalated = escalated.filter(created_at__gte=began)
        walked = escalated.filter(due_at__gte=began).order_by("due_at", "id")
        early = escalated.filter(DUE_BEFORE_RECEIVED).exclude(due_at__gte=began).order_by(*order)
        if connection.features.supports_slicing_ordering_in_compound:
            chosen = walked.values("pk")[:NEEDS_A_LEADER_ROWS].union(
                early.values("pk")[:NEEDS_A_LEADER_ROWS], all=True
            )
        else:  # SQLite: no LIMIT inside a UNION; its sizes do not need one
            chosen = escalated.order_by(*order).values("pk")[:NEEDS_A_LEADER_ROWS]
    rows_of = (
        Problem.objects.filter(pk__in=chosen)
        .select_related("enterprise", *DISTRICT_LEADER_RELATIONS)
        .order_by(*order)
    )[:NEEDS_A_LEADER_ROWS]
    today = workdays.local_date(now)
    rows = []
    for problem in rows_of:
        overdue = 0
        if problem.due_at is not None and problem.due_at < now:
            overdue = workdays.working_days_between(
                workdays.local_date(problem.due_at), today
            ).value
        rows.append(NeedsALeader(problem, overdue, problem.district_leader))
    return rows


def action_items_overdue(
    problems: QuerySet[Problem], *, department_id: int | None, now: dt.datetime
) -> list[ActionItem]:
    """Coordination decisions not done by their due date, for the filtered problems.

    An item serving no single problem is shown when it is the department's (or when no
    department is chosen). One query.
    """
    # EXISTS per overdue item (a few), not IN over the period's problems: with the OR,
    # PostgreSQL would plan IN as a scan of a million problems (and JIT-compile it).
    scope = Q(Exists(problems.filter(pk=OuterRef("problem_id")))) | Q(problem__isnull=True)
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
