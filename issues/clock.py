"""The problem's clock: deadline arithmetic in working days (DESIGN.md §5).

When a deadline, its warning, the office's reminder, the automatic closing and the
second escalation fall, and the fields a moved deadline or a restarted clock writes.
The workflow (issues.workflow) and the deadline sweep (issues.deadlines) use it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from liaison import workdays

from .models import Problem

WARNING_WORKING_DAYS = 2
# Left `submitted` longer than this, the office is reminded (DESIGN.md §5).
TRIAGE_WORKING_DAYS = 1
# Still open this long after the first escalation, it goes to the principal leaders.
SECOND_ESCALATION_WORKING_DAYS = 5
# Answered and not evaluated this long, the problem closes as "not evaluated".
AUTO_CLOSE_WORKING_DAYS = 5


@dataclass(frozen=True)
class Deadline:
    due_at: dt.datetime
    warn_at: dt.datetime
    provisional: bool
    # The revision of the working-day calendar it was computed with (workdays.revision).
    calendar_revision: int


def deadline_from(start_at: dt.datetime, working_days: int | None = None) -> Deadline:
    """Deadline, warning time and provisional flag for a clock started at `start_at`."""
    n = working_days or settings.LIAISON_DEADLINE_WORKING_DAYS
    revision = workdays.revision()
    due_at, provisional = workdays.deadline_after(start_at, n)
    return _with_warning(due_at, provisional, revision)


def _with_warning(due_at: dt.datetime, provisional: bool, revision: int) -> Deadline:
    due_day = workdays.local_date(due_at)
    warn_day, warn_provisional = workdays.add_working_days(due_day, -(WARNING_WORKING_DAYS - 1))
    return Deadline(
        due_at=due_at,
        warn_at=workdays.start_of_day(warn_day),
        provisional=provisional or warn_provisional,
        calendar_revision=revision,
    )


def extended_deadline(due_at: dt.datetime, days: int) -> Deadline:
    revision = workdays.revision()
    day, provisional = workdays.add_working_days(workdays.local_date(due_at), days)
    return _with_warning(workdays.end_of_day(day), provisional, revision)


# The stored times the deadline sweep acts on (issues.deadlines). Whoever writes one
# writes `calendar_revision` with it: the revision its times were computed with.
SWEPT_TIMES = ("due_at", "warn_at", "remind_at", "autoclose_at", "escalate_again_at")


def kept_revision(problem: Problem, revision: int) -> int:
    """The stamp after recomputing some of a problem's times with calendar `revision`.

    The times not recomputed keep the revision they had: the older one stands for all,
    so that the sweep holds back until the recompute has checked them against the
    calendar in force.
    """
    return min(problem.calendar_revision, revision)


def remind_at_from(moment: dt.datetime) -> dt.datetime:
    """When the office is reminded of a problem left `submitted` since `moment`."""
    return workdays.deadline_after(moment, TRIAGE_WORKING_DAYS).value


def autoclose_at_from(resolved_at: dt.datetime) -> dt.datetime:
    """When an answer given at `resolved_at` and not evaluated closes by itself."""
    return workdays.deadline_after(resolved_at, AUTO_CLOSE_WORKING_DAYS).value


def deadline_moved_fields(problem: Problem, deadline: Deadline, *, now: dt.datetime) -> dict:
    """The stored times when the deadline in force moves (extension, calendar edit).

    A new deadline version: its warning and escalations may happen once more. If the
    new deadline is still ahead, the problem is no longer overdue: the warning and the
    pending escalations are cleared (escalation_level stays, as history). If it has
    already passed, nothing is cleared, so the problem is not escalated twice for the
    same lateness.
    """
    fields: dict = {
        "due_at": deadline.due_at,
        "warn_at": deadline.warn_at,
        "deadline_provisional": deadline.provisional,
        "calendar_revision": kept_revision(problem, deadline.calendar_revision),
    }
    if deadline.due_at == problem.due_at:
        return fields
    fields["deadline_version"] = problem.deadline_version + 1
    if deadline.due_at > now:
        fields.update(warned_at=None, escalated_at=None, escalate_again_at=None)
    return fields


def fresh_clock_fields(problem: Problem, *, now: dt.datetime) -> dict:
    """A new 10-working-day clock from `now`: dispatch (first time) and reopening."""
    deadline = deadline_from(now)
    return {
        "clock_started_at": now,
        "due_at": deadline.due_at,
        "warn_at": deadline.warn_at,
        "deadline_provisional": deadline.provisional,
        # Every time in play is new (the reminder and the auto-close are not, now).
        "calendar_revision": deadline.calendar_revision,
        "deadline_version": problem.deadline_version + 1,
        "warned_at": None,
        "escalated_at": None,
        "escalate_again_at": None,
        "escalation_level": 0,
    }
