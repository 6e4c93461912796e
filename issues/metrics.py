"""The one definition of each problem metric (DESIGN.md §7), for every page that counts.

The definitions are Q objects; `totals()` turns them into conditional aggregates, so a
page asks the database for all its counts in one query (per GROUP BY) whatever the
number of problems, and `with_rates()` turns the counts into the rates shown. The
dashboard, the meeting statistics and their exports all count through here.

Handling time (working days from clock start to first answer) cannot be a plain SQL
aggregate: working days come from the calendar (weekday rule plus exceptions kept in
Python, liaison.workdays). It is computed from day ordinals instead: with W(d) = the
number of working days up to day d, a problem's handling time is W(answered) - W(started),
so the total over many problems is Σ n_d·W(d) over the answer days minus the same over
the start days. The database groups the problems by day (two queries, at most one row
per calendar day in the range, however many problems), and Python computes W for those
few hundred days only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from liaison import workdays

from .models import (
    ACCEPTED_STATUSES,
    CONCLUDED_STATUSES,
    OPEN_STATUSES,
    EvaluationSource,
    Satisfaction,
)

# A merged group (并单) counts once: a problem merged into another enterprise's main
# problem is not counted in received, accepted, concluded, on time, open, overdue or
# handling time (its main problem is); it counts in "enterprises affected" and, as each
# enterprise evaluates the answer for itself, in the satisfaction figures.
COUNTED = Q(merged_into__isnull=True)
# accepted = every problem except `submitted` and `rejected`.
ACCEPTED = Q(status__in=ACCEPTED_STATUSES) & COUNTED
# concluded (办结) = answered: `resolved` or `closed`.
CONCLUDED = Q(status__in=CONCLUDED_STATUSES) & COUNTED
# on time (按时办结) = concluded, and first answered by the deadline in force then. A problem
# answered before its clock started (a meeting problem answered ahead of the meeting) had
# no deadline to miss. `answered_on_time` / `is_on_time` are the same rule for one problem.
ANSWERED_ON_TIME = Q(first_resolved_due_at__isnull=True) | Q(
    first_resolved_at__lte=F("first_resolved_due_at")
)
ON_TIME = CONCLUDED & ANSWERED_ON_TIME
# open = dispatched or in progress (what the deadline applies to).
OPEN = Q(status__in=OPEN_STATUSES) & COUNTED
# evaluated = the enterprise gave a verdict (an auto-closed "not evaluated" did not).
EVALUATED = Q(
    satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED]
)
# evaluated by the office's call-back (回访) on the enterprise's behalf, not by the
# enterprise itself: the satisfaction figures say how many of theirs were.
BY_CALLBACK = Q(evaluation_source=EvaluationSource.CALLBACK)
# satisfied for the satisfaction rate (满意率) = satisfied or basically satisfied.
SATISFIED = Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])


# enterprises affected (受影响企业) = accepted problems, merged ones included (each is
# another enterprise's: a merge never joins two problems of one enterprise).
AFFECTED = Q(status__in=ACCEPTED_STATUSES)


def answered_on_time(problem) -> bool | None:
    """Whether the problem was first answered by the deadline in force then (ANSWERED_ON_TIME).

    None if it was never answered.
    """
    if problem.first_resolved_at is None:
        return None
    due = problem.first_resolved_due_at
    return due is None or problem.first_resolved_at <= due


def is_on_time(problem) -> bool:
    """On time (ON_TIME) for one loaded problem: concluded, and answered on time."""
    return problem.status in CONCLUDED_STATUSES and bool(answered_on_time(problem))


def overdue_now(now: dt.datetime) -> Q:
    """Overdue now (超期) = open with its deadline passed."""
    return OPEN & Q(due_at__lt=now)


def totals(now: dt.datetime | None = None) -> dict[str, Count]:
    """The counts behind every metric, as aggregates for .aggregate() or .annotate()."""
    now = now or timezone.now()
    return {
        "received": Count("pk", filter=COUNTED),
        "accepted": Count("pk", filter=ACCEPTED),
        "concluded": Count("pk", filter=CONCLUDED),
        "on_time": Count("pk", filter=ON_TIME),
        "open": Count("pk", filter=OPEN),
        "overdue": Count("pk", filter=overdue_now(now)),
        "evaluated": Count("pk", filter=EVALUATED),
        "satisfied": Count("pk", filter=SATISFIED),
        "evaluated_by_callback": Count("pk", filter=EVALUATED & BY_CALLBACK),
        # enterprises affected = accepted problems, each merged problem too: a merged
        # group counts once in `accepted` and once per enterprise here.
        "affected": Count("pk", filter=AFFECTED),
    }


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal, rounded half up (None when whole is 0).

    Never 100% unless every one: 1,999 of 2,000 (99.95) shows 99.9%, not 100.0%.
    """
    if not whole:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if value == 100 and part < whole:
        return Decimal("99.9")
    return value


