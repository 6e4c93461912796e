"""The enterprise evaluates the answer; it is reopened, or closed when nobody evaluates it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison import permissions, workdays

from ..clock import fresh_clock_fields
from ..models import (
    EvaluationSource,
    EventKind,
    Problem,
    ProblemEvent,
    Satisfaction,
    Status,
)
from .base import (
    ClaimLost,
    TransitionError,
    WrongState,
    _clean_text,
    _require,
    _require_status,
    _save,
    _save_and_record,
    lock_problem,
    record_event,
    record_events_once,
)
from .merging import detach_fields, follow_reopened


def problem_evaluate(
    *,
    problem_id: int,
    actor,
    satisfaction: str,
    reason: str = "",
    expected_version: int | None = None,
    now=None,
) -> Problem:
    """The enterprise evaluates the answer: satisfied closes; unsatisfied reopens (重办)."""
    if satisfaction == Satisfaction.UNSATISFIED:
        return problem_reopen(
            problem_id=problem_id,
            actor=actor,
            reason=reason,
            expected_version=expected_version,
            now=now,
        )
    if satisfaction not in (Satisfaction.SATISFIED, Satisfaction.BASICALLY):
        raise TransitionError(_("Choose satisfied, basically satisfied or unsatisfied."))
    now = now or timezone.now()
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_evaluate(actor, problem),
            _("Only the enterprise that raised the problem can evaluate it."),
        )
        _require_status(problem, Status.RESOLVED)
        _require_not_in_callback_review(problem)
        _save(
            problem,
            fields={
                "status": Status.CLOSED,
                "satisfaction": satisfaction,
                "evaluation_source": EvaluationSource.ENTERPRISE,
                "closed_at": now,
                "autoclose_at": None,
            },
            from_status=Status.RESOLVED,
            now=now,
        )
        record_event(
            problem,
            actor=actor,
            kind=EventKind.EVALUATED,
            from_status=Status.RESOLVED,
            to_status=Status.CLOSED,
            text=reason.strip(),
            data={"satisfaction": satisfaction},
            now=now,
        )
    return problem


def problem_reopen(
    *,
    problem_id: int,
    actor,
    reason: str,
    expected_version: int | None = None,
    now=None,
) -> Problem:
    """Unsatisfied: back to the lead department with a fresh 10-working-day clock."""
    now = now or timezone.now()
    reason = _clean_text(reason, _("Say why you are not satisfied, so the department can act."))
    with transaction.atomic():
        problem = lock_problem(problem_id, expected_version)
        _require(
            permissions.can_evaluate(actor, problem),
            _("Only the enterprise that raised the problem can evaluate it."),
        )
        _require_status(problem, Status.RESOLVED)
        _require_not_in_callback_review(problem)
        reopen_unsatisfied(
            problem,
            actor=actor,
            reason=reason,
            now=now,
            fields={
                "satisfaction": Satisfaction.UNSATISFIED,
                "evaluation_source": EvaluationSource.ENTERPRISE,
            },
        )
    return problem


def reopen_unsatisfied(
    problem: Problem, *, actor, reason: str, now, fields: dict | None = None, data=None
) -> None:
    """An answer found unsatisfying (by the enterprise, or at a call-back's review): back
    to the lead department with a fresh 10-working-day clock. Inside the caller's lock."""
    _save(
        problem,
        fields={
            "status": Status.IN_PROGRESS,
            "reopen_count": problem.reopen_count + 1,
            "autoclose_at": None,
            **(fields or {}),
            **fresh_clock_fields(problem, now=now),
            # A merged problem found unsatisfying leaves its group (issues.workflow.merging).
            **detach_fields(problem),
        },
        from_status=Status.RESOLVED,
        now=now,
    )
    record_event(
        problem,
        actor=actor,
        kind=EventKind.REOPENED,
        from_status=Status.RESOLVED,
        to_status=Status.IN_PROGRESS,
        text=reason,
        data={
            "satisfaction": Satisfaction.UNSATISFIED,
            **(data or {}),
            "due_at": problem.due_at.isoformat(),
            "due_date": workdays.local_date(problem.due_at).isoformat(),
        },
        now=now,
    )
    # A main problem reopened takes back the merged problems still waiting for evaluation.
    follow_reopened(problem, actor=actor, now=now)


def _require_not_in_callback_review(problem: Problem) -> None:
    if problem.awaits_callback_review:
        raise WrongState(
            _(
                "The liaison office recorded your evaluation by telephone and is reviewing "
                "it; you will be told of its decision."
            )
        )


def problem_auto_close(*, problem_id: int, now=None) -> Problem | None:
    """Close one answered problem without evaluation (e.g. by hand from a shell).

    The deadline sweep uses the set-based `problems_auto_close`; both record the event
    under the same dedupe key, so a problem is never auto-closed twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        problem = lock_problem(problem_id, None)
        if problem.status != Status.RESOLVED:
            return None
        _save_and_record(
            problem,
            fields={
                "status": Status.CLOSED,
                "satisfaction": Satisfaction.NOT_EVALUATED,
                "evaluation_source": EvaluationSource.NONE,
                "closed_at": now,
                "autoclose_at": None,
            },
            from_status=Status.RESOLVED,
            now=now,
            actor=None,
            kind=EventKind.AUTO_CLOSED,
            data={"satisfaction": Satisfaction.NOT_EVALUATED},
            dedupe_key=AUTO_CLOSE_DEDUPE_KEY,
        )
    return problem


AUTO_CLOSE_DEDUPE_KEY = "autoclose"


def problems_auto_close(problem_ids: list[int], *, now: dt.datetime) -> list[ProblemEvent]:
    """Close, in one UPDATE, answered problems whose evaluation time ran out.

    Set-based twin of `problem_auto_close`, called by the deadline sweep inside its
    transaction with the ids it claimed (locked): the UPDATE repeats the condition, so a
    problem evaluated meanwhile is not touched. Returns the AUTO_CLOSED events written.
    """
    if not problem_ids:
        return []
    changed = Problem.objects.filter(
        pk__in=problem_ids, status=Status.RESOLVED, autoclose_at__lt=now
    ).update(
        status=Status.CLOSED,
        satisfaction=Satisfaction.NOT_EVALUATED,
        evaluation_source=EvaluationSource.NONE,
        closed_at=now,
        autoclose_at=None,
        updated_at=now,
        version=F("version") + 1,
    )
    if changed != len(problem_ids):
        raise ClaimLost(f"auto-close: {changed} of {len(problem_ids)} claimed problems changed")
    return record_events_once(
        [
            ProblemEvent(
                problem_id=problem_id,
                actor=None,
                kind=EventKind.AUTO_CLOSED,
                from_status=Status.RESOLVED,
                to_status=Status.CLOSED,
                is_public=True,
                data={"satisfaction": Satisfaction.NOT_EVALUATED},
                dedupe_key=AUTO_CLOSE_DEDUPE_KEY,
                created_at=now,
            )
            for problem_id in problem_ids
        ]
    )
