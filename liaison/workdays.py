"""The Chinese working-day calendar: Monday-Friday minus holidays plus make-up days.

Exceptions live in the database (CalendarDay, CalendarYear) and are read into a
process-local cache, so `is_working_day` is a dictionary lookup. An edit in the
admin bumps a version number in the shared Django cache; every process
re-reads the calendar when it sees a newer version (checked at most every
few seconds, so the hot path never touches the cache backend).

Any computation that looks at a day of a year whose schedule is not confirmed
says so: the result carries `provisional=True`.

The database numbers the calendar's edits (CalendarRevision): this process's copy knows
the revision it was read at (`revision()`), every stored deadline carries the revision
it was computed with, and the deadline sweep, holding the calendar (`in_force`), acts
only on deadlines of the revision in force.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import time
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.core.cache import cache

from .locks import hold_advisory_lock

SHANGHAI = ZoneInfo("Asia/Shanghai")
VERSION_KEY = "liaison:workdays:version"
VERSION_CHECK_SECONDS = 5.0
END_OF_DAY = dt.time(23, 59, 59)
# Held exclusively by a calendar edit's transaction, shared by each deadline-sweep rule.
CALENDAR_LOCK = "liaison.calendar"


class WorkdayResult(NamedTuple):
    """A computed value and whether it relied on an unconfirmed year's schedule."""

    value: object
    provisional: bool


class _Calendar:
    def __init__(self) -> None:
        self.exceptions: dict[dt.date, bool] = {}
        # (exceptions, their days sorted), for the copy of `exceptions` it was made from.
        self.ordered: tuple[dict[dt.date, bool], list[dt.date]] | None = None
        self.confirmed_years: frozenset[int] = frozenset()
        self.revision = 0  # the database's CalendarRevision when this copy was read
        self.version: object = None
        self.loaded = False
        self.checked_at = 0.0
        self.generation = 0  # bumped by invalidate(), even while a load is running
        self.lock = threading.Lock()

    def load(self, version: object) -> None:
        from .models import CalendarDay, CalendarYear

        generation = self.generation
        # The revision first: an edit committed while the days are read makes this copy
        # claim an older revision than it holds (its deadlines are recomputed once more),
        # never a newer one.
        revision = _revision_in_database()
        exceptions = {
            day: kind == CalendarDay.Kind.WORKDAY
            for day, kind in CalendarDay.objects.values_list("date", "kind")
        }
        confirmed = frozenset(
            CalendarYear.objects.filter(confirmed=True).values_list("year", flat=True)
        )
        self.exceptions, self.confirmed_years, self.revision = exceptions, confirmed, revision
        # An invalidate() that arrived while we read may describe a row we did not see.
        self.version, self.loaded = version, generation == self.generation

    def ensure_fresh(self) -> None:
        now = time.monotonic()
        if self.loaded and now - self.checked_at < VERSION_CHECK_SECONDS:
            return
        with self.lock:
            try:
                version = cache.get(VERSION_KEY)
            except Exception:  # a cache outage must not stop deadlines; keep what we have
                version = self.version
            if not self.loaded or version != self.version:
                self.load(version)
            self.checked_at = now

    def ensure_revision(self, revision: int) -> None:
        """Re-read the calendar unless this copy is of `revision`."""
        if self.loaded and self.revision == revision:
            return
        with self.lock:
            if not self.loaded or self.revision != revision:
                self.load(self.version)
                self.checked_at = time.monotonic()


_calendar = _Calendar()


def _revision_in_database() -> int:
    from django.db.models import Max

    from .models import CalendarRevision

    return CalendarRevision.objects.aggregate(latest=Max("pk"))["latest"] or 0


def revision() -> int:
    """The revision of the calendar this process computes with.

    Read it before computing a deadline, and store it with the deadline: if the copy is
    re-read in between, the stamp is older than the deadline, so it is checked again.
    """
    _calendar.ensure_fresh()
    return _calendar.revision


