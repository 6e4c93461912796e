"""Counting and scoring a month's assessment, every figure through issues.metrics.

The period is the month received (created_at in Asia/Shanghai), as on the leaders'
dashboard, and a problem counts for its lead department: the dashboard's on-time and
satisfaction figures for a department and month are the same numbers. Counting a month
takes three queries whatever the number of problems: the days the clocks started on (for
the working-day acknowledgement limit), the counts grouped by lead department (one
conditional aggregate each, metrics.totals style), and the departments' names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from issues import metrics
from issues.models import Problem
from liaison import workdays
from liaison.models import Department
from liaison.replicas import connection_for_read

from .models import INDICATOR_KEYS

# The counts kept for each department and month (AssessmentRow's columns).
COUNT_NAMES = (
    "accepted",
    "acknowledge_due",
    "acknowledged_in_time",
    "concluded",
    "on_time",
    "evaluated_self",
    "satisfied_self",
    "evaluated_callback",
    "satisfied_callback",
    "answered",
    "reopened",
    "overdue",
    "extended",
)
# The problems behind a figure that are not themselves a kept count.
EXTRA_FIGURES = ("acknowledged_late", "late", "unsatisfied_self", "unsatisfied_callback")
FIGURE_NAMES = COUNT_NAMES + EXTRA_FIGURES


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def received_in(month: dt.date) -> Q:
    """Received in the calendar month `month` (Asia/Shanghai)."""
    return Q(
        created_at__gte=workdays.start_of_day(month),
        created_at__lt=workdays.start_of_day(next_month(month)),
    )


def month_problems(month: dt.date) -> QuerySet[Problem]:
    """The problems an assessment month counts: received in it, with a lead department."""
    return Problem.objects.filter(received_in(month), lead_department__isnull=False)


def figure_conditions(problems: QuerySet[Problem], now: dt.datetime) -> tuple[QuerySet, dict]:
    """`problems` annotated for the acknowledgement, and the condition of every figure.

    One query (the clock-start days). The conditions are issues.metrics' definitions.
    """
    days = metrics.clock_start_days(problems.filter(metrics.ACCEPTED))
    annotated, due, in_time = metrics.with_acknowledgement(problems, days, now)
    conditions = {
        "accepted": metrics.ACCEPTED,
        "acknowledge_due": due,
        "acknowledged_in_time": in_time,
        "acknowledged_late": due & ~in_time,
        "concluded": metrics.CONCLUDED,
        "on_time": metrics.ON_TIME,
        "late": metrics.CONCLUDED & ~metrics.ANSWERED_ON_TIME,
        "evaluated_self": metrics.EVALUATED_SELF,
        "satisfied_self": metrics.EVALUATED_SELF & metrics.SATISFIED,
        "unsatisfied_self": metrics.EVALUATED_SELF & ~metrics.SATISFIED,
        "evaluated_callback": metrics.EVALUATED_CALLBACK,
        "satisfied_callback": metrics.EVALUATED_CALLBACK & metrics.SATISFIED,
        "unsatisfied_callback": metrics.EVALUATED_CALLBACK & ~metrics.SATISFIED,
        "answered": metrics.ANSWERED,
        "reopened": metrics.ANSWERED & metrics.REOPENED,
        "overdue": metrics.overdue_now(now),
        "extended": metrics.ACCEPTED & metrics.extended(),
    }
    return annotated, conditions


@contextmanager
def without_jit() -> Iterator[None]:
    """PostgreSQL without JIT compilation for the queries inside (a transaction).

    The month's count looks expensive to the planner (a subquery per problem), so it JIT-
    compiles the query's fifty-odd expressions: about 0.25 s at 100,000 problems (more at a
    million, where it also optimises and inlines them), for a query that runs in less
    (EXPLAIN ANALYZE: 0.35 s with JIT off, 0.6-1 s with it). Elsewhere: nothing.
    """
    # The database the count reads from: the read replica on a page that may lag
    # (liaison.replicas), its transaction there; the primary everywhere else.
    database = connection_for_read(Problem)
    if database.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=database.alias):
        with database.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def count_month(month: dt.date, now: dt.datetime) -> dict[int, dict[str, int]]:
    """{lead department id: {count name: n}} for the problems received in `month`."""
    with without_jit():
        problems, conditions = figure_conditions(month_problems(month), now)
        rows = (
            problems.order_by()
            .values("lead_department_id")
            .annotate(**{name: Count("pk", filter=conditions[name]) for name in COUNT_NAMES})
        )
        return {row.pop("lead_department_id"): row for row in rows}


# --- rates and score ---------------------------------------------------------------------


def _inverse(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(100) - value


def indicator_values(counts: dict) -> dict[str, Decimal | None]:
    """Each indicator's value in percent (higher is better); None when nothing to rate."""
    rate = metrics.rate
    return {
        "acknowledged": rate(counts["acknowledged_in_time"], counts["acknowledge_due"]),
        # metrics.with_rates' on-time rate: on time / concluded.
        "on_time": rate(counts["on_time"], counts["concluded"]),
        "satisfaction_self": rate(counts["satisfied_self"], counts["evaluated_self"]),
        "satisfaction_callback": rate(counts["satisfied_callback"], counts["evaluated_callback"]),
        "reopen": _inverse(rate(counts["reopened"], counts["answered"])),
        "overdue": _inverse(rate(counts["overdue"], counts["accepted"])),
        "extension": _inverse(rate(counts["extended"], counts["accepted"])),
    }


