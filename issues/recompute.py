"""Recomputing the stored deadlines of unfinished problems after a calendar edit.

Read "The working-day calendar" in issues/deadlines.py's docstring: a calendar edit
commits a new revision, and the sweep leaves the problems it may have moved alone until
`deadlines_recompute` (queued by the edit, and a bounded share first thing in each
sweep) has brought their times to it, withdrawing an escalation the new deadline makes
premature.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from liaison import workdays

from . import workflow
from .deadline_events import People, _event, _name, _record_and_notify, _unique
from .models import (
    DISTRICT_LEADER,
    OPEN_STATUSES,
    UNFINISHED_STATUSES,
    EventKind,
    ExtensionRequest,
    Problem,
    ProblemEvent,
    Status,
)

logger = logging.getLogger(__name__)

RECOMPUTE_BATCH = 500


def _approved_extension_days() -> Subquery:
    """Working days of extensions approved since the clock in force started."""
    return Subquery(
        ExtensionRequest.objects.filter(
            problem=OuterRef("pk"),
            decision=ExtensionRequest.Decision.APPROVED,
            decided_at__gte=OuterRef("clock_started_at"),
        )
        .order_by()
        .values("problem")
        .annotate(total=Sum("days"))
        .values("total")
    )


def _waiting_since() -> Subquery:
    """When the problem last entered `submitted` (submitted, or returned by a department)."""
    return Subquery(
        ProblemEvent.objects.filter(
            problem=OuterRef("pk"), kind__in=[EventKind.SUBMITTED, EventKind.RETURNED]
        )
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )


def _recompute_candidates(revision: int, *, everything: bool = False) -> QuerySet[Problem]:
    """Problems with a time still ahead whose times are not of calendar `revision`.

    Another revision, older or (a copy of the calendar newer than the revision this
    recompute started from, or a database restored from a backup) newer. `everything`:
    whatever their revision.
    """
    unfinished = Problem.objects.filter(status__in=UNFINISHED_STATUSES)
    if everything:
        return unfinished
    return unfinished.filter(Q(calendar_revision__lt=revision) | Q(calendar_revision__gt=revision))


def _recomputed(problem: Problem, now: dt.datetime) -> dict:
    """The stored times `problem` should have under the current calendar."""
    fields: dict = {}
    clock_running = problem.status in (Status.SUBMITTED, *OPEN_STATUSES)
    if clock_running and problem.clock_started_at is not None:
        days = settings.LIAISON_DEADLINE_WORKING_DAYS + (problem.extension_days or 0)
        deadline = workflow.deadline_from(problem.clock_started_at, days)
        fields.update(workflow.deadline_moved_fields(problem, deadline, now=now))
        if problem.reopen_count == 0:
            fields["original_due_at"] = workflow.deadline_from(problem.clock_started_at).due_at
    if problem.status == Status.SUBMITTED and problem.waiting_since is not None:
        fields["remind_at"] = workflow.remind_at_from(problem.waiting_since)
    # A resolved problem without an auto-close time is waiting for the office's review of
    # an unsatisfied call-back (issues.workflow.callbacks): it must not close by itself.
    if (
        problem.status == Status.RESOLVED
        and problem.last_resolved_at is not None
        and problem.autoclose_at is not None
    ):
        fields["autoclose_at"] = workflow.autoclose_at_from(problem.last_resolved_at)
    if problem.escalate_again_at is not None and problem.escalated_at is not None:
        fields.setdefault(
            "escalate_again_at",
            workdays.deadline_after(
                problem.escalated_at, workflow.SECOND_ESCALATION_WORKING_DAYS
            ).value,
        )
    if problem.escalated_at is not None and fields.get("escalated_at", True) is None:
        # Escalated, and no longer late: the escalation is withdrawn (module docstring).
        fields["escalation_level"] = 0
    # The stamp is written by the caller, for every problem it checked.
    fields.pop("calendar_revision", None)
    return {name: value for name, value in fields.items() if getattr(problem, name) != value}


def deadlines_recompute(
    now: dt.datetime | None = None,
    *,
    limit: int | None = None,
    skip_locked: bool = False,
    everything: bool = False,
) -> int:
    """Bring the stored times of unfinished problems to the calendar in force.

    Called after the working-day calendar changed (an exception or a year edited, the
    package schedule loaded), and by each sweep for what is left. Reads the problems
    whose times are of another calendar revision than the one in force (an index holds
    them); recomputes their times from their starting points, which are stored: the
    clock's start, the extensions approved since, the time the problem entered
    `submitted` or was last answered; and stamps them with the revision. Batches of
    RECOMPUTE_BATCH problems, each locked while it is recomputed (a transition waits
    instead of being overwritten; with `skip_locked`, rows another recompute holds are
    left to it), only changed rows rewritten, one UPDATE per set of new times. An escalation
    the new deadline makes premature is withdrawn (module docstring). `everything`: every
    unfinished problem, whatever its revision (after restoring data). Returns how many
    problems' times changed.
    """
    now = now or timezone.now()
    revision = workdays.in_force()
    changed_total = 0
    candidates = _recompute_candidates(revision, everything=everything)
    ids = list(candidates.order_by("pk").values_list("pk", flat=True)[:limit])
    for start in range(0, len(ids), RECOMPUTE_BATCH):
        batch = ids[start : start + RECOMPUTE_BATCH]
        with transaction.atomic():
            problems = candidates.filter(pk__in=batch)
            problems = problems.annotate(
                extension_days=_approved_extension_days(),
                waiting_since=_waiting_since(),
                leader_id=DISTRICT_LEADER,
            )
            if connection.features.has_select_for_update:
                problems = problems.select_for_update(of=("self",), skip_locked=skip_locked)
            # Problems whose clocks started the same day get the same new times: one
            # UPDATE per set of new values, not one per problem (nor Django's bulk_update,
            # whose CASE per row and column takes seconds per batch).
            unchanged, same_values, withdrawn = [], {}, []
            for problem in problems:
                fields = _recomputed(problem, now)
                if not fields:
                    unchanged.append(problem.pk)
                    continue
                if "escalation_level" in fields:
                    withdrawn.append((problem, problem.escalation_level, problem.due_at))
                for name, value in fields.items():
                    setattr(problem, name, value)
                # A moved deadline is a new version of each problem's own number.
                moved = fields.pop("deadline_version", None) is not None
                same_values.setdefault((moved, *sorted(fields.items())), []).append(problem.pk)
            for (moved, *values), ids_ in same_values.items():
                update = dict(values, updated_at=now, calendar_revision=revision)
                if moved:
                    update["deadline_version"] = F("deadline_version") + 1
                Problem.objects.filter(pk__in=ids_).update(**update)
            if unchanged:
                Problem.objects.filter(pk__in=unchanged).update(calendar_revision=revision)
            if withdrawn:
                _withdraw_escalations(withdrawn, now)
            changed_total += sum(len(ids_) for ids_ in same_values.values())
    if changed_total:
        logger.info("calendar edit: stored deadlines of %s problems recomputed", changed_total)
    return changed_total


def _withdraw_escalations(withdrawn: list[tuple[Problem, int, dt.datetime]], now) -> int:
    """Record and tell that these problems, escalated, are no longer overdue (recomputed)."""
    people = People.load(
        user_ids=[problem.leader_id for problem, _level, _due in withdrawn],
        head_department_ids=[problem.lead_department_id for problem, _level, _due in withdrawn],
        office=True,
        principals=any(level >= 2 for _problem, level, _due in withdrawn),
    )
    pairs = []
    for problem, level, previous_due_at in withdrawn:
        leader = people.by_id.get(problem.leader_id)
        heads = people.heads.get(problem.lead_department_id, [])
        recipients = _unique(
            [leader, *(people.principals if level >= 2 else []), *heads, *people.office]
        )
        data = {
            "previous_level": level,
            "previous_due_at": previous_due_at.isoformat(),
            "due_at": problem.due_at.isoformat(),
            "due_date": workdays.local_date(problem.due_at).isoformat(),
            "deadline_version": problem.deadline_version,
            "recipients": [_name(u) for u in recipients],
        }
        row = {"pk": problem.pk}
        key = f"withdrawn:{problem.deadline_version}"
        event = _event(row, EventKind.ESCALATION_WITHDRAWN, key, now, data)
        pairs.append((event, recipients))
    return _record_and_notify(pairs)