def in_force(*, hold: bool = False) -> int:
    """The calendar's revision in the database; this process's copy is brought to it.

    With `hold`, inside a transaction: the calendar cannot change until the transaction
    ends (a shared advisory lock; an edit takes it exclusively, so it waits for this
    transaction, and this waits for an edit being committed). What the transaction does
    with the calendar is then true of the calendar in force when it commits.
    """
    if hold:
        hold_advisory_lock(CALENDAR_LOCK, shared=True)
    current = _revision_in_database()
    _calendar.ensure_revision(current)
    return current


def invalidate() -> None:
    """Make every process re-read the calendar (called when an exception or year changes)."""
    try:
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    except Exception:  # a cache outage must not block an edit; the local reset still applies
        pass
    _calendar.generation += 1
    _calendar.loaded = False


def is_working_day(day: dt.date) -> bool:
    _calendar.ensure_fresh()
    exception = _calendar.exceptions.get(day)
    if exception is not None:
        return exception
    return day.weekday() < 5


def is_year_confirmed(year: int) -> bool:
    _calendar.ensure_fresh()
    return year in _calendar.confirmed_years


def _provisional(first: dt.date, last: dt.date) -> bool:
    lo, hi = min(first, last), max(first, last)
    confirmed = _calendar.confirmed_years
    return any(year not in confirmed for year in range(lo.year, hi.year + 1))


def add_working_days(start: dt.date, n: int) -> WorkdayResult:
    """The n-th working day after `start` (start itself is not counted); n may be negative.

    n == 0 gives `start` itself.
    """
    _calendar.ensure_fresh()
    step = 1 if n >= 0 else -1
    day, remaining = start, abs(n)
    while remaining:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return WorkdayResult(day, _provisional(start, day))


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Asia/Shanghai of an aware datetime."""
    return moment.astimezone(SHANGHAI).date()


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def deadline_after(start_at: dt.datetime, n: int) -> WorkdayResult:
    """End (23:59:59 Asia/Shanghai) of the n-th working day after the day of `start_at`.

    The starting day is never counted, whether or not it is a working day:
    dispatched Fri 2025-09-26 with n=10 gives Thu 2025-10-16 23:59:59.
    """
    if start_at.utcoffset() is None:
        raise ValueError("deadline_after needs an aware datetime")
    day, provisional = add_working_days(local_date(start_at), n)
    return WorkdayResult(end_of_day(day), provisional)


def working_days_between(a: dt.date, b: dt.date) -> WorkdayResult:
    """Working days in (a, b]: after a, up to and including b; negative when b < a."""
    _calendar.ensure_fresh()
    if a == b:
        return WorkdayResult(0, _provisional(a, b))
    lo, hi, sign = (a, b, 1) if a < b else (b, a, -1)
    return WorkdayResult(sign * _working_days_after(lo, hi), _provisional(lo, hi))


def _working_days_after(lo: dt.date, hi: dt.date) -> int:
    """Working days in (lo, hi], lo < hi, counted without walking the days (the dashboard
    counts how overdue each escalated problem is, some by years): Monday to Friday in
    whole weeks and the days left over, then each exception in the range (a holiday on a
    weekday one less, a make-up day on a weekend one more)."""
    days = (hi - lo).days
    weeks, left = divmod(days, 7)
    count = weeks * 5
    first_weekday = (lo.weekday() + 1) % 7  # the first day after lo
    count += sum(1 for i in range(left) if (first_weekday + i) % 7 < 5)
    exceptions, ordered = _exceptions_in_order()
    for day in ordered[bisect.bisect_right(ordered, lo) : bisect.bisect_right(ordered, hi)]:
        weekday = day.weekday() < 5
        if exceptions[day] and not weekday:
            count += 1
        elif not exceptions[day] and weekday:
            count -= 1
    return count


def _exceptions_in_order() -> tuple[dict[dt.date, bool], list[dt.date]]:
    """The calendar's exceptions and their days in order (sorted once per copy read)."""
    exceptions = _calendar.exceptions
    known = _calendar.ordered
    if known is None or known[0] is not exceptions:
        known = _calendar.ordered = (exceptions, sorted(exceptions))
    return known
