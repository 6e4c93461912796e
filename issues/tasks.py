"""Celery tasks: thin wrappers over the deadline sweep and the daily digest (the outbox's
delivery tasks are notifications.tasks)."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

import liaison.celery as liaison_celery
from liaison import workdays
from liaison.locks import session_lock

from . import deadlines, digest, recompute

# One sweep at a time: a second one (a second beat, a redelivered task) would share the
# due problems with the first, and someone told about many of them would get two
# grouped messages instead of one. It skips: the next run is minutes away.
SWEEP_LOCK = "issues.deadlines.sweep"


@shared_task(acks_late=True)
def enforce_deadlines() -> dict:
    """The deadline sweep (idempotent: safe to run twice or to redeliver).

    At its soft time limit the sweep stops where it is (what it committed stays) and the
    task ends normally, before the hard limit kills the worker's process: the next run,
    minutes later, does the rest.
    """
    with session_lock(SWEEP_LOCK) as taken:
        if not taken:
            return {"skipped": "another sweep is running"}
        try:
            result = deadlines.sweep()
        except SoftTimeLimitExceeded:
            return {"stopped": "soft_time_limit"}
        deadlines.sweep_record_run()
        return result.as_dict()


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def recompute_deadlines() -> int:
    """After a calendar edit: the stored times of unfinished problems (idempotent)."""
    workdays.invalidate()  # this worker process may hold the old calendar
    return recompute.deadlines_recompute()


def recompute_after_calendar_change(**kwargs) -> None:
    """liaison.signals.calendar_changed: recomputing every unfinished problem can take a
    while, so the worker does it. If the broker is down, this process does it now rather
    than leave stale times."""
    if not liaison_celery.send_or_false(recompute_deadlines):
        recompute.deadlines_recompute()


@shared_task(acks_late=True)
def send_daily_digest() -> int:
    """08:30 on working days: each leader's escalations, each head's due-soon and overdue."""
    return digest.send_daily_digest()
