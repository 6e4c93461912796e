"""Merging shared problems (并单): several enterprises' problems handled as one main problem.

The office merges problems of other enterprises into a main problem it chooses
(`problems_merge`). Each merged problem keeps its own reference, enterprise, timeline and
evaluation; its status, lead department and deadline mirror the main problem's, and only
the main problem is swept (warned, escalated), counted and acted on by departments
(DESIGN.md §4, §5, §7). What the main problem goes through, the merged ones follow:

- answered: each merged problem is answered with the main problem's answer, and its
  enterprise evaluates for itself (and is auto-closed on its own if it does not);
- reopened (its enterprise, or a call-back review, found the answer unsatisfying): the
  merged problems still waiting for their evaluation go back to handling with it;
- closed: nothing follows; each merged problem closes with its own evaluation.

A merged problem found unsatisfying leaves the group (`detach_fields`): it is reopened on
its own (重办) with the main problem's lead department and a fresh clock of its own, and
counts on its own from then on; the main problem and the others keep their answers.

`problem_unmerge` gives a merged problem back its own handling, as it was when merged
(the snapshot kept in its MERGED event): a problem merged at triage is back at triage; a
dispatched one is back with its own lead department, co-departments and deadline, which
kept running meanwhile (any warning or escalation now due comes with the next sweep,
never twice). Refused once the main problem is concluded: the enterprise has its answer.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from liaison import permissions, workdays

from ..clock import autoclose_at_from, kept_revision
from ..models import (
    OPEN_STATUSES,
    EventKind,
    Problem,
    ProblemEvent,
    Status,
)
from .base import (
    NotAllowed,
    WrongState,
    _require,
    _save,
    _save_and_record,
    lock_problem,
    record_event,
)

# The states a problem may be merged from: not concluded, not rejected.
MERGEABLE_STATUSES = (Status.SUBMITTED, *OPEN_STATUSES)
# What a merged problem's MERGED event keeps, to give it back its own handling.
SNAPSHOT_FIELDS = (
    "status",
    "lead_department_id",
    "responsible_leader_id",
    "handler_id",
    "clock_started_at",
    "due_at",
    "original_due_at",
    "warn_at",
    "deadline_provisional",
    "escalation_level",
    "deadline_version",
    "calendar_revision",
    "warned_at",
    "escalated_at",
    "escalate_again_at",
    "remind_at",
    "reminded_at",
)
_TIMES = {
    "clock_started_at",
    "due_at",
    "original_due_at",
    "warn_at",
    "warned_at",
    "escalated_at",
    "escalate_again_at",
    "remind_at",
    "reminded_at",
}


class MergeRefused(NotAllowed):
    pass


def _refuse(message) -> None:
    raise MergeRefused(message)


def check_mergeable(main: Problem, problem: Problem) -> None:
    """Raise MergeRefused (a translated message) if `problem` may not join `main` now."""
    if problem.pk == main.pk:
        _refuse(_("A problem cannot be merged into itself."))
    if main.merged_into_id is not None:
        _refuse(
            _(
                "%(ref)s is itself merged into another problem: choose that main problem "
                "instead (merges do not chain)."
            )
            % {"ref": main.reference}
        )
    if main.status not in OPEN_STATUSES or main.due_at is None:
        _refuse(
            _(
                "The main problem must be dispatched or in progress, with its deadline "
                "running; %(ref)s is “%(status)s”."
            )
            % {"ref": main.reference, "status": main.get_status_display()}
        )
    if problem.merged_into_id is not None:
        _refuse(_("%(ref)s is already merged into another problem.") % {"ref": problem.reference})
    if problem.merged_problems.exists():
        _refuse(
            _(
                "Other problems are merged into %(ref)s: it can only be a main problem "
                "(merges do not chain)."
            )
            % {"ref": problem.reference}
        )
    if problem.status not in MERGEABLE_STATUSES:
        _refuse(
            _("%(ref)s is “%(status)s”: only problems not yet concluded can be merged.")
            % {"ref": problem.reference, "status": problem.get_status_display()}
        )
    if problem.enterprise_id == main.enterprise_id:
        _refuse(
            _(
                "%(ref)s was raised by the same enterprise as the main problem: reject it "
                "as a duplicate instead."
            )
            % {"ref": problem.reference}
        )


def _snapshot(problem: Problem, co_department_ids: list[int]) -> dict:
    data = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(problem, name)
        data[name] = value.isoformat() if isinstance(value, dt.datetime) else value
    data["co_department_ids"] = co_department_ids
    return data


def problems_merge(
    *,
    main_id: int,
    problem_ids: list[int],
    actor,
    expected_versions: dict[int, int] | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """The office merges other enterprises' problems into the main problem it chose.

    The main problem's lead department handles them all; the lead departments of the
    merged problems, if other, become co-departments of the main problem. Every problem
    is locked (in id order) and checked; a stale version or any refusal changes nothing.
    `expected_versions`: {problem id: the version the page showed} (stale pages).
    """
    now = now or timezone.now()
    _require(permissions.can_merge(actor), _("Only the liaison office merges problems."))
    expected_versions = expected_versions or {}
    problem_ids = list(dict.fromkeys(problem_ids))
    if not problem_ids:
        _refuse(_("Choose at least one problem to merge."))
    with transaction.atomic():
        locked = {
            pk: lock_problem(pk, expected_versions.get(pk))
            for pk in sorted({main_id, *problem_ids})
        }
        main = locked[main_id]
        problems = [locked[pk] for pk in problem_ids if pk != main_id]
        if len(problems) != len(problem_ids):
            _refuse(_("A problem cannot be merged into itself."))
        enterprises = {main.enterprise_id}
        for problem in problems:
            check_mergeable(main, problem)
            if problem.enterprise_id in enterprises:
                _refuse(
                    _(
                        "%(ref)s was raised by an enterprise that already has a problem in "
                        "this merge: reject it as a duplicate instead."
                    )
                    % {"ref": problem.reference}
                )
            enterprises.add(problem.enterprise_id)
        through = Problem.co_departments.through
        co_ids: dict[int, list[int]] = {p.pk: [] for p in problems}
        for problem_id, department_id in through.objects.filter(
            problem_id__in=list(co_ids)
        ).values_list("problem_id", "department_id"):
            co_ids[problem_id].append(department_id)
        main_co = set(
            through.objects.filter(problem_id=main.pk).values_list("department_id", flat=True)
        )
        new_co = {
            p.lead_department_id
            for p in problems
            if p.lead_department_id is not None and p.lead_department_id != main.lead_department_id
        } - main_co
        for problem in problems:
            from_status = problem.status
            snapshot = _snapshot(problem, co_ids[problem.pk])
            _save(
                problem,
                fields={
                    "status": main.status,
                    "merged_into": main,
                    "merged_at": now,
                    "lead_department_id": main.lead_department_id,
                    "responsible_leader_id": main.responsible_leader_id,
                    "clock_started_at": main.clock_started_at,
                    "due_at": main.due_at,
                    "original_due_at": main.original_due_at,
                    "deadline_provisional": main.deadline_provisional,
                    "calendar_revision": main.calendar_revision,
                    # The main problem's clock governs: nothing of its own to sweep.
                    "warn_at": None,
                    "escalate_again_at": None,
                    "remind_at": None,
                    "autoclose_at": None,
                    "escalation_level": 0,
                },
                from_status=from_status,
                now=now,
            )
            record_event(
                problem,
                actor=actor,
                kind=EventKind.MERGED,
                from_status=from_status,
                to_status=problem.status,
                data={"main": main.reference, "restore": snapshot},
                now=now,
            )
        if new_co:
            through.objects.bulk_create(
                [through(problem_id=main.pk, department_id=pk) for pk in sorted(new_co)]
            )
        _save(main, fields={}, from_status=main.status, now=now)
        record_event(
            main,
            actor=actor,
            kind=EventKind.MERGED_IN,
            is_public=False,
            data={
                "merged": [p.reference for p in problems],
                "co_departments_added": sorted(new_co),
            },
            now=now,
        )
    return main


def _last_merge(problem: Problem) -> ProblemEvent | None:
    return problem.events.filter(kind=EventKind.MERGED).order_by("-created_at", "-id").first()


def _restored_fields(snapshot: dict) -> dict:
    fields = {}
    for name in SNAPSHOT_FIELDS:
        value = snapshot.get(name)
        if name in _TIMES and value is not None:
            value = parse_datetime(value)
        fields[name] = value
    return fields


def problem_unmerge(
    *,
    problem_id: int,
    actor,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """Give a merged problem back its own handling, as it was when merged (module doc)."""
    now = now or timezone.now()
    _require(permissions.can_merge(actor), _("Only the liaison office merges problems."))
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        if problem.merged_into_id is None:
            raise WrongState(_("This problem is not merged into another one."))
        main = lock_problem(problem.merged_into_id)
        if main.status not in OPEN_STATUSES or problem.status not in OPEN_STATUSES:
            raise WrongState(
                _(
                    "The main problem %(ref)s was answered: the merge can no longer be "
                    "undone. Each enterprise evaluates the answer it was given."
                )
                % {"ref": main.reference}
            )
        merge = _last_merge(problem)
        snapshot = (merge.data or {}).get("restore") if merge else None
        if not snapshot:
            raise WrongState(_("This merge cannot be undone: its record is missing."))
        fields = _restored_fields(snapshot)
        fields.update(merged_into=None, merged_at=None)
        from_status = problem.status
        _save(problem, fields=fields, from_status=from_status, now=now)
        through = Problem.co_departments.through
        through.objects.filter(problem_id=problem.pk).delete()
        through.objects.bulk_create(
            [
                through(problem_id=problem.pk, department_id=pk)
                for pk in snapshot.get("co_department_ids", [])
            ]
        )
        record_event(
            problem,
            actor=actor,
            kind=EventKind.UNMERGED,
            from_status=from_status,
            to_status=problem.status,
            data={"main": main.reference},
            now=now,
        )
        _save(main, fields={}, from_status=main.status, now=now)
        record_event(
            main,
            actor=actor,
            kind=EventKind.UNMERGED,
            is_public=False,
            data={"merged": problem.reference},
            now=now,
        )
    return problem


# --- following the main problem (called by the transitions, inside their lock) -----------


def _followers(main: Problem, *statuses) -> list[Problem]:
    return list(
        Problem.objects.select_for_update()
        .filter(merged_into=main, status__in=statuses)
        .order_by("pk")
    )


def follow_resolved(main: Problem, *, actor, now: dt.datetime) -> None:
    """The main problem was answered: so is each merged problem, for its enterprise."""
    if main.merged_into_id is not None:
        return
    revision = workdays.revision()
    for problem in _followers(main, *OPEN_STATUSES):
        from_status = problem.status
        fields = {
            "status": Status.RESOLVED,
            "answer": main.answer,
            "last_resolved_at": main.last_resolved_at,
            "due_at": main.due_at,
            "autoclose_at": autoclose_at_from(now),
            "calendar_revision": kept_revision(problem, revision),
        }
        if problem.first_resolved_at is None:
            fields.update(
                first_resolved_at=main.last_resolved_at, first_resolved_due_at=main.due_at
            )
        _save(problem, fields=fields, from_status=from_status, now=now)
        record_event(
            problem,
            actor=actor,
            kind=EventKind.RESOLVED,
            from_status=from_status,
            to_status=Status.RESOLVED,
            text=main.answer,
            data={"main": main.reference},
            now=now,
        )


def follow_reopened(main: Problem, *, actor, now: dt.datetime) -> None:
    """The main problem was reopened: the merged problems still waiting for their
    evaluation go back to handling with it (those evaluated keep their evaluation)."""
    if main.merged_into_id is not None:
        return
    for problem in _followers(main, Status.RESOLVED):
        if problem.satisfaction or problem.awaits_callback_review:
            continue
        _save_and_record(
            problem,
            fields={
                "status": main.status,
                "due_at": main.due_at,
                "clock_started_at": main.clock_started_at,
                "deadline_provisional": main.deadline_provisional,
                "calendar_revision": main.calendar_revision,
                "autoclose_at": None,
                "warn_at": None,
            },
            from_status=Status.RESOLVED,
            now=now,
            actor=actor,
            kind=EventKind.MAIN_REOPENED,
            data={"main": main.reference},
        )


def detach_fields(problem: Problem) -> dict:
    """The fields that take a merged problem out of its group when it is reopened on its
    own (found unsatisfying): it keeps the main problem's lead department."""
    if problem.merged_into_id is None:
        return {}
    return {"merged_into": None, "merged_at": None}


def require_not_merged(problem: Problem) -> None:
    """Departments act on the main problem, never on a problem merged into it."""
    if problem.merged_into_id is not None:
        raise WrongState(
            _("This problem is merged into %(ref)s and handled there: act on the main problem.")
            % {"ref": problem.merged_into.reference}
        )