def with_rates(counts: Mapping[str, int]) -> dict:
    """The counts of `totals()` plus the rates, in percent (None when there is nothing to rate).

    conclusion rate (办结率) = concluded / accepted; on-time rate (按时办结率) = on time /
    concluded; satisfaction rate (满意率) = (satisfied + basically satisfied) / evaluated.
    """
    result = dict(counts)
    result["conclusion_rate"] = rate(counts.get("concluded", 0), counts.get("accepted", 0))
    result["on_time_rate"] = rate(counts.get("on_time", 0), counts.get("concluded", 0))
    result["satisfaction_rate"] = rate(counts.get("satisfied", 0), counts.get("evaluated", 0))
    return result


def summarise(problems: QuerySet, now: dt.datetime | None = None) -> dict:
    """Every count and rate of `problems`, in one query."""
    return with_rates(problems.aggregate(**totals(now)))


# --- handling time -----------------------------------------------------------------------


@dataclass(frozen=True)
class HandlingTime:
    """Working days from clock start to first answer, over `count` answered problems."""

    count: int
    total_working_days: int

    @property
    def average(self) -> Decimal | None:
        if not self.count:
            return None
        return (Decimal(self.total_working_days) / self.count).quantize(Decimal("0.1"))


# Problems that have a handling time: the clock ran and they were answered at least once,
# after the clock the problem has now started. A problem reopened after its first answer
# (the enterprise unsatisfied) runs a new clock from the reopening: the start its first
# answer was measured from is no longer stored, and counted from the new one its handling
# time came out negative (every reopened problem lowered its department's average). It is
# left out until that start is kept (a later change: the start stored with the answer, as
# first_resolved_due_at keeps the deadline).
HAS_HANDLING_TIME = (
    Q(
        clock_started_at__isnull=False,
        first_resolved_at__isnull=False,
        first_resolved_at__gte=F("clock_started_at"),
    )
    & COUNTED
)


def handling_time(problems: QuerySet, *, by: str | None = None) -> dict:
    """HandlingTime of `problems`, overall (key None) or per value of the field `by`.

    Two grouped queries (start days, answer days) whose size is the number of distinct
    days, not of problems; see the module docstring.
    """
    if not by:
        return {None: handling_time_by(problems, by=()).get((), HandlingTime(0, 0))}
    return {key[0]: value for key, value in handling_time_by(problems, by=(by,)).items()}


def handling_time_by(problems: QuerySet, *, by: Sequence[str]) -> dict[tuple, HandlingTime]:
    """HandlingTime of `problems` per combination of the fields `by` (keyed by value tuples).

    The same two grouped queries as handling_time(), grouped by every field of `by` too:
    the dashboard summary (dashboard.figures) keeps one figure per cell of its key.
    """
    answered = problems.filter(HAS_HANDLING_TIME).order_by()
    started = answered.values(
        *by, day=TruncDate("clock_started_at", tzinfo=workdays.SHANGHAI)
    ).annotate(n=Count("pk"))
    resolved = answered.values(
        *by, day=TruncDate("first_resolved_at", tzinfo=workdays.SHANGHAI)
    ).annotate(n=Count("pk"))
    started, resolved = list(started), list(resolved)
    ordinal = _working_day_ordinals({row["day"] for row in started + resolved})
    counts: dict = defaultdict(int)
    totals_: dict = defaultdict(int)
    for row in started:
        key = tuple(row[name] for name in by)
        counts[key] += row["n"]
        totals_[key] -= row["n"] * ordinal[row["day"]]
    for row in resolved:
        key = tuple(row[name] for name in by)
        totals_[key] += row["n"] * ordinal[row["day"]]
    return {key: HandlingTime(counts[key], totals_[key]) for key in counts}


def _working_day_ordinals(days: set[dt.date]) -> dict[dt.date, int]:
    """W(d) for each day: working days after the earliest day up to and including d."""
    ordinal: dict[dt.date, int] = {}
    previous, running = None, 0
    for day in sorted(days):
        if previous is not None:
            running += workdays.working_days_between(previous, day).value
        ordinal[day] = running
        previous = day
    return ordinal


# --- assessment figures (考核, dashboard.assessment) ---------------------------------------
# Figures the department assessment counts besides the ones above, defined here once so
# that any other page counting them counts the same.