def score(values: dict[str, Decimal | None], weights: dict[str, int]) -> Decimal | None:
    """The weighted score out of 100, one decimal. An indicator with nothing to rate (no
    call-back evaluation, say) leaves its weight out: the others are rescaled to 100."""
    total = sum(weights.get(key, 0) for key in INDICATOR_KEYS if values[key] is not None)
    if not total:
        return None
    points = sum(
        values[key] * weights.get(key, 0) for key in INDICATOR_KEYS if values[key] is not None
    )
    return (points / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Standing:
    """One department's month (or year): counts, indicator values, score and rank."""

    department_id: int
    label: str
    counts: dict
    values: dict = field(default_factory=dict)
    score: Decimal | None = None
    rank: int | None = None

    def __getattr__(self, name: str):
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    @property
    def rates(self) -> dict:
        """The rates shown beside the counts (percent, None when nothing to rate)."""
        rate, c = metrics.rate, self.counts
        return {
            "acknowledged": self.values.get("acknowledged"),
            "on_time": self.values.get("on_time"),
            "satisfaction_self": self.values.get("satisfaction_self"),
            "satisfaction_callback": self.values.get("satisfaction_callback"),
            "reopen": rate(c["reopened"], c["answered"]),
            "overdue": rate(c["overdue"], c["accepted"]),
            "extension": rate(c["extended"], c["accepted"]),
        }


def rank(standings: list[Standing]) -> list[Standing]:
    """Sorted by score (highest first); equal scores share a rank (1, 2, 2, 4); departments
    with no score are listed last, unranked."""
    scored = sorted(
        (s for s in standings if s.score is not None), key=lambda s: (-s.score, s.label)
    )
    previous, position = None, 0
    for index, standing in enumerate(scored, start=1):
        if standing.score != previous:
            position, previous = index, standing.score
        standing.rank = position
    unscored = sorted((s for s in standings if s.score is None), key=lambda s: s.label)
    for standing in unscored:
        standing.rank = None
    return scored + unscored


def standings(
    counts: dict[int, dict[str, int]], weights: dict[str, int], labels: dict[int, str] | None = None
) -> list[Standing]:
    """Scored and ranked standings from counts per department (labels: one query if not given)."""
    if labels is None:
        labels = department_labels(counts)
    result = []
    for department_id, row in counts.items():
        values = indicator_values(row)
        result.append(
            Standing(
                department_id=department_id,
                label=labels.get(department_id, str(department_id)),
                counts=row,
                values=values,
                score=score(values, weights) if row["accepted"] else None,
            )
        )
    return rank(result)


def department_labels(ids) -> dict[int, str]:
    return dict(Department.objects.filter(pk__in=list(ids)).values_list("pk", "name"))


def summed(rows: list[dict[int, dict[str, int]]]) -> dict[int, dict[str, int]]:
    """Counts per department added over several months (a year view)."""
    total: dict[int, dict[str, int]] = {}
    for month in rows:
        for department_id, counts in month.items():
            into = total.setdefault(department_id, dict.fromkeys(COUNT_NAMES, 0))
            for name in COUNT_NAMES:
                into[name] += counts[name]
    return total