# The working days a lead department has to acknowledge (签收) a problem after its clock
# starts (dispatch, or the face-to-face meeting's date): the end of the first working day
# after that day, the day itself not counted (the rule of the deadline, DESIGN.md §5).
ACKNOWLEDGE_WORKING_DAYS = 1
# Reopened (重办) at least once, by the enterprise or after a call-back review
# (reopen_count counts the REOPENED events).
REOPENED = Q(reopen_count__gt=0)
# Answered at least once: what a reopen rate is over (reopened / answered).
ANSWERED = Q(first_resolved_at__isnull=False)
# Evaluated by the enterprise itself (not the office's call-back on its behalf).
EVALUATED_SELF = EVALUATED & ~BY_CALLBACK
EVALUATED_CALLBACK = EVALUATED & BY_CALLBACK
# Accepted problems whose clock has started (not one waiting for its meeting).
CLOCK_STARTED = ACCEPTED & Q(clock_started_at__isnull=False)


def with_acknowledged_at(problems: QuerySet) -> QuerySet:
    """`problems` annotated with `acknowledged_at`: the time of the first acknowledgement
    (签收) event, or None (a correlated subquery on the events' (problem, created_at) index)."""
    from django.db.models import OuterRef, Subquery

    from .models import EventKind, ProblemEvent

    first = (
        ProblemEvent.objects.filter(problem=OuterRef("pk"), kind=EventKind.ACKNOWLEDGED)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    return problems.annotate(acknowledged_at=Subquery(first))


def acknowledge_limit(day: dt.date) -> dt.datetime:
    """The end of the day by which a problem whose clock started on `day` is acknowledged."""
    return workdays.end_of_day(workdays.add_working_days(day, ACKNOWLEDGE_WORKING_DAYS).value)


def _clock_day_runs(days) -> list[tuple[dt.date, dt.date, dt.datetime]]:
    """The clock-start days grouped into runs sharing one acknowledgement limit: (first day,
    last day, limit). A Friday, Saturday and Sunday share Monday's: a few runs a month."""
    runs: list[list] = []
    for day in sorted(set(days)):
        limit = acknowledge_limit(day)
        if runs and runs[-1][2] == limit:
            runs[-1][1] = day
        else:
            runs.append([day, day, limit])
    return [tuple(run) for run in runs]


def _started_within(first: dt.date, last: dt.date) -> Q:
    return Q(
        clock_started_at__gte=workdays.start_of_day(first),
        clock_started_at__lt=workdays.start_of_day(last + dt.timedelta(days=1)),
    )


def with_acknowledgement(problems: QuerySet, days, now: dt.datetime) -> tuple[QuerySet, Q, Q]:
    """`problems` annotated with `acknowledged_at` and `acknowledge_limit`, and the
    conditions (ACK_DUE, ACK_IN_TIME), for problems whose clocks started on `days` (dates in
    Asia/Shanghai; clock_start_days() gives them).

    acknowledged within 1 working day (1个工作日内签收) = clock started, and first
    acknowledged by the end of the first working day after the clock's starting day
    (acknowledged before the clock started, e.g. ahead of a meeting, is in time);
    due = clock started, and acknowledged or that limit passed (before it, not yet due).
    The rate is in time / due. Working days are the calendar's (liaison.workdays), so the
    limit is a CASE over the days the clocks started on, one branch per run of days sharing
    a limit (about one per working day), never per problem; the conditions name it once
    each (a few evaluations per row, whatever the number of days).
    """
    from django.db.models import Case, DateTimeField, Value, When

    whens = [
        When(_started_within(first, last), then=Value(limit))
        for first, last, limit in _clock_day_runs(days)
    ]
    limit = (
        Case(*whens, default=None, output_field=DateTimeField())
        if whens
        else Value(None, output_field=DateTimeField())
    )
    annotated = with_acknowledged_at(problems).annotate(acknowledge_limit=limit)
    in_time = CLOCK_STARTED & Q(
        acknowledged_at__isnull=False, acknowledged_at__lte=F("acknowledge_limit")
    )
    due = CLOCK_STARTED & (Q(acknowledged_at__isnull=False) | Q(acknowledge_limit__lt=now))
    return annotated, due, in_time


def clock_start_days(problems: QuerySet) -> list[dt.date]:
    """The distinct days (Asia/Shanghai) the clocks of `problems` started on (one query,
    one row per day)."""
    return list(
        problems.filter(clock_started_at__isnull=False)
        .order_by()
        .values_list(TruncDate("clock_started_at", tzinfo=workdays.SHANGHAI), flat=True)
        .distinct()
    )


def extended() -> Q:
    """Granted an extension (延期): at least one approved extension request."""
    from django.db.models import Exists, OuterRef

    from .models import ExtensionRequest

    return Q(
        Exists(
            ExtensionRequest.objects.filter(
                problem=OuterRef("pk"), decision=ExtensionRequest.Decision.APPROVED
            )
        )
    )
